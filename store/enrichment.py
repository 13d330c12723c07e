"""Store side of enrichment and story clustering: pending documents, bulk writes, story state."""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import numpy as np

from config.pause_points import pause_point
from store import multilingual
from store.db import transaction

# Fixed statements per table (bulk rows arrive as a newline-delimited JSON temp file: binding
# many Python parameters is slow in DuckDB's Python client).
_BULK = {
    "enrichments": (
        "INSERT INTO enrichments SELECT doc_id, content_hash, language, status, note, "
        "pipeline_version, enriched_at::TIMESTAMPTZ FROM read_json(?, format='newline_delimited', "
        "columns={doc_id:'TEXT', content_hash:'TEXT', language:'TEXT', status:'TEXT', note:'TEXT', "
        "pipeline_version:'TEXT', enriched_at:'TEXT'})"
    ),
    "entities": (
        "INSERT INTO entities SELECT doc_id, entity_id, kind, label_en, label_zh, mentions, origin, "
        "model FROM read_json(?, format='newline_delimited', columns={doc_id:'TEXT', "
        "entity_id:'TEXT', kind:'TEXT', label_en:'TEXT', label_zh:'TEXT', mentions:'INTEGER', "
        "origin:'TEXT', model:'TEXT'})"
    ),
    "tags": (
        "INSERT INTO tags SELECT doc_id, kind, tag, score, evidence, model FROM read_json(?, "
        "format='newline_delimited', columns={doc_id:'TEXT', kind:'TEXT', tag:'TEXT', "
        "score:'DOUBLE', evidence:'TEXT', model:'TEXT'})"
    ),
    "embeddings": (
        "INSERT INTO embeddings SELECT doc_id, model, content_hash, dim, vector FROM read_json(?, "
        "format='newline_delimited', columns={doc_id:'TEXT', model:'TEXT', content_hash:'TEXT', "
        "dim:'INTEGER', vector:'FLOAT[]'})"
    ),
    "near_duplicates": (
        "INSERT INTO near_duplicates SELECT doc_id, duplicate_of, similarity, method FROM "
        "read_json(?, format='newline_delimited', columns={doc_id:'TEXT', duplicate_of:'TEXT', "
        "similarity:'DOUBLE', method:'TEXT'})"
    ),
    "minhash_signatures": (
        "INSERT INTO minhash_signatures SELECT doc_id, content_hash, params, size, signature, bands "
        "FROM read_json(?, format='newline_delimited', columns={doc_id:'TEXT', "
        "content_hash:'TEXT', params:'TEXT', size:'INTEGER', signature:'UBIGINT[]', "
        "bands:'BIGINT[]'})"
    ),
    "story_members": (
        "INSERT INTO story_members SELECT doc_id, story_id, similarity, assigned_at::TIMESTAMPTZ, "
        "model FROM read_json(?, format='newline_delimited', columns={doc_id:'TEXT', "
        "story_id:'TEXT', similarity:'DOUBLE', assigned_at:'TEXT', model:'TEXT'})"
    ),
}
_DELETE_FOR_DOCS = {
    "enrichments": "DELETE FROM enrichments WHERE doc_id IN (SELECT unnest(string_split(?, ',')))",
    "entities": "DELETE FROM entities WHERE doc_id IN (SELECT unnest(string_split(?, ',')))",
    "tags": "DELETE FROM tags WHERE doc_id IN (SELECT unnest(string_split(?, ',')))",
    "embeddings": "DELETE FROM embeddings WHERE doc_id IN (SELECT unnest(string_split(?, ',')))",
    "near_duplicates": "DELETE FROM near_duplicates WHERE doc_id IN (SELECT unnest(string_split(?, ',')))",
    "minhash_signatures": (
        "DELETE FROM minhash_signatures WHERE doc_id IN (SELECT unnest(string_split(?, ',')))"
    ),
}


_BULK[multilingual.TABLE] = multilingual.BULK_INSERT
_DELETE_FOR_DOCS[multilingual.TABLE] = multilingual.DELETE_FOR_DOCS


@dataclass(frozen=True)
class PendingDoc:
    """A document that needs (re-)enrichment."""

    id: str
    title: str
    text: str
    content_hash: str
    published_at: datetime | None
    first_seen_at: datetime
    source_id: str
    source_language: str | None = None


