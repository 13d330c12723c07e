"""Assemble, store and re-load the morning digest of one date, profile and language.

`build_digest` reads top to bottom over records: the window's candidate stories, ranked and
screened for the profile (`Candidates`); the stories chosen per section (`Chosen`); their
cited summaries and the summaries' zh-TW translations; each story's entry
(briefs/entries.py); then the `Digest` record, stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import duckdb

from briefs.entries import (
    OTHER,
    Taxonomy,
    Topic,
    headline_title,
    story_entry,
    summary_docs,
    tag_labels,
    top_topic,
)
from briefs.families import MAX_FAMILY, family_key, fold_families
from briefs.generate import LocalLM
from briefs.i18n import is_chinese, strings
from briefs.lifecycle import with_statuses
from briefs.rank import ScoredStory, rank_stories, resolve_profile
from briefs.records import Coverage, Digest, Section, TranslationCount, digest_to_dict
from briefs.relevance import StoryRelevance, relevance_label, routine_items, screen_stories
from briefs.render import render_html, render_markdown
from briefs.response import responses_for
from briefs.summarize import Encoder, SummarySentence, summarize_stories
from briefs.window import Window, digest_window
from config.settings import DigestSettings, Settings
from store.digests import (
    DigestItemRow,
    DigestRow,
    StoryBundle,
    digest_id,
    previous_window_end,
    save_digest,
    source_health,
    story_history,
    window_stories,
)
from zhtw.terms import build_matcher
from zhtw.translate import Translation, Translator, load_translator, translate_sentences


@dataclass(frozen=True)
class Candidates:
    """The stories new in a digest's window, ranked for the profile; those below the
    relevance floor are set apart as routine (briefs/relevance.py)."""

    window: Window
    stories: list[StoryBundle]
    by_id: dict[str, StoryBundle]
    history: dict[str, list[date]]  # story -> dates of earlier digests that showed it
    ranked: list[ScoredStory]
    routine: list[ScoredStory]
    relevance: dict[str, StoryRelevance]


@dataclass(frozen=True)
class Chosen:
    """The stories shown, per section in display order ("other" last)."""

    sections: tuple[tuple[str, tuple[ScoredStory, ...]], ...]

    def stories(self) -> list[ScoredStory]:
        """Every shown story, in display order."""
        return [sc for _, stories in self.sections for sc in stories]


def candidates(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy, settings: Settings,
               day: date, profile: str) -> Candidates:
    """The window of `day` for the profile, its stories, ranked and screened.

    Raises:
        ConfigError: unknown profile, invalid hour or zone.
    """
    ds = settings.digest
    prof = resolve_profile(ds, profile)
    window = digest_window(day, ds.hour, settings.timezone,
                           previous_window_end(con, day, profile), ds.max_window_hours)
    stories = window_stories(con, window.start, window.end, ds.max_members)
    history = story_history(con, [s.story_id for s in stories], day)
    ranked = rank_stories(stories, priorities={t.id: float(t.priority) for t in taxonomy.topics},
                          profile=prof, history=history, window_end=window.end, settings=ds)
    ranked, routine, rel = screen_stories(con, stories, ranked, taxonomy, ds, prof)
    return Candidates(window, stories, {s.story_id: s for s in stories}, history, ranked, routine,
                      rel)


def choose(found: Candidates, known: dict[str, Topic], ds: DigestSettings) -> Chosen:
    """Best first, grouped by top topic: `per_section` per section, `max_stories` in all;
    sections ordered by their best story, "other" last. A family of same-day notices on one
    product (briefs/families.py: seven per-country antidumping determinations) counts once:
    its first member takes the place, the others come along (up to MAX_FAMILY)."""
    chosen: dict[str, list[ScoredStory]] = {}
    counted: dict[str, int] = {}
    families: dict[tuple[str, str], int] = {}  # family key -> members chosen
    total = 0
    for sc in found.ranked:
        story = found.by_id[sc.story_id]
        section = top_topic(story, known)
        family = family_key(headline_title(story))  # the window's: one morning's notices
        if family is not None and 0 < families.get(family, 0) < MAX_FAMILY:
            chosen.setdefault(section, []).append(sc)  # comes along with its family
            families[family] += 1
            continue
        if total >= ds.max_stories or counted.get(section, 0) >= ds.per_section:
            continue
        chosen.setdefault(section, []).append(sc)
        counted[section] = counted.get(section, 0) + 1
        total += 1
        if family is not None:
            families[family] = 1
    order = sorted(chosen, key=lambda k: (k == OTHER, -chosen[k][0].score if chosen[k] else 0))
    return Chosen(tuple((key, tuple(chosen[key])) for key in order))


def summaries(found: Candidates, chosen: Chosen, backend: Encoder, ds: DigestSettings,
              generator: LocalLM | None) -> dict[str, list[SummarySentence]]:
    """The cited summary of every shown story (story id -> sentences)."""
    shown = chosen.stories()
    lines = summarize_stories([summary_docs(found.by_id[sc.story_id]) for sc in shown], backend,
                              ds.summary_sentences, lam=ds.mmr_lambda,
                              max_candidates=ds.max_candidate_sentences, generator=generator)
    return dict(zip((sc.story_id for sc in shown), lines, strict=True))


def sections(con: duckdb.DuckDBPyConnection, found: Candidates, chosen: Chosen,
             lines: dict[str, list[SummarySentence]], translations: dict[str, Translation] | None,
             taxonomy: Taxonomy, settings: Settings, day: date, lang: str) -> tuple[Section, ...]:
    """The digest's sections, each story as its entry (briefs/entries.py) with its measures'
    status badges as of the window's end (briefs/lifecycle.py: what a reader can know then)."""
    known = {t.id: t for t in taxonomy.topics}
    labels, matcher, zh = tag_labels(taxonomy), build_matcher(), is_chinese(lang)
    title = {key: strings(lang)["other"] if key == OTHER else (known[key].zh if zh else known[key].en)
             for key, _ in chosen.sections}
    built = tuple(
        Section(topic_id=key, title=title[key], stories=tuple(
            story_entry(
                found.by_id[sc.story_id], sc, lines[sc.story_id], labels, settings,
                day=day, lang=lang, earlier=found.history.get(sc.story_id, []),
                window_start=found.window.start, matcher=matcher, translations=translations,
                relevance=found.relevance[sc.story_id].score,
                responses=responses_for(con, found.by_id[sc.story_id].members, found.window.end,
                                        settings.timezone),
            )  # fmt: skip
            for sc in stories))
        for key, stories in chosen.sections
    )
    built = with_statuses(con, built, found.by_id, found.window.end, zh)
    return fold_families(built, matcher, zh)


