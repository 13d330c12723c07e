"""Heavy enrichment fanned out: embeddings computed in partitions by any number of workers.

The one writer stays the one writer. A partition task reads its documents from a frozen
read copy of the store (a hard link made for this run), computes the same vectors the
in-process enrichment would (same screening, same blend of title and lead), and writes them
to a Parquet file named by the model and the documents' content hashes (so a repeated task
finds its file and does nothing). The writer then loads those files into ``embeddings``;
the enrichment pass that follows reuses every stored vector of the same content hash and
computes only what is missing, so the results equal an in-process run.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from functools import lru_cache
from pathlib import Path

import duckdb
import numpy as np

from config.settings import NlpSettings, Settings
from store.db import open_duckdb, transaction
from store.enrichment import pending_documents
from store.snapshot import latest_snapshot, reading


@lru_cache(maxsize=2)
def _models(nlp_json: str):
    """The embedding backend and language identifiers, loaded once per worker process."""
    from nlp.embed import load_backend
    from nlp.language import load_identifiers

    nlp = NlpSettings.model_validate_json(nlp_json)
    return load_backend(nlp), load_identifiers(tuple(nlp.languages))


def plan(settings: Settings, work_dir: Path) -> tuple[Path, list[list[str]]]:
    """Freeze the newest read copy for this run and split the documents needing vectors.

    Returns:
        (path of the frozen copy, partitions of document ids); no partitions when nothing
        needs a new vector.
    """

    with reading(settings.db_path):
        pass  # makes the first copy when there is none
    snap = latest_snapshot(settings.db_path)
    work_dir.mkdir(parents=True, exist_ok=True)
    frozen = work_dir / "input.duckdb"
    frozen.unlink(missing_ok=True)
    try:
        os.link(snap, frozen)
    except OSError:
        shutil.copyfile(snap, frozen)
    con = open_duckdb(frozen, read_only=True)
    try:
        ids = [d.id for d in pending_documents(con)]
    finally:
        con.close()
    size = max(1, settings.ops.partition_size)
    return frozen, [ids[i:i + size] for i in range(0, len(ids), size)]


def embed_partition(nlp: NlpSettings, frozen: Path, doc_ids: list[str], out_dir: Path) -> Path:
    """Vectors for a partition of documents, written to Parquet; returns the file.

    Uses the enrichment's own screening and embedding input, so a vector equals the one an
    in-process run would compute. Documents that screening skips get no vector.
    """
    from nlp.embed import embed_documents
    from nlp.screening import screen_document

    backend, identifiers = _models(nlp.model_dump_json())
    con = open_duckdb(frozen, read_only=True)
    try:
        docs = pending_documents(con, doc_ids)
        stored = {r[0] for r in con.execute(
            "SELECT DISTINCT content_hash FROM embeddings WHERE model = ?",
            [backend.name]).fetchall()}
    finally:
        con.close()
    docs = [d for d in docs if d.content_hash not in stored]  # reused by the enrichment anyway
    key = hashlib.sha256("\n".join([backend.name, *sorted(d.content_hash for d in docs)])
                         .encode()).hexdigest()[:24]
    out = Path(out_dir) / f"vectors-{key}.parquet"
    if out.exists():
        return out
    screened = [(d, screen_document(d.title, d.text, d.published_at, identifiers,
                                    nlp.max_text_chars, source_language=d.source_language))
                for d in docs]
    ok = [(d, s) for d, s in screened if s.status == "ok"]
    vectors = (embed_documents(backend, [s.title for _, s in ok], [s.text for _, s in ok],
                               nlp.embed_chars, nlp.embed_title_weight)
               if ok else np.zeros((0, backend.dim), dtype=np.float32))
    rows = [(d.id, backend.name, d.content_hash, backend.dim,
             [float(x) for x in np.round(vectors[i], 7)]) for i, (d, _) in enumerate(ok)]
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    mem = duckdb.connect(":memory:")
    try:
        mem.execute("CREATE TABLE v (doc_id TEXT, model TEXT, content_hash TEXT, dim INTEGER, "
                    "vector FLOAT[])")
        if rows:
            mem.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?)", rows)
        mem.execute(f"COPY v TO '{_sql_path(tmp)}' (FORMAT parquet)")
    finally:
        mem.close()
    os.replace(tmp, out)
    return out


def _sql_path(path: Path) -> str:
    """A file path as a SQL string literal body (COPY takes no parameters)."""
    return str(path).replace("'", "''")


def merge(con: duckdb.DuckDBPyConnection, files: list[Path]) -> int:
    """Load partition files into ``embeddings`` (the writer's side); returns rows loaded."""
    files = [f for f in files if Path(f).exists()]
    if not files:
        return 0
    listing = "[" + ", ".join(f"'{_sql_path(Path(f))}'" for f in files) + "]"
    with transaction(con):
        con.execute(
            "INSERT INTO embeddings (doc_id, model, content_hash, dim, vector) "  # noqa: S608
            f"SELECT doc_id, model, content_hash, dim, vector FROM read_parquet({listing}) "
            "ON CONFLICT (doc_id, model) DO UPDATE SET content_hash = excluded.content_hash, "
            "dim = excluded.dim, vector = excluded.vector")
        loaded = con.execute(f"SELECT count(*) FROM read_parquet({listing})").fetchone()[0]  # noqa: S608
    return int(loaded)