@dataclass(frozen=True)
class EnrichmentRows:
    """Everything one batch writes, as plain dict rows per table (doc ids listed separately)."""

    doc_ids: tuple[str, ...]
    tables: dict[str, list[dict[str, Any]]]


def joined(values: Iterable[object]) -> str:
    """Comma-joined values for ``string_split(?, ',')`` (binding a Python list is slow here).

    Raises:
        ValueError: a value contains a comma.
    """
    out = []
    for v in values:
        text = str(v)
        if "," in text:
            raise ValueError(f"value with a comma cannot be joined: {text!r}")
        out.append(text)
    return ",".join(out)


def bulk_insert(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows into one of the enrichment tables via a temporary NDJSON file."""
    if not rows:
        return 0
    fd, path = tempfile.mkstemp(prefix=f"radar-{table}-", suffix=".jsonl")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False, default=_json_default))
                fh.write("\n")
        con.execute(_BULK[table], [path])
    finally:
        os.unlink(path)
    return len(rows)


def _json_default(value: object) -> object:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def pending_documents(
    con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str] | None = None, limit: int | None = None,
    redo_unless: str | None = None,
) -> list[PendingDoc]:
    """Documents with no enrichment row or whose content changed since enrichment.

    Args:
        con: open store.
        doc_ids: restrict to these ids (None = all documents).
        limit: at most this many (oldest first).
        redo_unless: also those enriched by any pipeline version other than this one.
    """
    sql = (
        "SELECT d.id, d.title, d.text, d.content_hash, d.published_at, d.first_seen_at, d.source_id, "
        "s.language FROM documents d LEFT JOIN enrichments e ON e.doc_id = d.id "
        "LEFT JOIN sources s ON s.id = d.source_id "
        "WHERE (e.doc_id IS NULL OR e.content_hash <> d.content_hash "
        "OR (?::VARCHAR IS NOT NULL AND e.pipeline_version IS DISTINCT FROM ?::VARCHAR)) "
        "AND (? OR d.id IN (SELECT unnest(string_split(?, ',')))) "
        "ORDER BY coalesce(d.published_at, d.first_seen_at), d.id LIMIT ?"
    )
    ids = joined(doc_ids) if doc_ids is not None else ""
    rows = con.execute(sql, [redo_unless, redo_unless, doc_ids is None, ids,
                             limit if limit is not None else 2**62]).fetchall()
    return [PendingDoc(*row) for row in rows]


def cached_vectors(
    con: duckdb.DuckDBPyConnection, model: str, hashes: Sequence[str]
) -> dict[str, np.ndarray]:
    """Stored vectors of this model by content hash (reused when the same text comes back)."""
    if not hashes:
        return {}
    rows = con.execute(
        "SELECT content_hash, any_value(vector) FROM embeddings WHERE model = ? "
        "AND content_hash IN (SELECT unnest(string_split(?, ','))) GROUP BY content_hash",
        [model, joined(hashes)],
    ).fetchall()
    return {h: np.asarray(v, dtype=np.float32) for h, v in rows}


def stored_signatures(
    con: duckdb.DuckDBPyConnection, params_tag: str, band_keys: Sequence[int]
) -> list[tuple[str, list[int], list[int], int, str, str, datetime | None]]:
    """Stored MinHash signatures sharing a band key.

    Returns:
        (doc_id, signature, bands, size, root, title, published_at) rows; root is the stored
        document's own ``duplicate_of`` or itself.
    """
    if not band_keys:
        return []
    return con.execute(
        "WITH keys AS (SELECT DISTINCT unnest(string_split(?, ','))::BIGINT AS k), "
        "hits AS (SELECT DISTINCT s.doc_id FROM (SELECT doc_id, unnest(bands) AS k "
        "FROM minhash_signatures WHERE params = ?) s JOIN keys USING (k)) "
        "SELECT m.doc_id, m.signature, m.bands, m.size, coalesce(n.duplicate_of, m.doc_id), "
        "d.title, d.published_at "
        "FROM minhash_signatures m JOIN hits USING (doc_id) "
        "JOIN documents d ON d.id = m.doc_id "
        "LEFT JOIN near_duplicates n ON n.doc_id = m.doc_id",
        [joined(band_keys), params_tag],
    ).fetchall()


def write_enrichment(con: duckdb.DuckDBPyConnection, rows: EnrichmentRows) -> None:
    """Replace every derived row of the batch's documents in one transaction (idempotent)."""
    ids = list(rows.doc_ids)
    with transaction(con):
        for table, stmt in _DELETE_FOR_DOCS.items():
            if table in rows.tables or table == "enrichments":
                con.execute(stmt, [joined(ids)])
        for table, table_rows in rows.tables.items():
            bulk_insert(con, table, table_rows)


def record_item_errors(
    con: duckdb.DuckDBPyConnection, stage: str, errors: Sequence[tuple[str, str, str]]
) -> None:
    """Append (item, kind, reason) rows to item_errors."""
    now = datetime.now(UTC)
    for item, kind, reason in errors:
        con.execute(
            "INSERT INTO item_errors (run_id, happened_at, stage, item, kind, reason) "
            "VALUES (NULL, ?, ?, ?, ?, ?)",
            [now, stage, item, kind, reason[:2000]],
        )


@dataclass(frozen=True)
class ClusterDoc:
    """An enriched, not yet clustered document with what clustering needs."""

    id: str
    title: str
    at: datetime
    vector: np.ndarray
    entities: frozenset[str]
    authority: float
    duplicate_of: str | None
    lead: str = ""  # the text's start if it matches the caller's pattern (else "")
    dated: bool = True  # False: no published_at (``at`` is first_seen_at)


# A text's first ? characters when they match the RE2 pattern ? (none: ''): most texts,
# naming nothing the caller looks for, are never sent over.
_LEAD = ("CASE WHEN ? <> '' AND regexp_matches(substr(d.text, 1, ?), ?) "
         "THEN substr(d.text, 1, ?) ELSE '' END")


def unassigned_documents(
    con: duckdb.DuckDBPyConnection, model: str, generic: frozenset[str],
    lead_pattern: str = "", lead_chars: int = 20000,
) -> list[ClusterDoc]:
    """Enriched documents (status ok, with a vector of ``model``) not in any story, oldest
    first; ``lead_pattern``: whose text start (``lead_chars``) to return as ``lead``."""
    lead = [lead_pattern, lead_chars, lead_pattern, lead_chars]
    rows = con.execute(
        "SELECT d.id, d.title, coalesce(d.published_at, d.first_seen_at) AS doc_at, v.vector, "
        "coalesce(s.authority, 1.0), n.duplicate_of, " + _LEAD + ", d.published_at IS NOT NULL "
        "FROM documents d JOIN enrichments e ON e.doc_id = d.id AND e.status = 'ok' "
        "JOIN embeddings v ON v.doc_id = d.id AND v.model = ? "
        "LEFT JOIN story_members m ON m.doc_id = d.id "
        "LEFT JOIN sources s ON s.id = d.source_id "
        "LEFT JOIN near_duplicates n ON n.doc_id = d.id "
        "WHERE m.doc_id IS NULL ORDER BY doc_at, d.id",
        [*lead, model],
    ).fetchall()
    ents = _gazetteer_entities(con, [r[0] for r in rows], generic)
    return [
        ClusterDoc(r[0], r[1], r[2], np.asarray(r[3], dtype=np.float32),
                   ents.get(r[0], frozenset()), float(r[4]), r[5], r[6], bool(r[7]))
        for r in rows
    ]


def _gazetteer_entities(
    con: duckdb.DuckDBPyConnection, doc_ids: list[str], generic: frozenset[str]
) -> dict[str, frozenset[str]]:
    if not doc_ids:
        return {}
    out: dict[str, set[str]] = {}
    for doc_id, eid in con.execute(
        "SELECT doc_id, entity_id FROM entities WHERE origin = 'gazetteer' "
        "AND doc_id IN (SELECT unnest(string_split(?, ',')))",
        [joined(doc_ids)],
    ).fetchall():
        if eid not in generic:
            out.setdefault(doc_id, set()).add(eid)
    return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True)