def _translate(translator: Translator | None, summaries: dict) -> tuple[
        dict[str, Translation] | None, TranslationCount | None]:
    """Translate every summary sentence once; a refused one keeps its English (counted)."""
    if translator is None:
        return None, None
    texts = list(dict.fromkeys(s.text for lines in summaries.values() for s in lines))
    done = {t.source: t for t in translate_sentences(translator, texts)}
    dropped = [t for t in done.values() if not t.ok]
    reasons = tuple(dict.fromkeys(t.reason for t in dropped))[:5]
    return done, TranslationCount(translator.label, len(done) - len(dropped), len(dropped),
                                  reasons)


def _coverage(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> Coverage:
    health = source_health(con, start, end)
    failed = tuple(
        (h.name, h.last_error or "error") for h in health if h.failures and h.failures == h.fetches
    )
    failed_names = {name for name, _ in failed}
    never = tuple(h.name for h in health if not h.crawled)
    silent = tuple(h.name for h in health
                   if h.crawled and h.new_docs == 0 and h.name not in failed_names)
    return Coverage(failed=failed, silent=silent, total=len(health), never_crawled=never)


def build_digest(
    con: duckdb.DuckDBPyConnection,
    backend: Encoder,
    taxonomy: Taxonomy,
    settings: Settings,
    day: date,
    profile: str | None = None,
    lang: str | None = None,
    *,
    now: datetime | None = None,
    save: bool = True,
    generator: LocalLM | None = None,
    translator: Translator | None = None,
) -> Digest:
    """Build the digest of `day` for an analyst profile and language, and store it (replacing
    any earlier digest of the same date/profile/lang: content, HTML, Markdown, digest_items).

    Args:
        con: writable store connection.
        backend: sentence embedding backend (nlp.embed.load_backend).
        taxonomy: topic taxonomy (nlp.topics.load_taxonomy).
        settings: loaded settings.
        day: the digest's local date (Asia/Taipei by default).
        profile: analyst profile name (default `settings.digest.profile`).
        lang: "zh-TW" or "en" (default `settings.ui_lang`).
        now: generation time (default: the current time).
        save: store the digest (default True).
        generator: optional local LM for generative summaries (briefs.generate.load_generator).
        translator: sentence translation backend; default: the one `[translate]` configures.

    Raises:
        ConfigError: unknown profile or language, invalid hour or zone.
    """
    profile, lang = profile or settings.digest.profile, lang or settings.ui_lang
    strings(lang)  # an unknown language fails before the store is read
    found = candidates(con, taxonomy, settings, day, profile)
    chosen = choose(found, {t.id: t for t in taxonomy.topics}, settings.digest)
    lines = summaries(found, chosen, backend, settings.digest, generator)
    if is_chinese(lang) and translator is None:
        translator = load_translator(settings.translate)
    translations, counted = _translate(translator if is_chinese(lang) else None, lines)
    window, tz, fmt = found.window, ZoneInfo(settings.timezone), "%Y-%m-%d %H:%M"
    digest = Digest(
        id=digest_id(day, profile, lang), date=day, profile=profile, lang=lang,
        window_start=window.start, window_end=window.end,
        window_label=f"{window.start.astimezone(tz):{fmt}} – {window.end.astimezone(tz):{fmt}}",
        generated_at=(now or datetime.now(UTC)).astimezone(UTC),
        sections=sections(con, found, chosen, lines, translations, taxonomy, settings, day, lang),
        coverage=_coverage(con, window.start, window.end), n_candidates=len(found.stories),
        translation=counted, routine=routine_items(found.routine, found.by_id, found.relevance),
        relevance_model=relevance_label(found.relevance),
    )
    if save:
        store_digest(con, digest)
    return digest


def store_digest(con: duckdb.DuckDBPyConnection, digest: Digest) -> None:
    """Save a digest with its HTML and Markdown renderings and one item per story."""
    items = tuple(
        DigestItemRow(st.story_id, sec.topic_id, rank, st.score)
        for rank, (sec, st) in enumerate(
            ((sec, st) for sec in digest.sections for st in sec.stories), 1
        )
    )
    save_digest(
        con,
        DigestRow(
            id=digest.id,
            digest_date=digest.date,
            profile=digest.profile,
            lang=digest.lang,
            window_start=digest.window_start,
            window_end=digest.window_end,
            generated_at=digest.generated_at,
            content=digest_to_dict(digest),
            html=render_html(digest),
            markdown=render_markdown(digest),
            items=items,
        ),
    )
