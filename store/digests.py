"""Queries behind the digest: stories of a window, story history, saved digests, source health."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb

from config.errors import NotFoundError
from store.db import packed, transaction
from store.records import utc

SINGLETON_PREFIX = "doc:"


@dataclass(frozen=True)
class MemberDoc:
    """A story member with what the digest shows about it and its source."""

    doc_id: str
    title: str
    text: str
    url: str
    source_id: str
    source_name: str
    publisher: str | None
    country: str | None
    authority: float
    published_at: datetime | None
    published_precision: str | None
    first_seen_at: datetime
    doc_number: str | None
    doc_type: str | None
    language: str | None
    in_window: bool


@dataclass(frozen=True)
class StoryTag:
    """A tag aggregated over a story's members: best score and how many members carry it."""

    kind: str
    tag: str
    score: float
    docs: int


@dataclass(frozen=True)
class StoryEntity:
    """An entity aggregated over a story's members."""

    entity_id: str
    kind: str
    label_en: str | None
    label_zh: str | None
    mentions: int


@dataclass(frozen=True)
class StoryBundle:
    """A story with new documents in a window; unclustered documents become singleton stories."""

    story_id: str
    title: str
    first_seen_at: datetime
    size: int
    members: tuple[MemberDoc, ...]
    tags: tuple[StoryTag, ...]
    entities: tuple[StoryEntity, ...]


@dataclass(frozen=True)
class SourceHealth:
    """What one registered source did in a window."""

    source_id: str
    name: str
    fetches: int
    failures: int
    last_error: str | None
    new_docs: int
    crawled: bool = True  # any run ever tried it (not skipped): else "never crawled"


@dataclass(frozen=True)
class DigestItemRow:
    """One story as placed in a saved digest."""

    story_id: str
    section: str
    rank: int
    score: float


@dataclass(frozen=True)
class DigestRow:
    """A digest as stored: the JSON content plus its renderings and its items."""

    id: str
    digest_date: date
    profile: str
    lang: str
    window_start: datetime
    window_end: datetime
    generated_at: datetime
    content: dict[str, Any]
    html: str | None
    markdown: str | None
    items: tuple[DigestItemRow, ...] = ()


def digest_id(day: date, profile: str, lang: str) -> str:
    """Id of the digest for a date, profile and language (one row per triple)."""
    return f"{day.isoformat()}:{profile}:{lang}"


_MEMBERS_SQL = """
WITH win AS (
    SELECT d.id AS doc_id,
           coalesce(s.merged_into, m.story_id, ? || d.id) AS story_id
    FROM documents d
    LEFT JOIN story_members m ON m.doc_id = d.id
    LEFT JOIN stories s ON s.id = m.story_id
    WHERE d.first_seen_at >= ? AND d.first_seen_at < ?
),
ids AS (SELECT DISTINCT story_id FROM win),
mem AS (
    SELECT coalesce(s.merged_into, m.story_id) AS story_id, m.doc_id
    FROM story_members m
    LEFT JOIN stories s ON s.id = m.story_id
    JOIN documents d ON d.id = m.doc_id
    WHERE coalesce(s.merged_into, m.story_id) IN (SELECT story_id FROM ids)
      AND d.first_seen_at < ?
    UNION ALL
    SELECT story_id, doc_id FROM win WHERE starts_with(story_id, ?)
)
SELECT mem.story_id, d.id, d.title, substr(d.text, 1, 20000), d.url, d.source_id,
       coalesce(src.name, d.source_id), src.publisher, src.country,
       coalesce(src.authority, 1.0), d.published_at, d.published_precision, d.first_seen_at,
       d.doc_number, d.doc_type, d.language,
       (d.first_seen_at >= ? AND d.first_seen_at < ?) AS in_window,
       count(*) OVER (PARTITION BY mem.story_id) AS known
FROM mem
JOIN documents d ON d.id = mem.doc_id
LEFT JOIN sources src ON src.id = d.source_id
QUALIFY row_number() OVER (
    PARTITION BY mem.story_id
    ORDER BY in_window DESC, coalesce(d.published_at, d.first_seen_at) DESC, d.id
) <= ?
ORDER BY mem.story_id, in_window DESC, coalesce(d.published_at, d.first_seen_at) DESC, d.id
"""