class StoredStory:
    """An active story as stored, with its members' vectors, entities and titles."""

    id: str
    first_at: datetime
    last_at: datetime
    members: tuple[tuple[str, np.ndarray, frozenset[str], str, float, datetime, str], ...]


def active_stories(
    con: duckdb.DuckDBPyConnection, model: str, since: datetime, generic: frozenset[str],
    lead_pattern: str = "", lead_chars: int = 20000,
) -> list[StoredStory]:
    """Active stories of this model last seen at or after ``since``, members oldest first
    (each with its text's start, as ``unassigned_documents`` gives it)."""
    stories = con.execute(
        "SELECT id, first_seen_at, last_seen_at FROM stories WHERE status = 'active' "
        "AND model = ? AND last_seen_at >= ? ORDER BY first_seen_at, id",
        [model, since],
    ).fetchall()
    if not stories:
        return []
    ids = [s[0] for s in stories]
    members = con.execute(
        "SELECT m.story_id, d.id, v.vector, d.title, coalesce(s.authority, 1.0), "
        "coalesce(d.published_at, d.first_seen_at), " + _LEAD + " "
        "FROM story_members m JOIN documents d ON d.id = m.doc_id "
        "JOIN embeddings v ON v.doc_id = d.id AND v.model = ? "
        "LEFT JOIN sources s ON s.id = d.source_id "
        "WHERE m.story_id IN (SELECT unnest(string_split(?, ','))) "
        "ORDER BY coalesce(d.published_at, d.first_seen_at), d.id",
        [lead_pattern, lead_chars, lead_pattern, lead_chars, model, joined(ids)],
    ).fetchall()
    ents = _gazetteer_entities(con, [m[1] for m in members], generic)
    by_story: dict[str, list[Any]] = {}
    for sid, doc_id, vec, title, auth, at, text in members:
        by_story.setdefault(sid, []).append(
            (doc_id, np.asarray(vec, dtype=np.float32), ents.get(doc_id, frozenset()), title,
             float(auth), at, text)
        )
    return [
        StoredStory(sid, first, last, tuple(by_story.get(sid, ())))
        for sid, first, last in stories
        if by_story.get(sid)
    ]


