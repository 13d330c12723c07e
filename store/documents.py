"""Writes and reads for the crawl side: sources, fetches, raw pages, documents, runs, errors."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import duckdb

from store.db import one, transaction
from store.records import Document, FetchRecord, ItemError, RawPage


def now_utc() -> datetime:
    """The current instant in UTC."""
    return datetime.now(UTC)


def upsert_sources(con: duckdb.DuckDBPyConnection, sources: Iterable[Any]) -> int:
    """Insert or update registry sources (pydantic `Source` objects); returns how many."""
    rows = [
        (s.id, s.name, s.publisher, s.country, s.language, s.kind, s.url, s.authority,
         json.dumps(s.model_dump(mode="json")), now_utc())
        for s in sources
    ]
    con.executemany(
        "INSERT INTO sources VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "name = excluded.name, publisher = excluded.publisher, country = excluded.country, "
        "language = excluded.language, kind = excluded.kind, url = excluded.url, "
        "authority = excluded.authority, config = excluded.config, updated_at = excluded.updated_at",
        rows,
    )
    return len(rows)


def record_fetch(con: duckdb.DuckDBPyConnection, run_id: str | None, rec: FetchRecord) -> None:
    """Append one HTTP attempt to `fetches`."""
    con.execute(
        "INSERT INTO fetches (run_id, source_id, url, requested_at, status, etag, last_modified, "
        "content_type, n_bytes, duration_ms, error, raw_hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        [run_id, rec.source_id, rec.url, rec.requested_at, rec.status, rec.etag, rec.last_modified,
         rec.content_type, rec.n_bytes, rec.duration_ms, rec.error, rec.raw_hash],
    )


def confirm_validators(con: duckdb.DuckDBPyConnection, run_id: str | None,
                       rec: FetchRecord) -> None:
    """Give a fetch recorded without them its ETag and Last-Modified, for the next
    conditional GET (see `crawlers.collect.crawl_feed`: only once the feed was handled)."""
    con.execute(
        "UPDATE fetches SET etag = ?, last_modified = ? WHERE run_id IS NOT DISTINCT FROM ? "
        "AND url = ? AND requested_at = ?",
        [rec.etag, rec.last_modified, run_id, rec.url, rec.requested_at],
    )


def spool_lines_ingested(con: duckdb.DuckDBPyConnection, spool: str) -> int:
    """How many lines of a spool (by file name) are in the store already (0: none)."""
    row = con.execute("SELECT lines FROM spool_progress WHERE spool = ?", [spool]).fetchone()
    return int(row[0]) if row else 0


def mark_spool_ingested(con: duckdb.DuckDBPyConnection, spool: str, lines: int) -> None:
    """Record that lines 1..`lines` of a spool are ingested; call inside the batch's
    transaction, so the mark and the rows commit together."""
    con.execute(
        "INSERT INTO spool_progress VALUES (?, ?, ?) ON CONFLICT (spool) DO UPDATE SET "
        "lines = excluded.lines, updated_at = excluded.updated_at",
        [spool, lines, now_utc()],
    )


def forget_spool(con: duckdb.DuckDBPyConnection, spool: str) -> None:
    """Drop a spool's progress once it is fully ingested or quarantined."""
    con.execute("DELETE FROM spool_progress WHERE spool = ?", [spool])


def forget_spools_except(con: duckdb.DuckDBPyConnection, present: set[str]) -> None:
    """Drop the progress of every spool not among `present` (the files still in the spool
    folder): a run killed between removing a spool and forgetting it left the row."""
    con.execute("DELETE FROM spool_progress WHERE NOT list_contains(?::TEXT[], spool)",
                [sorted(present)])


def save_raw(con: duckdb.DuckDBPyConnection, page: RawPage) -> str:
    """Keep response bytes (zlib) keyed by content hash; returns the hash. Idempotent."""
    con.execute(
        "INSERT INTO raw_pages VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING",
        [page.hash, page.url, page.fetched_at, page.content_type, page.encoding, len(page.body),
         zlib.compress(page.body, 6)],
    )
    return page.hash


def load_raw(con: duckdb.DuckDBPyConnection, raw_hash: str) -> bytes | None:
    """The original response bytes for a raw hash."""
    row = con.execute("SELECT body_zlib FROM raw_pages WHERE hash = ?", [raw_hash]).fetchone()
    return zlib.decompress(row[0]) if row else None


def last_validators(con: duckdb.DuckDBPyConnection, url: str) -> tuple[str | None, str | None]:
    """ETag and Last-Modified of the last successful fetch of a URL (for conditional GET)."""
    row = con.execute(
        "SELECT etag, last_modified FROM fetches WHERE url = ? AND status IN (200, 304) "
        "AND (etag IS NOT NULL OR last_modified IS NOT NULL) ORDER BY requested_at DESC LIMIT 1",
        [url],
    ).fetchone()
    return (row[0], row[1]) if row else (None, None)


def known_urls(con: duckdb.DuckDBPyConnection, source_id: str | None = None) -> set[str]:
    """Canonical URLs already stored (optionally for one source)."""
    if source_id is None:
        rows = con.execute("SELECT canonical_url FROM documents").fetchall()
    else:
        rows = con.execute(
            "SELECT canonical_url FROM documents WHERE source_id = ?", [source_id]
        ).fetchall()
    return {r[0] for r in rows}


