"""Assemble, store and re-load the morning digest of one date, profile and language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

import duckdb

from briefs.generate import LocalLM
from briefs.i18n import is_chinese, strings
from briefs.official import official_document
from briefs.rank import ScoredStory, rank_stories, resolve_profile
from briefs.reading import publisher_zh, story_card
from briefs.records import (
    Coverage,
    Digest,
    Section,
    SourceRef,
    StoryEntry,
    SummaryLine,
    TranslationCount,
    digest_to_dict,
    safe_url,
)
from briefs.relevance import relevance_label, routine_items, screen_stories
from briefs.render import render_html, render_markdown
from briefs.response import responses_for
from briefs.summarize import Encoder, SummarySentence, summarize_stories
from briefs.window import digest_day_of, digest_window
from config.settings import Settings
from store.digests import (
    DigestItemRow,
    DigestRow,
    MemberDoc,
    StoryBundle,
    digest_id,
    previous_window_end,
    save_digest,
    source_health,
    story_history,
    window_stories,
)
from zhtw.terms import TermMatcher, build_matcher
from zhtw.translate import Translation, Translator, load_translator, translate_sentences

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
        return m.published_at.date().isoformat()
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
    """Build the digest of `day` for an analyst profile and language, and store it.

    Stories new in the window are ranked for the profile; those below `relevance_floor` go to
    one collapsed routine line (briefs/relevance.py), the rest are grouped by top topic
    ("other" last), cut to `per_section` per section and `max_stories` overall, and summarised
    with citations. The stored row (content, HTML, Markdown, digest_items) replaces any earlier
    digest with the same date/profile/lang.

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
        generator: optional local LM for generative summaries
            (`briefs.generate.load_generator(settings.digest.generative)`).
        translator: sentence translation backend; default: the one `[translate]` configures
            (none by default: the 重點 card alone is Chinese).

    Raises:
        ConfigError: unknown profile or language, invalid hour or zone.
    """
    profile = profile or settings.digest.profile
    lang = lang or settings.ui_lang
    text = strings(lang)
    prof = resolve_profile(settings.digest, profile)
    ds = settings.digest
    window = digest_window(
        day,
        ds.hour,
        settings.timezone,
        previous_window_end(con, day, profile),
        ds.max_window_hours,
    )
    stories = window_stories(con, window.start, window.end, ds.max_members)
    history = story_history(con, [s.story_id for s in stories], day)
    known = {t.id: t for t in taxonomy.topics}
    labels = tag_labels(taxonomy)
    ranked = rank_stories(
        stories,
        priorities={t.id: float(t.priority) for t in taxonomy.topics},
        profile=prof,
        history=history,
        window_end=window.end,
        settings=ds,
    )
    ranked, routine, rel = screen_stories(con, stories, ranked, taxonomy, ds, prof)
    by_id = {s.story_id: s for s in stories}
    chosen: dict[str, list[ScoredStory]] = {}
    total = 0
    for sc in ranked:
        if total >= ds.max_stories:
            break
        section = top_topic(by_id[sc.story_id], known)
        if len(chosen.setdefault(section, [])) < ds.per_section:
            chosen[section].append(sc)
            total += 1
    order = sorted(chosen, key=lambda k: (k == OTHER, -chosen[k][0].score if chosen[k] else 0))
    shown = [sc for key in order for sc in chosen[key]]
    summaries = dict(
        zip(
            (sc.story_id for sc in shown),
            summarize_stories(
                [summary_docs(by_id[sc.story_id]) for sc in shown],
                backend,
                ds.summary_sentences,
                lam=ds.mmr_lambda,
                max_candidates=ds.max_candidate_sentences,
                generator=generator,
            ),
            strict=True,
        )
    )
    zh = is_chinese(lang)
    matcher = build_matcher()
    if zh and translator is None:
        translator = load_translator(settings.translate)
    translations, counted = _translate(translator if zh else None, summaries)
    sections = tuple(
        Section(
            topic_id=key,
            title=text["other"] if key == OTHER else (known[key].zh if zh else known[key].en),
            stories=tuple(
                story_entry(
                    by_id[sc.story_id], sc, summaries[sc.story_id], labels, settings,
                    day=day, lang=lang, earlier=history.get(sc.story_id, []),
                    window_start=window.start, matcher=matcher, translations=translations,
                    relevance=rel[sc.story_id].score,
                    responses=responses_for(con, by_id[sc.story_id].members, window.end,
                                            settings.timezone),
                )  # fmt: skip
                for sc in chosen[key]
            ),
        )
        for key in order
    )
    tz = ZoneInfo(settings.timezone)
    fmt = "%Y-%m-%d %H:%M"
    digest = Digest(
        id=digest_id(day, profile, lang),
        date=day,
        profile=profile,
        lang=lang,
        window_start=window.start,
        window_end=window.end,
        window_label=f"{window.start.astimezone(tz):{fmt}} – {window.end.astimezone(tz):{fmt}}",
        generated_at=(now or datetime.now(UTC)).astimezone(UTC),
        sections=sections,
        coverage=_coverage(con, window.start, window.end),
        n_candidates=len(stories),
        translation=counted,
        routine=routine_items(routine, by_id, rel), relevance_model=relevance_label(rel),
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
