"""Load the documents a draft may cite: metadata, the source's own date, clean sentences."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from commentary.records import SourceDoc
from nlp.sentences import clean_markdown, split_sentences, without_title
from store.db import ids_in
from zhtw.kinds import doc_kind

_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")
_MIN_WORDS = 5
_MAX_CHARS = 2500
def local_day(published: datetime | None, offset: str | None, tz: str | None) -> date | None:
    """The publication date as the source wrote it: in its offset, else its zone, else UTC."""
    if published is None:
        return None
    m = _OFFSET.match(offset or "")
    if m:
        sign = -1 if m.group(1) == "-" else 1
        delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3))) * sign
        return (published.astimezone(ZoneInfo("UTC")) + delta).date()
    if tz:
        try:
            return published.astimezone(ZoneInfo(tz)).date()
        except ZoneInfoNotFoundError:
            pass
    return published.astimezone(ZoneInfo("UTC")).date()


def sentences_of(text: str, title: str = "") -> tuple[str, ...]:
    """Citable sentences of a document text, in reading order (markup, fragments and a leading
    copy of the title dropped)."""
    out = []
    for paragraph in clean_markdown(without_title(text, title) if title else text):
        for s in split_sentences(paragraph):
            s = s.strip()
            if len(s.split()) >= _MIN_WORDS and len(s) <= _MAX_CHARS:
                out.append(s)
    return tuple(out)


def _meta_lines(meta: dict) -> tuple[str, ...]:
    lines = []
    if meta.get("effective_on"):
        lines.append(f"Effective on {meta['effective_on']}.")
    if meta.get("agencies"):
        lines.append("Agencies: " + "; ".join(str(a) for a in meta["agencies"]) + ".")
    if meta.get("executive_order_number"):
        lines.append(f"Executive Order {meta['executive_order_number']}.")
    return tuple(lines)


def load_sources(con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str],
                 relevance: dict[str, float] | None = None) -> list[SourceDoc]:
    """The documents with these ids, oldest first (unknown ids are skipped)."""
    if not doc_ids:
        return []
    wanted, params = ids_in("d.id", doc_ids)  # by the key index: only these rows' text is read
    rows = con.execute(
        "SELECT d.id, d.title, d.url, coalesce(s.publisher, s.name, d.source_id), d.source_id, "  # noqa: S608 - ids_in binds the ids
        "d.published_at, d.published_offset, s.config, d.version, d.content_hash, d.text, d.meta, "
        "m.story_id, d.first_seen_at, s.country "
        "FROM documents d LEFT JOIN sources s ON s.id = d.source_id "
        "LEFT JOIN story_members m ON m.doc_id = d.id "
        "WHERE " + wanted, params,
    ).fetchall()
    relevance = relevance or {}
    docs = []
    for r in rows:
        config = json.loads(r[7]) if isinstance(r[7], str) else (r[7] or {})
        meta = json.loads(r[11]) if isinstance(r[11], str) else (r[11] or {})
        day = local_day(r[5] or r[13], r[6], config.get("timezone"))
        docs.append(SourceDoc(
            doc_id=r[0], title=r[1], url=r[2], publisher=r[3], source_id=r[4],
            kind=doc_kind(r[2], r[1]), day=day, version=int(r[8]), content_hash=r[9],
            sentences=sentences_of(r[10] or "", r[1] or ""), meta_lines=_meta_lines(meta),
            relevance=relevance.get(r[0], 0.0), story_id=r[12], country=r[14],
        ))
    docs.sort(key=lambda d: (d.day or date.min, d.doc_id))
    return docs
