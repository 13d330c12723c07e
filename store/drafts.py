"""Commentary drafts in the store: every version with the inputs that reproduce it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from config.errors import NotFoundError


@dataclass(frozen=True)
class DraftRow:
    """One stored version of a draft."""

    draft_id: str
    version: int
    created_at: datetime
    query: str
    search_query: str
    filters: dict[str, Any]
    doc_ids: list[dict[str, Any]]
    story_ids: list[str]
    writer: str
    model: str
    settings: dict[str, Any]
    content_hash: str
    content: dict[str, Any]
    markdown: str
    claims_checked: int
    claims_removed: int
    note: str | None


def draft_key(query: str, filters: dict[str, Any]) -> str:
    """Stable id of a request: the same query and filters give the same draft id."""
    blob = json.dumps({"q": " ".join(query.lower().split()), "f": filters}, sort_keys=True,
                      ensure_ascii=False, default=str)
    return "c" + hashlib.sha1(blob.encode("utf-8")).hexdigest()[:15]


def content_hash(content: dict[str, Any]) -> str:
    """Hash of draft content (callers leave timestamps and ids out of `content`)."""
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]


def latest_version(con: duckdb.DuckDBPyConnection, draft_id: str) -> tuple[int, str] | None:
    """(version, content hash) of the newest version of a draft, if any."""
    row = con.execute(
        "SELECT version, content_hash FROM drafts WHERE id = ? ORDER BY version DESC LIMIT 1",
        [draft_id],
    ).fetchone()
    return (int(row[0]), row[1]) if row else None


def save_draft(con: duckdb.DuckDBPyConnection, row: DraftRow) -> tuple[int, bool]:
    """Store a draft; identical content to the newest version is not stored again.

    Args:
        con: writable store.
        row: the draft; its `version` is ignored (the next free one is used).

    Returns:
        (version, True when a new version was written).
    """
    latest = latest_version(con, row.draft_id)
    if latest and latest[1] == row.content_hash:
        return latest[0], False
    version = (latest[0] + 1) if latest else 1
    con.execute(
        "INSERT INTO drafts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [row.draft_id, version, row.created_at, row.query, row.search_query,
         json.dumps(row.filters, default=str), json.dumps(row.doc_ids), json.dumps(row.story_ids),
         row.writer, row.model, json.dumps(row.settings, default=str), row.content_hash,
         json.dumps(row.content, ensure_ascii=False, default=str), row.markdown,
         row.claims_checked, row.claims_removed, row.note],
    )
    return version, True


def _row(r: tuple[Any, ...]) -> DraftRow:
    def js(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v

    return DraftRow(r[0], int(r[1]), r[2], r[3], r[4], js(r[5]), js(r[6]), js(r[7]), r[8], r[9],
                    js(r[10]), r[11], js(r[12]), r[13], int(r[14]), int(r[15]), r[16])


def load_draft(con: duckdb.DuckDBPyConnection, draft_id: str, version: int | None = None) -> DraftRow:
    """One version of a draft (the newest by default).

    Raises:
        NotFoundError: no such draft or version.
    """
    if version is None:
        row = con.execute("SELECT * FROM drafts WHERE id = ? ORDER BY version DESC LIMIT 1",
                          [draft_id]).fetchone()
    else:
        row = con.execute("SELECT * FROM drafts WHERE id = ? AND version = ?",
                          [draft_id, version]).fetchone()
    if row is None:
        what = f"draft {draft_id!r}" + (f" version {version}" if version is not None else "")
        raise NotFoundError(f"{what} does not exist")
    return _row(row)


def add_revision(con: duckdb.DuckDBPyConnection, draft_id: str, markdown: str,
                 note: str = "") -> int:
    """Store an edited text as a new version (same inputs, writer "revision").

    Raises:
        NotFoundError: the draft does not exist.
    """
    base = load_draft(con, draft_id)
    content = {**base.content, "revised_markdown": markdown}
    revised = DraftRow(**{**base.__dict__, "created_at": datetime.now(UTC), "writer": "revision",
                          "content": content, "markdown": markdown, "note": note or None,
                          "content_hash": content_hash({"markdown": markdown,
                                                        "base": base.content_hash})})
    return save_draft(con, revised)[0]


def list_drafts(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple[str, int, datetime, str, str]]:
    """Newest drafts: (id, version, created_at, query, writer)."""
    return [(r[0], int(r[1]), r[2], r[3], r[4]) for r in con.execute(
        "SELECT id, version, created_at, query, writer FROM drafts "
        "ORDER BY created_at DESC, id, version DESC LIMIT ?", [limit]).fetchall()]
