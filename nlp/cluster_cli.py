"""``radar cluster``: run the pipeline's own enrichment + online clustering over a JSONL file.

The documents go into a private in-memory store and through exactly the functions the
pipeline uses (``enrich_documents`` then ``assign_stories``), in time order.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import duckdb

from config.errors import BadInputError
from config.jsonl import read_jsonl
from config.settings import NlpSettings
from nlp.cluster import story_id_for
from nlp.enrich import Models, assign_stories, enrich_documents
from store.db import migrate
from store.records import content_hash, doc_id_for

_INSERT_DOCS = (
    "INSERT INTO documents (id, url, canonical_url, source_id, title, text, published_at, "
    "published_precision, first_seen_at, updated_at, content_hash) "
    "SELECT id, url, canonical_url, source_id, title, text, published_at::TIMESTAMPTZ, "
    "published_precision, first_seen_at::TIMESTAMPTZ, first_seen_at::TIMESTAMPTZ, content_hash "
    "FROM read_json(?, format='newline_delimited', columns={id:'TEXT', url:'TEXT', "
    "canonical_url:'TEXT', source_id:'TEXT', title:'TEXT', text:'TEXT', published_at:'TEXT', "
    "published_precision:'TEXT', first_seen_at:'TEXT', content_hash:'TEXT'})"
)


def parse_published(value: object) -> tuple[datetime | None, str]:
    """ISO date or datetime -> (UTC instant, precision); (None, "none") when missing/unparseable."""
    if not isinstance(value, str) or not value.strip():
        return None, "none"
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None, "none"
    precision = "date" if len(text) <= 10 else "datetime"
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC), precision


def read_input(path: Path) -> list[dict]:
    """Input lines as dicts (id required); raises BadInputError naming the bad line."""
    docs = []
    for n, row in read_jsonl(path):
        if not isinstance(row, dict) or not row.get("id"):
            raise BadInputError(f"{path}:{n}: each line needs an 'id'")
        docs.append(row)
    return docs


def internal_id(input_id: str) -> str:
    """Store id for an input id (input ids may hold any character)."""
    return doc_id_for("jsonl:" + input_id)


def load_documents(con: duckdb.DuckDBPyConnection, rows: list[dict], tmp_dir: Path) -> None:
    """Insert input rows as documents (undated ones are 'first seen' after the newest dated one).

    The first line wins when an id repeats; the store id is ``internal_id(id)``.
    """
    dated = [parse_published(r.get("published_at"))[0] for r in rows]
    latest = max((d for d in dated if d is not None), default=datetime.now(UTC))
    path = tmp_dir / "documents.jsonl"
    seen: set[str] = set()
    with open(path, "w", encoding="utf-8") as fh:
        for row, when in zip(rows, dated, strict=True):
            doc_id = internal_id(str(row["id"]))
            if doc_id in seen:
                continue
            seen.add(doc_id)
            title, text = str(row.get("title") or ""), str(row.get("text") or "")
            url = str(row.get("url") or "")
            _, precision = parse_published(row.get("published_at"))
            fh.write(json.dumps({
                "id": doc_id, "url": url or str(row["id"]), "canonical_url": doc_id,
                "source_id": urlsplit(url).hostname or "jsonl", "title": title, "text": text,
                "published_at": when.isoformat() if when else None,
                "published_precision": precision,
                "first_seen_at": (when or latest).isoformat(),
                "content_hash": content_hash(title + "\n" + text),
            }, ensure_ascii=False) + "\n")
    con.execute(_INSERT_DOCS, [str(path)])


def cluster_jsonl(
    input_path: Path | str,
    output_path: Path | str,
    settings,
    models: Models | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Cluster a JSONL file of documents into stories; writes ``{"id", "story_id"}`` per line.

    Args:
        input_path: lines with ``id, title, text, published_at, url`` (published_at optional).
        output_path: where to write one ``{"id", "story_id"}`` per input line, in input order.
        settings: ``Settings`` or ``NlpSettings``.
        models: loaded models to reuse (else loaded here).
        progress: enrichment progress callback (done, total).

    Returns:
        Number of lines written. Documents that could not be enriched (empty, unsupported
        language) get a story of their own.
    """
    nlp_settings: NlpSettings = getattr(settings, "nlp", settings)
    rows = read_input(Path(input_path))
    models = models or Models.load(nlp_settings)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        migrate(con)
        with tempfile.TemporaryDirectory(prefix="radar-cluster-") as tmp:
            load_documents(con, rows, Path(tmp))
        enrich_documents(con, models, nlp_settings, progress=progress)
        assign_stories(con, models, nlp_settings)
        stories = dict(con.execute("SELECT doc_id, story_id FROM story_members").fetchall())
    finally:
        con.close()
    out = Path(output_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as fh:
        for row in rows:
            doc_id = internal_id(str(row["id"]))
            story = stories.get(doc_id) or story_id_for(doc_id)
            fh.write(json.dumps({"id": row["id"], "story_id": story}) + "\n")
    return len(rows)