def upsert_document(con: duckdb.DuckDBPyConnection, doc: Document, atomic: bool = True) -> str:
    """Store a document by canonical URL; a changed text becomes a new version.

    Args:
        con: the store.
        doc: the extracted document.
        atomic: wrap the two writes in their own transaction; False when the caller
            already holds one (batched ingest).

    Returns:
        "new", "updated" (new version kept) or "unchanged".
    """
    row = con.execute(
        "SELECT version, content_hash FROM documents WHERE id = ?", [doc.id]
    ).fetchone()
    now = now_utc()
    if row and row[1] == doc.hash:
        return "unchanged"
    version = (row[0] + 1) if row else 1
    with transaction(con) if atomic else nullcontext():
        con.execute(
            "INSERT INTO document_versions VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING",
            [doc.id, version, doc.hash, doc.title, doc.text, now, doc.raw_hash],
        )
        values = [doc.url, doc.source_id, doc.title, doc.text, doc.language, doc.published_at,
                  doc.published_offset, doc.published_precision, now, doc.hash, doc.raw_hash,
                  doc.extractor, doc.doc_number, doc.doc_type, json.dumps(doc.meta)]
        if row:
            con.execute(
                "UPDATE documents SET version = ?, url = ?, source_id = ?, title = ?, text = ?, "
                "language = ?, published_at = ?, published_offset = ?, published_precision = ?, "
                "updated_at = ?, content_hash = ?, raw_hash = ?, extractor = ?, doc_number = ?, "
                "doc_type = ?, meta = ? WHERE id = ?",
                [version, *values, doc.id],
            )
        else:
            con.execute(
                "INSERT INTO documents (id, version, canonical_url, first_seen_at, url, source_id, "
                "title, text, language, published_at, published_offset, published_precision, "
                "updated_at, content_hash, raw_hash, extractor, doc_number, doc_type, meta) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [doc.id, version, doc.canonical_url, doc.first_seen_at, *values],
            )
    return "updated" if row else "new"


def record_error(con: duckdb.DuckDBPyConnection, run_id: str | None, err: ItemError) -> None:
    """Record a bad item with its reason (the run goes on)."""
    con.execute(
        "INSERT INTO item_errors VALUES (?, ?, ?, ?, ?, ?)",
        [run_id, now_utc(), err.stage, err.item, err.kind, err.reason],
    )


def page_states(con: duckdb.DuckDBPyConnection, urls: Iterable[str]) -> dict[str, datetime | None]:
    """Stored pages among `urls` (canonical) -> the site's last-modified claim we saw.

    Without such a claim, the time we last fetched the page stands in for it: a later
    lastmod still means the page changed since.
    """
    wanted = sorted(set(urls))
    if not wanted:
        return {}
    rows = con.execute(
        "SELECT d.canonical_url, coalesce(p.source_modified, p.checked_at) FROM documents d "
        "LEFT JOIN page_state p ON p.canonical_url = d.canonical_url "
        "WHERE d.canonical_url IN (SELECT unnest(?::TEXT[]))", [wanted],
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def mark_page(con: duckdb.DuckDBPyConnection, canonical_url: str, source_id: str,
              source_modified: datetime | None) -> None:
    """Remember the site's last-modified claim for a page we have just stored."""
    con.execute(
        "INSERT INTO page_state VALUES (?, ?, ?, ?) ON CONFLICT (canonical_url) DO UPDATE SET "
        "source_id = excluded.source_id, "
        "source_modified = coalesce(excluded.source_modified, page_state.source_modified), "
        "checked_at = excluded.checked_at",
        [canonical_url, source_id, source_modified, now_utc()],
    )


def replay_clock(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The replayed instant of the latest crawl run, when that run replayed time (the demo);
    None for a live crawl or no crawl yet."""
    row = con.execute("SELECT counts->>'replay_until' FROM runs WHERE flow = 'crawl' "
                      "ORDER BY started_at DESC LIMIT 1").fetchone()
    return datetime.fromisoformat(row[0]) if row and row[0] else None


def last_run_seen(con: duckdb.DuckDBPyConnection, source_id: str) -> int | None:
    """Items the source's latest (not skipped) run fetched, stored or already known (new,
    updated, unchanged, not modified); None when it never ran."""
    row = con.execute(
        "SELECT r.counts->'sources'->?, s.new_items + s.updated_items FROM source_runs s "
        "LEFT JOIN runs r ON r.id = s.run_id WHERE s.source_id = ? AND s.status <> 'skipped' "
        "ORDER BY s.finished_at DESC LIMIT 1", [source_id, source_id]).fetchone()
    if row is None:
        return None
    seen = json.loads(row[0]) if row[0] else {}
    counted = sum(int(seen.get(k, 0)) for k in ("new", "updated", "unchanged", "not_modified"))
    return max(counted, int(row[1] or 0))


def source_activity(con: duckdb.DuckDBPyConnection, source_id: str, since: datetime,
                    limit: int = 50) -> dict[str, Any]:
    """Raw health facts of one source: runs, last items and recent publication instants."""
    last_ok = one(con,
        "SELECT max(finished_at) FROM source_runs WHERE source_id = ? AND status = 'ok'",
        [source_id])[0]
    runs = con.execute(
        "SELECT status, detail FROM source_runs WHERE source_id = ? AND status <> 'skipped' "
        "ORDER BY finished_at DESC LIMIT 100", [source_id]).fetchall()
    last_new, n_recent = one(con,
        "SELECT max(first_seen_at), count(*) FILTER (WHERE coalesce(published_at, first_seen_at) "
        ">= ?) FROM documents WHERE source_id = ?", [since, source_id])
    published = [r[0] for r in con.execute(
        "SELECT coalesce(published_at, first_seen_at) AS t FROM documents WHERE source_id = ? "
        "ORDER BY t DESC LIMIT ?", [source_id, limit]).fetchall()]
    return {"last_success": last_ok, "runs": runs, "last_new_item": last_new,
            "recent_items": n_recent, "published": published}
