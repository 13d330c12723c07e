"""Story importance for a digest: a weighted sum of named parts, so every score explains itself."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from config.errors import ConfigError
from config.settings import DigestSettings, ProfileSettings
from store.digests import StoryBundle

PARTS = ("authority", "sources", "topic", "watchlist", "novelty", "recency")
_WATCH_CHARS = 3000


@dataclass(frozen=True)
class ScoredStory:
    """A story's importance; `score` is exactly the sum of `parts` (weighted contributions)."""

    story_id: str
    score: float
    parts: dict[str, float]
    watch_hits: tuple[str, ...] = field(default=())


def resolve_profile(settings: DigestSettings, name: str) -> ProfileSettings:
    """The named analyst profile.

    Raises:
        ConfigError: no profile of that name is configured.
    """
    try:
        return settings.profiles[name]
    except KeyError:
        known = ", ".join(sorted(settings.profiles)) or "none"
        raise ConfigError(f"unknown digest profile {name!r} (configured: {known})") from None


def watch_pattern(terms: list[str]) -> re.Pattern[str] | None:
    """One case-insensitive whole-word pattern for a watchlist (None when it is empty)."""
    cleaned = sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alternation = "|".join(re.escape(t) for t in cleaned)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def watchlist_hits(story: StoryBundle, pattern: re.Pattern[str] | None) -> tuple[str, ...]:
    """Distinct watchlist terms (as the profile spells them, lower-cased) in the new members."""
    if pattern is None:
        return ()
    found: set[str] = set()
    for m in story.members:
        if m.in_window:
            found.update(x.lower() for x in pattern.findall(m.title))
            found.update(x.lower() for x in pattern.findall(m.text[:_WATCH_CHARS]))
    return tuple(sorted(found))


def topic_strength(
    story: StoryBundle, priorities: dict[str, float], profile: ProfileSettings
) -> float:
    """Best (tag score x priority weight x profile weight) over the story's topic tags, 0..~2.

    Taxonomy priority 1 is core and higher numbers are more peripheral, so priority p
    weighs (max_p + 1 - p) / max_p: 1.0 for core topics, 1/max_p for the most peripheral.
    """
    lowest = max(priorities.values(), default=1.0)
    best = 0.0
    for t in story.tags:
        if t.kind != "topic":
            continue
        prio = (lowest + 1 - priorities.get(t.tag, lowest)) / lowest
        best = max(best, t.score * prio * profile.topic_weights.get(t.tag, 1.0))
    return best


def _newest(story: StoryBundle, window_end: datetime) -> datetime:
    times = []
    for m in story.members:
        if not m.in_window:
            continue
        when = m.published_at if m.published_at is not None else m.first_seen_at
        times.append(min(when, window_end))
    return max(times) if times else story.first_seen_at


def score_story(
    story: StoryBundle,
    *,
    priorities: dict[str, float],
    profile: ProfileSettings,
    pattern: re.Pattern[str] | None,
    earlier: list[date],
    window_end: datetime,
    settings: DigestSettings,
) -> ScoredStory:
    """Score one story; each part is a base value in about [0, 1] times its configured weight.

    Args:
        story: the story and its members.
        priorities: taxonomy topic id -> priority (1 = core).
        profile: the analyst profile (topic weights, watchlist).
        pattern: compiled watchlist (see `watch_pattern`).
        earlier: dates of earlier digests that contained the story.
        window_end: end of the digest window (recency is measured to it).
        settings: digest settings (weights, recency half-life).
    """
    new = [m for m in story.members if m.in_window] or list(story.members)
    sources = {m.source_id for m in story.members}
    hits = watchlist_hits(story, pattern)
    age_h = max(0.0, (window_end - _newest(story, window_end)).total_seconds() / 3600)
    base = {
        "authority": max(m.authority for m in new) if new else 0.0,
        "sources": min(1.0, math.log1p(len(sources)) / math.log1p(5)),
        "topic": topic_strength(story, priorities, profile),
        "watchlist": min(1.0, len(hits) / 3),
        "novelty": 1.0 / (1 + len(earlier)),
        "recency": 0.5 ** (age_h / max(settings.recency_half_life_h, 0.1)),
    }
    parts = {k: round(base[k] * settings.rank_weights.get(k, 1.0), 6) for k in PARTS}
    return ScoredStory(story.story_id, sum(parts.values()), parts, hits)


def rank_stories(
    stories: list[StoryBundle],
    *,
    priorities: dict[str, float],
    profile: ProfileSettings,
    history: dict[str, list[date]],
    window_end: datetime,
    settings: DigestSettings,
) -> list[ScoredStory]:
    """Score every story and return them best first (ties broken by story id)."""
    pattern = watch_pattern(profile.watchlist)
    scored = [
        score_story(
            s,
            priorities=priorities,
            profile=profile,
            pattern=pattern,
            earlier=history.get(s.story_id, []),
            window_end=window_end,
            settings=settings,
        )
        for s in stories
    ]
    return sorted(scored, key=lambda x: (-x.score, x.story_id))
