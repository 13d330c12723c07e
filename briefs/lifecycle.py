"""A story's measure status as of a date, for the digest badges and the story page's
timeline: the stored lifecycle events (store/lifecycle.py) of each story - or, for a story
with none stored (a single unclustered document), events read from its members - filtered to
documents published by the date, with zh-TW / English labels and the citing document."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb

from briefs.records import safe_url
from nlp.lifecycle import MeasureEvent, current_status, lifecycle_events, measure_timeline
from store.lifecycle import StoredEvent, story_events

# zh-TW and English labels of the event kinds (the digest badges: 宣布 / 擬議 / 徵求意見 /
# 已生效 / 暫緩 / 修正 / 撤銷)
LABELS = {
    "announced": ("宣布", "Announced"),
    "proposed": ("擬議", "Proposed"),
    "comment_requested": ("徵求意見", "Comments requested"),
    "final": ("定案", "Final"),
    "signed": ("已簽署", "Signed"),
    "effective": ("已生效", "In effect"),
    "suspended": ("暫緩", "Suspended"),
    "rates_changed": ("調整稅率", "Rates changed"),
    "amended": ("修正", "Amended"),
    "revoked": ("撤銷", "Revoked"),
    "enjoined": ("法院禁制", "Enjoined"),
}
_UPCOMING = ("{d} 起生效", "in effect from {d}")
HEADING = ("措施進程", "Measure timeline")  # the story page's section
NO_DATE_NOTE = ("依文件所載日期；未載明者以發布日為準", "dates as the documents state them; "
                "else the publication date")
MAX_BADGES = 3


@dataclass(frozen=True)
class StatusBadge:
    """A measure's latest status as of a date, cited.

    Attributes:
        measure: the measure key ("EO 14257", "title:...").
        kind: the status event's kind.
        label: the kind in the digest's language ("暫緩").
        date: the event's date (ISO).
        instrument: the instrument that made it, if known.
        doc_id: the citing document.
        url: its URL (None: not linkable).
        sentence: the verbatim citing sentence.
        n: the citation number among the story's sources (0: not among them).
        upcoming: the next effective date already announced, as text ("5/2 起生效"), or "".
        name: the measure's instrument ("EO 14195"; "" when it has no number).
    """

    measure: str
    kind: str
    label: str
    date: str
    instrument: str | None
    doc_id: str
    url: str | None
    sentence: str
    n: int = 0
    upcoming: str = ""
    name: str = ""


def label(kind: str, zh: bool) -> str:
    """The display label of an event kind."""
    pair = LABELS.get(kind, (kind, kind))
    return pair[0] if zh else pair[1]


def _short(d: date, zh: bool) -> str:
    return f"{d.month}/{d.day}" if zh else f"{d:%b} {d.day}"


def _events(stored: Sequence[StoredEvent]) -> list[MeasureEvent]:
    return [MeasureEvent(e.measure, e.kind, e.date, e.instrument, e.doc_id, e.sentence, e.published)
            for e in stored]


def story_statuses(
    con: duckdb.DuckDBPyConnection,
    members: Mapping[str, Sequence],
    as_of: date,
    *,
    zh: bool = True,
    limit: int = MAX_BADGES,
    seen_before: datetime | None = None,
) -> dict[str, tuple[StatusBadge, ...]]:
    """The latest status of each measure of each story as of ``as_of``, newest first.

    Args:
        con: the store.
        members: story id -> its member documents (MemberDoc-like: doc_id, title, text, url,
            published_at, ...); used for stories with no stored events and for URLs.
        as_of: the digest's date: events cited by documents published after it are left out.
        zh: zh-TW labels (else English).
        limit: at most this many measures per story.
        seen_before: only events cited by documents first seen before this instant (a
            digest's window end: what a reader could know that morning).
    """
    stored = story_events(con, list(members), seen_before)
    out: dict[str, tuple[StatusBadge, ...]] = {}
    for story_id, docs in members.items():
        urls = {getattr(d, "doc_id", None): getattr(d, "url", None) for d in docs}
        titles = {getattr(d, "doc_id", None): getattr(d, "title", "") for d in docs}
        if story_id in stored:
            events = _events(stored[story_id])
            urls.update({e.doc_id: e.url for e in stored[story_id]})
            titles.update({e.doc_id: e.title for e in stored[story_id]})
        else:
            events = lifecycle_events(list(docs))
        badges = statuses(events, urls, as_of, zh=zh, limit=limit, titles=titles)
        if badges:
            out[story_id] = badges
    return out


def statuses(events: Sequence[MeasureEvent], urls: Mapping[str, str | None], as_of: date, *,
             zh: bool = True, limit: int = MAX_BADGES, titles: Mapping[str, str] | None = None
             ) -> tuple[StatusBadge, ...]:
    """Each measure's latest status as of ``as_of`` (only documents published by then),
    newest first, with the next effective date already announced.

    Args:
        events: one story's events.
        urls: document id -> URL, for the citations.
        as_of: the reference date.
        zh: zh-TW labels (else English).
        limit: at most this many measures.
        titles: document id -> title, to name a measure that has no number (by the title of
            its first document).
    """
    badges = []
    for timeline in measure_timeline(events, as_of=as_of).values():
        status = current_status(timeline, as_of)
        if status is None or safe_url(urls.get(status.doc_id)) is None:
            continue  # every badge links to the document that states it
        ahead = [e for e in timeline if e.kind == "effective" and e.date > as_of]
        upcoming = (_UPCOMING[0] if zh else _UPCOMING[1]).format(
            d=_short(min(e.date for e in ahead), zh)) if ahead else ""
        badges.append(StatusBadge(
            status.measure, status.kind, label(status.kind, zh), status.date.isoformat(),
            status.instrument if status.instrument != status.measure or status.measure.startswith(
                "FR ") else None, status.doc_id,
            urls.get(status.doc_id), status.sentence, upcoming=upcoming,
            name=_name(status.measure, timeline, titles or {})))
    badges.sort(key=lambda b: (b.date, b.instrument is not None), reverse=True)
    return tuple(badges[:limit])


def with_statuses(con: duckdb.DuckDBPyConnection, sections: Sequence, members: Mapping[str, object],
                  window_end: datetime, zh: bool) -> tuple:
    """Digest sections whose stories carry their status badges as of the window's end, each
    cited by its number among the story's sources (``members``: story id -> StoryBundle or
    its member list)."""
    wanted = {st.story_id: getattr(members[st.story_id], "members", members[st.story_id])
              for sec in sections for st in sec.stories}
    badges = story_statuses(con, wanted, window_end.astimezone(UTC).date(), zh=zh,
                            seen_before=window_end)
    out = []
    for sec in sections:
        stories = tuple(
            dataclasses.replace(st, status=cite(badges.get(st.story_id, ()),
                                                {s.doc_id: s.n for s in st.sources}))
            for st in sec.stories)
        out.append(dataclasses.replace(sec, stories=stories))
    return tuple(out)


_FACT_SHEET = re.compile(r"^fact\s+sheet:\s*(?:president\s+donald\s+j\.\s+trump\s+)?", re.IGNORECASE)


def _name(measure: str, timeline: Sequence[MeasureEvent], titles: Mapping[str, str]) -> str:
    """A badge's measure name: its EO or proclamation number, else the title (shortened) of
    the act that made it (a fact sheet's only when there is no act) - an FR document number
    alone says nothing to a reader, so an FR measure is named by its title too."""
    if not (measure.startswith("title:") or measure.startswith("FR ")):
        return measure
    acts = [e for e in timeline if e.kind != "announced"] or list(timeline)
    title = _FACT_SHEET.sub("", titles.get(acts[0].doc_id, "") or "").strip()
    if not title:
        return "" if measure.startswith("title:") else measure
    return title if len(title) <= 48 else title[:47].rstrip() + "…"


def cite(badges: Sequence[StatusBadge], numbers: Mapping[str, int]) -> tuple[StatusBadge, ...]:
    """The badges with the citation number of their document among a story's sources."""
    return tuple(dataclasses.replace(b, n=numbers.get(b.doc_id, 0)) for b in badges)


@dataclass(frozen=True)
class TimelineRow:
    """One event on the story page's timeline."""

    date: str
    kind: str
    label: str
    instrument: str | None
    sentence: str
    url: str | None
    title: str


def story_timeline(con: duckdb.DuckDBPyConnection, story_id: str, *, zh: bool = True
                   ) -> list[tuple[str, list[TimelineRow]]]:
    """Every stored event of a story, per measure (measure label, rows in date order); the
    measure with the latest event first."""
    stored = story_events(con, [story_id]).get(story_id, [])
    by_measure: dict[str, list[StoredEvent]] = {}
    for e in stored:
        by_measure.setdefault(e.measure, []).append(e)
    out = []
    for measure, events in by_measure.items():
        events.sort(key=lambda e: (e.date, e.published, e.kind))
        name = measure_name(measure, events)
        out.append((name, [TimelineRow(e.date.isoformat(), e.kind, label(e.kind, zh), e.instrument,
                                       e.sentence, e.url, e.title) for e in events]))
    out.sort(key=lambda m: m[1][-1].date, reverse=True)
    return out


def measure_name(measure: str, events: Sequence) -> str:
    """How a measure is named: its instrument ("EO 14257"), else the title of its first
    citing document."""
    if not measure.startswith("title:"):
        return measure
    first = min(events, key=lambda e: (e.date, e.published))
    return getattr(first, "title", "") or measure[len("title:"):]
