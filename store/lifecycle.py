"""Store side of the measure lifecycle: which stories need their events (re)computed, the
documents they are computed from, and the stored events per story (migration 012)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import duckdb

from store.db import transaction
from store.enrichment import joined
from store.records import utc

# a story's members: merged stories count under the story they were merged into
_MEMBERS = (
    "SELECT coalesce(s.merged_into, m.story_id) AS story_id, m.doc_id, d.content_hash "
    "FROM story_members m JOIN documents d ON d.id = m.doc_id "
    "LEFT JOIN stories s ON s.id = m.story_id"
)


@dataclass(frozen=True)
class StoredDoc:
    """What lifecycle extraction reads of a stored document (nlp.lifecycle.LifecycleDoc)."""

    doc_id: str
    title: str
    text: str
    url: str | None
    published_at: datetime | None
    published_precision: str | None
    first_seen_at: datetime
    doc_number: str | None
    doc_type: str | None


Day = date  # a field of StoredEvent is named `date`


@dataclass(frozen=True)
class StoredEvent:
    """One stored event (the fields of nlp.lifecycle.MeasureEvent, plus its story, citing
    document's URL and title, and the rule version)."""

    story_id: str
    measure: str
    kind: str
    date: Day
    instrument: str | None
    doc_id: str
    sentence: str
    published: Day
    model: str
    url: str | None = None
    title: str = ""


def _hash(rows: Iterable[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for doc_id, content in sorted(rows):
        h.update(f"{doc_id}\x1f{content}\x1e".encode())
    return h.hexdigest()[:32]


def stale_stories(con: duckdb.DuckDBPyConnection, model: str) -> list[tuple[str, str]]:
    """(story id, members hash) of active stories whose events are missing, were made by
    another rule version, or were computed from other members or contents."""
    members: dict[str, list[tuple[str, str]]] = {}
    for story_id, doc_id, content in con.execute(_MEMBERS).fetchall():
        members.setdefault(story_id, []).append((doc_id, content))
    done = {r[0]: (r[1], r[2]) for r in con.execute(
        "SELECT story_id, members_hash, model FROM measure_event_runs").fetchall()}
    out = []
    for story_id, rows in sorted(members.items()):
        digest = _hash(rows)
        if done.get(story_id) != (digest, model):
            out.append((story_id, digest))
    return out


def story_documents(con: duckdb.DuckDBPyConnection, story_ids: Sequence[str]
                    ) -> dict[str, list[StoredDoc]]:
    """The member documents (full text) of some stories, by story id."""
    if not story_ids:
        return {}
    rows = con.execute(
        f"WITH mem AS ({_MEMBERS}) SELECT mem.story_id, d.id, d.title, d.text, d.url, "  # noqa: S608 - constant SQL
        "d.published_at, d.published_precision, d.first_seen_at, d.doc_number, d.doc_type "
        "FROM mem JOIN documents d ON d.id = mem.doc_id "
        "WHERE mem.story_id IN (SELECT unnest(string_split(?, ','))) ORDER BY mem.story_id, d.id",
        [joined(story_ids)],
    ).fetchall()
    out: dict[str, list[StoredDoc]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(StoredDoc(r[1], r[2], r[3], r[4], utc(r[5]), r[6],
                                                  utc(r[7]), r[8], r[9]))
    return out


def citing_documents(con: duckdb.DuckDBPyConnection, limit: int = 20000) -> list[StoredDoc]:
    """Documents that cite an executive order or proclamation by number (what the instrument
    index learns numbers from), newest first."""
    rows = con.execute(
        "SELECT id, title, text, url, published_at, published_precision, first_seen_at, "
        "doc_number, doc_type FROM documents WHERE regexp_matches(text, "
        "'(Executive Order|Proclamation) 1?[0-9]{4,5} of [A-Z][a-z]+ [0-9]') "
        "ORDER BY first_seen_at DESC LIMIT ?", [limit]).fetchall()
    return [StoredDoc(r[0], r[1], r[2], r[3], utc(r[4]), r[5], utc(r[6]), r[7], r[8])
            for r in rows]


def save_story_events(con: duckdb.DuckDBPyConnection, story_id: str, members_hash: str,
                      model: str, events: Sequence[tuple[Any, ...]]) -> None:
    """Replace one story's events, in one transaction.

    Args:
        con: writable store.
        story_id: the story.
        members_hash: what the events were computed from (``stale_stories``).
        model: the rule version.
        events: (measure, kind, date, instrument, doc id, sentence, published) tuples.
    """
    with transaction(con):
        con.execute("DELETE FROM measure_events WHERE story_id = ?", [story_id])
        if events:
            con.executemany(
                "INSERT INTO measure_events (story_id, measure, kind, event_date, instrument, "
                "doc_id, sentence, published, model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(story_id, *e, model) for e in events])
        con.execute("DELETE FROM measure_event_runs WHERE story_id = ?", [story_id])
        con.execute("INSERT INTO measure_event_runs VALUES (?, ?, ?, ?, ?)",
                    [story_id, members_hash, model, len(events), datetime.now(UTC)])


def story_events(con: duckdb.DuckDBPyConnection, story_ids: Sequence[str],
                 seen_before: datetime | None = None) -> dict[str, list[StoredEvent]]:
    """Stored events of some stories (with the citing document's URL and title), in date
    order, by story id; a story with no row is absent. With ``seen_before``, only events
    cited by documents first seen before that instant (a digest's window end)."""
    if not story_ids:
        return {}
    try:
        rows = _event_rows(con, story_ids, seen_before)
    except duckdb.CatalogException:  # a read copy made before migration 012
        return {}
    out: dict[str, list[StoredEvent]] = {}
    for r in rows:
        out.setdefault(r[0], []).append(StoredEvent(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7],
                                                    r[8], url=r[9], title=r[10] or ""))
    return out


def _event_rows(con: duckdb.DuckDBPyConnection, story_ids: Sequence[str],
                seen_before: datetime | None) -> list[tuple[Any, ...]]:
    return con.execute(
        "SELECT e.story_id, e.measure, e.kind, e.event_date, e.instrument, e.doc_id, e.sentence, "
        "e.published, e.model, d.url, d.title FROM measure_events e "
        "LEFT JOIN documents d ON d.id = e.doc_id "
        "WHERE e.story_id IN (SELECT unnest(string_split(?, ','))) "
        "AND (?::TIMESTAMPTZ IS NULL OR d.first_seen_at < ?::TIMESTAMPTZ) "
        "ORDER BY e.story_id, e.measure, e.event_date, e.kind",
        [joined(story_ids), seen_before, seen_before],
    ).fetchall()
