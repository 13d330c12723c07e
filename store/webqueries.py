"""Read-only queries behind the analyst web UI: digests by date, a story's whole record, search
facets and document cards. Handlers call these; they hold no SQL themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import numpy as np

from config.errors import NotFoundError
from store.db import ids_in, packed
from store.digests import (
    SINGLETON_PREFIX,
    DigestRow,
    MemberDoc,
    StoryEntity,
    StoryTag,
    digest_id,
    load_digest,
)
from store.nearest import nearest
from store.records import utc


@dataclass(frozen=True)
class ArchiveDay:
    """One date with stored digests of a profile: languages and the number of stories."""

    day: date
    langs: tuple[str, ...]
    stories: int
    generated_at: datetime


@dataclass(frozen=True)
class Appearance:
    """A digest that showed a story."""

    digest_id: str
    day: date
    profile: str
    lang: str
    section: str
    rank: int


@dataclass(frozen=True)
class RelatedStory:
    """A story close to another one (cosine of its closest document to the other's centroid)."""

    story_id: str
    title: str
    last_seen_at: datetime
    size: int
    similarity: float


@dataclass(frozen=True)
class StorySource:
    """A source that published documents of a story."""

    source_id: str
    name: str
    country: str | None
    docs: int


@dataclass(frozen=True)
class StoryDetail:
    """Everything the story page shows. `merged_into` is set for a story merged into another."""

    story_id: str
    title: str
    status: str
    merged_into: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    size: int
    docs: tuple[MemberDoc, ...]
    tags: tuple[StoryTag, ...]
    entities: tuple[StoryEntity, ...]
    sources: tuple[StorySource, ...]
    appearances: tuple[Appearance, ...]
    related: tuple[RelatedStory, ...]


@dataclass(frozen=True)
class DocCard:
    """What a search result shows about a document besides the hit itself."""

    doc_id: str
    source_name: str
    country: str | None
    snippet: str
    first_seen_at: datetime


def latest_digest_date(con: duckdb.DuckDBPyConnection, profile: str) -> date | None:
    """Date of the newest stored digest of a profile (any language)."""
    row = con.execute("SELECT max(digest_date) FROM digests WHERE profile = ?", [profile]).fetchone()
    return row[0] if row else None


def find_digest(
    con: duckdb.DuckDBPyConnection, day: date, profile: str, lang: str
) -> DigestRow | None:
    """The digest of a date and profile in `lang`, else in any language, else None."""
    try:
        return load_digest(con, digest_id(day, profile, lang))
    except NotFoundError:
        pass
    row = con.execute(
        "SELECT id FROM digests WHERE digest_date = ? AND profile = ? ORDER BY lang DESC LIMIT 1",
        [day, profile],
    ).fetchone()
    return load_digest(con, row[0]) if row else None


def digest_archive(con: duckdb.DuckDBPyConnection, profile: str, limit: int = 90) -> list[ArchiveDay]:
    """Dates with stored digests of a profile, newest first."""
    rows = con.execute(
        "SELECT d.digest_date, list(DISTINCT d.lang ORDER BY d.lang), max(d.generated_at), "
        "coalesce(max(n.c), 0) FROM digests d LEFT JOIN (SELECT digest_id, count(*) AS c "
        "FROM digest_items GROUP BY digest_id) n ON n.digest_id = d.id WHERE d.profile = ? "
        "GROUP BY d.digest_date ORDER BY d.digest_date DESC LIMIT ?",
        [profile, limit],
    ).fetchall()
    return [ArchiveDay(r[0], tuple(r[1]), int(r[3]), utc(r[2])) for r in rows]


_DOC_COLS = (
    "d.id, d.title, substr(d.text, 1, 600), d.url, d.source_id, coalesce(src.name, d.source_id), "
    "src.publisher, src.country, coalesce(src.authority, 1.0), d.published_at, "
    "d.published_precision, d.first_seen_at, d.doc_number, d.doc_type, d.language"
)


def _member(r: tuple[Any, ...]) -> MemberDoc:
    return MemberDoc(
        doc_id=r[0], title=r[1], text=r[2], url=r[3], source_id=r[4], source_name=r[5],
        publisher=r[6], country=r[7], authority=float(r[8]), published_at=utc(r[9]),
        published_precision=r[10], first_seen_at=utc(r[11]), doc_number=r[12], doc_type=r[13],
        language=r[14], in_window=False,
    )


def _story_docs(con: duckdb.DuckDBPyConnection, story_id: str, limit: int) -> list[MemberDoc]:
    if story_id.startswith(SINGLETON_PREFIX):
        where, params = "d.id = ?", [story_id[len(SINGLETON_PREFIX):]]
    else:
        where = ("d.id IN (SELECT doc_id FROM story_members WHERE story_id = ? OR story_id IN "
                 "(SELECT id FROM stories WHERE merged_into = ?))")
        params = [story_id, story_id]
    rows = con.execute(
        f"SELECT {_DOC_COLS} FROM documents d LEFT JOIN sources src ON src.id = d.source_id "  # noqa: S608 - constant columns
        f"WHERE {where} ORDER BY coalesce(d.published_at, d.first_seen_at), d.id LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [_member(r) for r in rows]


def _tags(con: duckdb.DuckDBPyConnection, ids: list[str]) -> tuple[StoryTag, ...]:
    rows = con.execute(
        "SELECT kind, tag, max(score), count(*) FROM tags WHERE doc_id IN (SELECT unnest(string_split(?, chr(31)))) "
        "GROUP BY kind, tag ORDER BY max(score) DESC, count(*) DESC, tag",
        [packed(ids)],
    ).fetchall()
    return tuple(StoryTag(r[0], r[1], float(r[2]), int(r[3])) for r in rows)


def _entities(con: duckdb.DuckDBPyConnection, ids: list[str]) -> tuple[StoryEntity, ...]:
    rows = con.execute(
        "SELECT entity_id, any_value(kind), any_value(label_en), any_value(label_zh), "
        "sum(mentions) FROM entities WHERE doc_id IN (SELECT unnest(string_split(?, chr(31)))) "
        "GROUP BY entity_id "
        "ORDER BY sum(mentions) DESC, entity_id LIMIT 40",
        [packed(ids)],
    ).fetchall()
    return tuple(StoryEntity(r[0], r[1], r[2], r[3], int(r[4])) for r in rows)


def story_appearances(con: duckdb.DuckDBPyConnection, story_id: str) -> list[Appearance]:
    """Every stored digest that showed the story (or a story merged into it), newest first."""
    rows = con.execute(
        "SELECT i.digest_id, d.digest_date, d.profile, d.lang, i.section, i.rank "
        "FROM digest_items i JOIN digests d ON d.id = i.digest_id WHERE i.story_id = ? "
        "OR i.story_id IN (SELECT id FROM stories WHERE merged_into = ?) "
        "ORDER BY d.digest_date DESC, d.profile, d.lang",
        [story_id, story_id],
    ).fetchall()
    return [Appearance(r[0], r[1], r[2], r[3], r[4], int(r[5])) for r in rows]


def related_stories(
    con: duckdb.DuckDBPyConnection, story_id: str, doc_ids: list[str], limit: int = 6,
    min_similarity: float = 0.5,
) -> list[RelatedStory]:
    """Other active stories with the documents closest to this story's centroid (or its
    document's vector), each by its closest document's cosine.

    Through the process's cached document matrix (store/nearest.py): a scan of every active
    story's centroid in SQL took 0.7-1.2 s of each story page at 1M documents (250,000
    stories); the matrix answers in tens of milliseconds.
    """
    row = con.execute("SELECT centroid, model FROM stories WHERE id = ?", [story_id]).fetchone()
    vector, model = (row[0], row[1]) if row and row[0] is not None else (None, None)
    if vector is None and doc_ids:
        found = con.execute(
            "SELECT vector, model FROM embeddings WHERE doc_id = ? LIMIT 1", [doc_ids[0]]
        ).fetchone()
        vector, model = (found[0], found[1]) if found else (None, None)
    if vector is None:
        return []
    query = np.asarray(vector, dtype=np.float32)
    query /= np.linalg.norm(query) or 1.0
    hits = [(d, s) for d, s in nearest(con, query, model, limit * 20) if s >= min_similarity]
    if not hits:
        return []
    wanted, params = ids_in("m.doc_id", [d for d, _ in hits])
    story_of = dict(con.execute(
        "SELECT m.doc_id, coalesce(s.merged_into, m.story_id) FROM story_members m "  # noqa: S608 - ids_in binds the ids
        "JOIN stories s ON s.id = m.story_id WHERE " + wanted, params).fetchall())
    best: dict[str, float] = {}
    for doc_id, score in hits:  # best first
        sid = story_of.get(doc_id)
        if sid is not None and sid != story_id and sid not in best:
            best[sid] = score
    if not best:
        return []
    wanted, params = ids_in("id", list(best))
    rows = con.execute(
        "SELECT id, title, last_seen_at, size FROM stories WHERE status = 'active' AND "  # noqa: S608 - ids_in binds the ids
        + wanted, params).fetchall()
    found = sorted((RelatedStory(r[0], r[1], utc(r[2]), int(r[3]), float(best[r[0]]))
                    for r in rows), key=lambda r: (-r.similarity, r.story_id))
    return found[:limit]


def story_detail(con: duckdb.DuckDBPyConnection, story_id: str, max_docs: int = 200) -> StoryDetail:
    """A story's record: its documents in time order, tags, entities, sources, digests, related.

    Singleton ids (``doc:<document id>``) show one unclustered document as a story.

    Raises:
        NotFoundError: no such story (or document, for a singleton id).
    """
    meta = None
    if not story_id.startswith(SINGLETON_PREFIX):
        meta = con.execute(
            "SELECT title, status, merged_into, first_seen_at, last_seen_at, size FROM stories "
            "WHERE id = ?", [story_id]).fetchone()
        if meta is None:
            raise NotFoundError(f"no story {story_id!r}")
    docs = _story_docs(con, story_id, max_docs)
    if meta is None:
        if not docs:
            raise NotFoundError(f"no document {story_id[len(SINGLETON_PREFIX):]!r}")
        d = docs[0]
        meta = (d.title, "active", None, d.first_seen_at, d.first_seen_at, 1)
    if meta[2]:
        return StoryDetail(story_id, meta[0], meta[1], meta[2], utc(meta[3]), utc(meta[4]),
                           int(meta[5]), (), (), (), (), (), ())
    ids = [d.doc_id for d in docs]
    counts: dict[str, list[Any]] = {}
    for d in docs:
        name = d.publisher or d.source_name  # one line per publisher, not per feed
        slot = counts.setdefault(name, [d.source_id, d.country, 0])
        slot[2] += 1
    sources = sorted((StorySource(v[0], k, v[1], v[2]) for k, v in counts.items()),
                     key=lambda s: (-s.docs, s.name))
    return StoryDetail(
        story_id=story_id, title=meta[0], status=meta[1], merged_into=None,
        first_seen_at=utc(meta[3]), last_seen_at=utc(meta[4]), size=int(meta[5]),
        docs=tuple(docs), tags=_tags(con, ids), entities=_entities(con, ids),
        sources=tuple(sources), appearances=tuple(story_appearances(con, story_id)),
        related=tuple(related_stories(con, story_id, ids)),
    )


def search_facets(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple[str, str]]]:
    """Filter choices for search: source countries, and (source id, name) pairs."""
    countries = [r[0] for r in con.execute(
        "SELECT DISTINCT upper(country) FROM sources WHERE country IS NOT NULL ORDER BY 1"
    ).fetchall()]
    sources = [(r[0], r[1]) for r in con.execute("SELECT id, name FROM sources ORDER BY name, id")
               .fetchall()]
    return countries, sources


def doc_cards(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> dict[str, DocCard]:
    """Source name, country, a text snippet and first-seen time of some documents."""
    if not doc_ids:
        return {}
    wanted, params = ids_in("d.id", doc_ids)
    rows = con.execute(
        "SELECT d.id, coalesce(src.name, d.source_id), src.country, substr(d.text, 1, 280), "  # noqa: S608 - ids_in binds the ids
        "d.first_seen_at FROM documents d LEFT JOIN sources src ON src.id = d.source_id "
        "WHERE " + wanted,  # by the key index: only these rows' text is read
        params,
    ).fetchall()
    return {r[0]: DocCard(r[0], r[1], r[2], r[3], utc(r[4])) for r in rows}


def newest_document_time(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the newest document was first seen (the UI's "now" for replayed stores)."""
    row = con.execute("SELECT max(first_seen_at) FROM documents").fetchone()
    return utc(row[0]) if row else None


@dataclass(frozen=True)
class DraftVersion:
    """One stored version of a commentary draft, for the version history."""

    version: int
    created_at: datetime
    writer: str
    note: str | None
    claims_checked: int
    claims_removed: int


def draft_versions(con: duckdb.DuckDBPyConnection, draft_id: str) -> list[DraftVersion]:
    """Every version of a draft, newest first."""
    rows = con.execute(
        "SELECT version, created_at, writer, note, claims_checked, claims_removed FROM drafts "
        "WHERE id = ? ORDER BY version DESC", [draft_id]).fetchall()
    return [DraftVersion(int(r[0]), utc(r[1]), r[2], r[3], int(r[4]), int(r[5])) for r in rows]