@dataclass(frozen=True)
class StoryRow:
    """A story to upsert."""

    id: str
    title: str
    first_at: datetime
    last_at: datetime
    size: int
    centroid: np.ndarray
    status: str
    merged_into: str | None


def save_stories(
    con: duckdb.DuckDBPyConnection,
    model: str,
    stories: Sequence[StoryRow],
    members: Sequence[tuple[str, str, float]],
    moved: Sequence[tuple[str, str]],
    events: Sequence[tuple[datetime, str, str, str, str]],
) -> None:
    """Upsert stories, add new members, re-point moved members, append events (one transaction).

    Args:
        con: open store.
        model: embedding model name the centroids belong to.
        stories: changed stories (new, grown, merged).
        members: new (doc_id, story_id, similarity).
        moved: (doc_id, new story_id) for stored members that changed story (merge, split).
        events: (happened_at, kind, story_id, other_id, detail).
    """
    now = datetime.now(UTC)
    with transaction(con):
        for s in stories:
            con.execute("DELETE FROM stories WHERE id = ?", [s.id])
            con.execute(
                "INSERT INTO stories (id, title, first_seen_at, last_seen_at, size, centroid, "
                "model, status, merged_into, updated_at) "
                "VALUES (?, ?, ?, ?, ?, string_split(?, ',')::FLOAT[], ?, ?, ?, ?)",
                [s.id, s.title, s.first_at, s.last_at, s.size, joined(np.round(s.centroid, 7).tolist()), model,
                 s.status, s.merged_into, now],
            )
        bulk_insert(
            con,
            "story_members",
            [{"doc_id": d, "story_id": sid, "similarity": sim, "assigned_at": now,
              "model": model} for d, sid, sim in members],
        )
        if moved:
            con.execute(
                "UPDATE story_members SET story_id = t.sid FROM (SELECT unnest(string_split(?, ',')) "
                "AS did, unnest(string_split(?, ',')) AS sid) t WHERE story_members.doc_id = t.did",
                [joined(m[0] for m in moved), joined(m[1] for m in moved)],
            )
        for ev in events:
            con.execute("INSERT INTO story_events VALUES (?, ?, ?, ?, ?)", list(ev))
        pause_point("stories-written-uncommitted")  # kill tests stop clustering mid-transaction


def entity_counts(con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str]) -> Counter[str]:
    """How many of the given documents mention each entity (for reports and tests)."""
    rows = con.execute(
        "SELECT entity_id, count(*) FROM entities WHERE doc_id IN (SELECT unnest(string_split(?, ','))) "
        "GROUP BY entity_id",
        [joined(doc_ids)],
    ).fetchall()
    return Counter(dict(rows))