def window_stories(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, max_members: int = 8
) -> list[StoryBundle]:
    """Stories with at least one document first seen in [start, end).

    Members include earlier documents of the story (new ones first), at most
    `max_members` per story, never one first seen after `end`: a day rebuilt later
    shows what was known then (its size too). Documents that are in no story yet become
    singleton stories with id ``doc:<doc_id>``.
    """
    rows = con.execute(
        _MEMBERS_SQL,
        [SINGLETON_PREFIX, start, end, end, SINGLETON_PREFIX, start, end, max_members],
    ).fetchall()
    members: dict[str, list[MemberDoc]] = {}
    known: dict[str, int] = {}  # members first seen before the window's end (a rebuilt day)
    for r in rows:
        known[r[0]] = int(r[17])
        members.setdefault(r[0], []).append(
            MemberDoc(
                doc_id=r[1], title=r[2], text=r[3], url=r[4], source_id=r[5],
                source_name=r[6], publisher=r[7], country=r[8], authority=float(r[9]),
                published_at=utc(r[10]), published_precision=r[11],
                first_seen_at=utc(r[12]), doc_number=r[13], doc_type=r[14], language=r[15],
                in_window=bool(r[16]),
            )
        )
    if not members:
        return []
    story_ids = list(members)
    doc_ids = [m.doc_id for ms in members.values() for m in ms]
    doc_story = {m.doc_id: sid for sid, ms in members.items() for m in ms}
    meta = {
        r[0]: (r[1], utc(r[2]))
        for r in con.execute(
            "SELECT id, title, first_seen_at FROM stories WHERE id IN (SELECT unnest(string_split(?, chr(31))))",
            [packed(story_ids)],
        ).fetchall()
    }
    tags: dict[str, dict[tuple[str, str], list[float]]] = {}
    for doc_id, kind, tag, score in con.execute(
        "SELECT doc_id, kind, tag, score FROM tags WHERE doc_id IN (SELECT unnest(string_split(?, chr(31))))",
        [packed(doc_ids)],
    ).fetchall():
        tags.setdefault(doc_story[doc_id], {}).setdefault((kind, tag), []).append(float(score))
    ents: dict[str, dict[str, list[Any]]] = {}
    for doc_id, eid, kind, en, zh, n in con.execute(
        "SELECT doc_id, entity_id, kind, label_en, label_zh, mentions FROM entities "
        "WHERE doc_id IN (SELECT unnest(string_split(?, chr(31))))",
        [packed(doc_ids)],
    ).fetchall():
        slot = ents.setdefault(doc_story[doc_id], {}).setdefault(eid, [kind, en, zh, 0])
        slot[3] += int(n)
    bundles = []
    for sid, ms in members.items():
        title, first_seen = meta.get(sid, (ms[0].title, min(m.first_seen_at for m in ms)))
        size = known[sid]
        story_tags = sorted(
            (StoryTag(k, t, max(v), len(v)) for (k, t), v in tags.get(sid, {}).items()),
            key=lambda x: (-x.score, -x.docs, x.tag),
        )
        story_ents = sorted(
            (StoryEntity(e, *v) for e, v in ents.get(sid, {}).items()),
            key=lambda x: (-x.mentions, x.entity_id),
        )
        bundles.append(
            StoryBundle(sid, title, first_seen, size, tuple(ms), tuple(story_tags), tuple(story_ents))
        )
    return bundles


def story_history(
    con: duckdb.DuckDBPyConnection, story_ids: list[str], before: date
) -> dict[str, list[date]]:
    """Dates of earlier digests (any profile or language) that contained each story."""
    if not story_ids:
        return {}
    rows = con.execute(
        "SELECT DISTINCT i.story_id, d.digest_date FROM digest_items i "
        "JOIN digests d ON d.id = i.digest_id "
        "WHERE i.story_id IN (SELECT unnest(string_split(?, chr(31)))) AND d.digest_date < ? "
        "ORDER BY 1, 2",
        [packed(story_ids), before],
    ).fetchall()
    out: dict[str, list[date]] = {}
    for sid, day in rows:
        out.setdefault(sid, []).append(day)
    return out


def previous_window_end(
    con: duckdb.DuckDBPyConnection, day: date, profile: str
) -> datetime | None:
    """End of the window of the latest digest of `profile` dated before `day`."""
    row = con.execute(
        "SELECT max(window_end) FROM digests WHERE profile = ? AND digest_date < ?",
        [profile, day],
    ).fetchone()
    return utc(row[0]) if row and row[0] is not None else None


