"""Everything the digest shows about one story: its sources in order, headline, badge
("new" / "developing", day N), tags, entities, cited summary lines with their zh-TW
translations, and its zh-TW 重點 card; plus the story's section (top topic)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from briefs.i18n import is_chinese
from briefs.official import official_document
from briefs.rank import ScoredStory
from briefs.reading import publisher_zh, story_card
from briefs.records import SourceRef, StoryEntry, SummaryLine, safe_url
from briefs.summarize import SummarySentence
from briefs.window import digest_day_of
from config.settings import Settings
from nlp.dates import date_only_day
from store.digests import MemberDoc, StoryBundle
from zhtw.terms import TermMatcher, build_matcher
from zhtw.translate import Translation

OTHER = "other"
_ENTITY_KINDS = ("country", "agency", "programme", "instrument", "product")


class Topic(Protocol):
    """A taxonomy topic (nlp.topics)."""

    id: str
    en: str
    zh: str
    priority: float


class Taxonomy(Protocol):
    """The topic taxonomy (nlp.topics.load_taxonomy()); `instruments` is read when present."""

    topics: tuple


def _fmt_local(m: MemberDoc, tz: str) -> str | None:
    if m.published_at is None:
        return None
    if m.published_precision == "date":
        return date_only_day(m.published_at).isoformat()
    return m.published_at.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def _ordered(members: tuple[MemberDoc, ...]) -> list[MemberDoc]:
    return sorted(
        members,
        key=lambda m: (
            not m.in_window,
            -m.authority,
            -(m.published_at or m.first_seen_at).timestamp(),
            m.doc_id,
        ),
    )


def _headline(members: list[MemberDoc]) -> MemberDoc:
    """Best title: from the most authoritative new member, preferring complete mid-length titles."""

    def quality(m: MemberDoc) -> tuple:
        t = m.title.strip()
        return (not m.in_window, -m.authority, not 15 <= len(t) <= 160, t.endswith("…"))

    return min(members, key=quality)


def headline_title(story: StoryBundle) -> str:
    """The title the story's entry is headed by (its headline document's, see `_headline`)."""
    return _headline(_ordered(story.members)).title.strip() if story.members else story.title


def top_topic(story: StoryBundle, known: dict[str, Topic]) -> str:
    """The story's section: its best-scored topic tag that the taxonomy knows, else "other"."""
    for t in story.tags:
        if t.kind == "topic" and t.tag in known:
            return t.tag
    return OTHER


def tag_labels(taxonomy: Taxonomy) -> dict[tuple[str, str], Topic]:
    """(kind, id) -> taxonomy entry, for topics and policy-instrument types."""
    labels: dict[tuple[str, str], Topic] = {("topic", t.id): t for t in taxonomy.topics}
    labels.update({("instrument", i.id): i for i in getattr(taxonomy, "instruments", ())})
    return labels


def _tag_labels(
    story: StoryBundle, labels: dict[tuple[str, str], Topic], zh: bool
) -> tuple[str, ...]:
    out = []
    for t in story.tags:
        entry = labels.get((t.kind, t.tag))
        if entry is not None:
            out.append(entry.zh if zh else entry.en)
    return tuple(dict.fromkeys(out))[:6]


def _entity_labels(story: StoryBundle, zh: bool) -> tuple[str, ...]:
    labels = []
    for e in story.entities:
        if e.kind in _ENTITY_KINDS:
            label = (e.label_zh if zh and e.label_zh else e.label_en) or e.entity_id
            labels.append(label)
    return tuple(dict.fromkeys(labels))[:6]


def _badge(
    story: StoryBundle, earlier: list[date], day: date, window_start: datetime, settings: Settings
) -> tuple[str, int]:
    """("new", 1) for a story first seen in this window and never shown; else ("developing", N)
    where day 1 is the first digest that contained (or would have contained) the story."""
    if not earlier and story.first_seen_at >= window_start:
        return "new", 1
    first = min([*earlier, digest_day_of(story.first_seen_at, settings.digest.hour, settings.timezone)])
    return "developing", max(1, (day - first).days + 1)


def summary_docs(story: StoryBundle) -> list[MemberDoc]:
    """The members a story's summary is drawn from: the new ones (all, if none is new)."""
    members = _ordered(story.members)
    return [m for m in members if m.in_window] or members


def story_entry(
    story: StoryBundle,
    scored: ScoredStory,
    summary: list[SummarySentence],
    labels: dict[tuple[str, str], Topic],
    settings: Settings,
    *,
    day: date,
    lang: str,
    earlier: list[date],
    window_start: datetime,
    matcher: TermMatcher | None = None,
    translations: dict[str, Translation] | None = None,
    relevance: float | None = None,
    responses: tuple = (),
) -> StoryEntry:
    """Everything the digest shows about one story (summary with citations, badge, tags,
    and its zh-TW 重點 card and headline)."""
    matcher = matcher or build_matcher()
    members = _ordered(story.members)
    sources = tuple(
        SourceRef(
            n=i,
            doc_id=m.doc_id,
            title=m.title,
            url=safe_url(m.url),
            publisher=m.publisher or m.source_name,
            country=m.country,
            time_local=_fmt_local(m, settings.timezone),
            in_window=m.in_window,
            publisher_zh=publisher_zh(m.publisher or m.source_name, matcher),
        )
        for i, m in enumerate(members, 1)
    )
    by_doc = {s.doc_id: s for s in sources}
    head = _headline(members)
    badge, n_day = _badge(story, earlier, day, window_start, settings)
    zh = is_chinese(lang)
    tags = _tag_labels(story, labels, zh)
    card = story_card(members, head, matcher, _tag_labels(story, labels, True))
    return StoryEntry(
        story_id=story.story_id,
        headline=head.title.strip() or story.title,
        headline_url=safe_url(head.url),
        summary=tuple(_line(s, by_doc, translations) for s in summary),
        sources=sources,
        tags=tags,
        entities=_entity_labels(story, zh),
        badge=badge,
        day=n_day,
        official=official_document(members),
        score=scored.score,
        parts=scored.parts,
        watch_hits=scored.watch_hits,
        headline_zh=card.headline,
        card=card, relevance=relevance, responses=responses,
    )


def _line(s: SummarySentence, by_doc: dict[str, SourceRef],
          translations: dict[str, Translation] | None) -> SummaryLine:
    """A summary line with its checked zh-TW translation, or the reason it has none."""
    ref = by_doc[s.doc_id]
    tr = (translations or {}).get(s.text)
    if tr is None:
        return SummaryLine(s.text, s.doc_id, ref.n, ref.url)
    return SummaryLine(s.text, s.doc_id, ref.n, ref.url, zh=tr.text if tr.ok else None,
                       zh_reason="" if tr.ok else tr.reason)