def source_health(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> list[SourceHealth]:
    """Fetch attempts, failures and new documents of every enabled registered source in
    [start, end), and whether any run ever crawled it."""
    rows = con.execute(
        """
        WITH f AS (
            SELECT source_id, count(*) AS n,
                   count(*) FILTER (WHERE error IS NOT NULL OR status >= 400) AS bad,
                   arg_max(coalesce(error, 'HTTP ' || status::VARCHAR), requested_at)
                       FILTER (WHERE error IS NOT NULL OR status >= 400) AS last_error
            FROM fetches WHERE requested_at >= ? AND requested_at < ? GROUP BY source_id
        ),
        d AS (
            SELECT source_id, count(*) AS n FROM documents
            WHERE first_seen_at >= ? AND first_seen_at < ? GROUP BY source_id
        ),
        r AS (SELECT DISTINCT source_id FROM source_runs WHERE status <> 'skipped')
        SELECT s.id, s.name, coalesce(f.n, 0), coalesce(f.bad, 0), f.last_error, coalesce(d.n, 0),
               r.source_id IS NOT NULL OR f.n IS NOT NULL
        FROM sources s LEFT JOIN f ON f.source_id = s.id LEFT JOIN d ON d.source_id = s.id
        LEFT JOIN r ON r.source_id = s.id
        WHERE coalesce(TRY_CAST(s.config->>'enabled' AS BOOLEAN), true)  -- a disabled one says nothing
        ORDER BY s.id
        """,
        [start, end, start, end],
    ).fetchall()
    return [SourceHealth(r[0], r[1], int(r[2]), int(r[3]), r[4], int(r[5]), bool(r[6]))
            for r in rows]


def save_digest(con: duckdb.DuckDBPyConnection, row: DigestRow) -> None:
    """Store a digest and its items; a digest with the same id is replaced, never duplicated."""
    with transaction(con):
        con.execute("DELETE FROM digest_items WHERE digest_id = ?", [row.id])
        con.execute("DELETE FROM digests WHERE id = ?", [row.id])
        con.execute(
            "INSERT INTO digests (id, digest_date, profile, lang, window_start, window_end, "
            "generated_at, content, html, markdown) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                row.id, row.digest_date, row.profile, row.lang, row.window_start,
                row.window_end, row.generated_at, json.dumps(row.content, ensure_ascii=False),
                row.html, row.markdown,
            ],
        )
        if row.items:
            con.executemany(
                "INSERT INTO digest_items (digest_id, story_id, section, rank, score) "
                "VALUES (?, ?, ?, ?, ?)",
                [[row.id, i.story_id, i.section, i.rank, i.score] for i in row.items],
            )


_DIGEST_COLS = (
    "id, digest_date, profile, lang, window_start, window_end, generated_at, content, html, markdown"
)


def _digest_row(con: duckdb.DuckDBPyConnection, r: tuple[Any, ...]) -> DigestRow:
    items = con.execute(
        "SELECT story_id, section, rank, score FROM digest_items WHERE digest_id = ? ORDER BY rank",
        [r[0]],
    ).fetchall()
    return DigestRow(
        id=r[0], digest_date=r[1], profile=r[2], lang=r[3], window_start=utc(r[4]),
        window_end=utc(r[5]), generated_at=utc(r[6]), content=json.loads(r[7]),
        html=r[8], markdown=r[9], items=tuple(DigestItemRow(*i) for i in items),
    )


def load_digest(con: duckdb.DuckDBPyConnection, digest_id_: str) -> DigestRow:
    """A stored digest with its items.

    Raises:
        NotFoundError: no digest has that id.
    """
    row = con.execute(
        f"SELECT {_DIGEST_COLS} FROM digests WHERE id = ?",  # noqa: S608 - constant column list
        [digest_id_],
    ).fetchone()
    if row is None:
        raise NotFoundError(f"no digest {digest_id_!r}")
    return _digest_row(con, row)


def recent_digests(
    con: duckdb.DuckDBPyConnection, profile: str, lang: str, limit: int = 20
) -> list[DigestRow]:
    """The latest stored digests of a profile and language, newest first (for the Atom feed)."""
    rows = con.execute(
        f"SELECT {_DIGEST_COLS} FROM digests WHERE profile = ? AND lang = ? "  # noqa: S608
        "ORDER BY digest_date DESC LIMIT ?",
        [profile, lang, limit],
    ).fetchall()
    return [_digest_row(con, r) for r in rows]


def record_delivery_error(
    con: duckdb.DuckDBPyConnection, digest_id_: str, channel: str, reason: str, when: datetime
) -> None:
    """Record a failed delivery (after its retries) in `item_errors`."""
    con.execute(
        "INSERT INTO item_errors (run_id, happened_at, stage, item, kind, reason) "
        "VALUES (NULL, ?, ?, ?, 'transient', ?)",
        [when, f"deliver:{channel}", digest_id_, reason],
    )
