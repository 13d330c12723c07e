"""Heavy enrichment fanned out: embeddings computed in partitions by any number of workers.

The one writer stays the one writer. A partition task reads its documents from a frozen
read copy of the store (a hard link made for this run), computes the same vectors the
in-process enrichment would (same screening, same blend of title and lead): the primary
vector and, when a multilingual backend is configured, the multilingual one. It writes them
to Parquet files named by the models, the recipe and the documents' content hashes (so a
repeated task finds its files and does nothing). The writer then loads those files into
``embeddings`` and ``multilingual_embeddings``; the enrichment pass that follows reuses every
stored vector of the same content hash and computes only what is missing, so the results
equal an in-process run.
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
    """The embedding backends (primary, multilingual or None) and language identifiers,
    loaded once per worker process."""
    from nlp.embed import load_backend, load_multilingual
    from nlp.language import load_identifiers

    nlp = NlpSettings.model_validate_json(nlp_json)
    return load_backend(nlp), load_multilingual(nlp), load_identifiers(tuple(nlp.languages))


def multilingual_file(vectors_file: Path) -> Path:
    """The multilingual vectors written beside a partition's primary vectors file."""
    return vectors_file.with_name(vectors_file.name.replace("vectors-", "multilingual-", 1))


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
    """Vectors for a partition of documents, written to Parquet; returns the primary file
    (the multilingual one, when configured, is `multilingual_file` of it).

    Uses the enrichment's own screening and embedding input, so a vector equals the one an
    in-process run would compute. Documents that screening skips get no vector.
    """
    from nlp.embed import multilingual_recipe
    from nlp.screening import screen_document

    backend, multi, identifiers = _models(nlp.model_dump_json())
    recipe = multilingual_recipe(nlp)
    con = open_duckdb(frozen, read_only=True)
    try:
        docs = pending_documents(con, doc_ids)
        hashes = [d.content_hash for d in docs]
        stored = _stored_hashes(con, "embeddings", backend.name, hashes)
        stored_multi = (_stored_hashes(con, "multilingual_embeddings", multi.name, hashes,
                                       recipe) if multi else set())
    finally:
        con.close()
    names = [backend.name, multi.name if multi else "-", recipe]
    key = hashlib.sha256("\n".join([*names, *sorted(d.content_hash for d in docs)])
                         .encode()).hexdigest()[:24]
    out = Path(out_dir) / f"vectors-{key}.parquet"
    if out.exists():
        return out
    screened = [(d, screen_document(d.title, d.text, d.published_at, identifiers,
                                    nlp.max_text_chars, source_language=d.source_language))
                for d in docs]
    ok = [(d, s) for d, s in screened if s.status == "ok"]
    if multi is not None:  # written first: the primary file's presence means both are done
        todo = [(d, s) for d, s in ok if d.content_hash not in stored_multi]
        _write_vectors(multilingual_file(out), multi, todo, nlp.multilingual_chars,
                       nlp.embed_title_weight, recipe)
    todo = [(d, s) for d, s in ok if d.content_hash not in stored]  # reused by the enrichment
    _write_vectors(out, backend, todo, nlp.embed_chars, nlp.embed_title_weight)
    return out


def _stored_hashes(con, table: str, model: str, hashes: list[str],
                   recipe: str | None = None) -> set[str]:
    """Which of the partition's content hashes have a vector of this model (and recipe)
    already: asked for these hashes, not read for the whole store by every task."""
    sql = (f"SELECT DISTINCT content_hash FROM {table} WHERE model = ? "  # noqa: S608 - fixed names
           "AND content_hash IN (SELECT unnest(string_split(?, ',')))")
    params = [model, ",".join(hashes)]
    if recipe is not None:
        sql += " AND recipe = ?"
        params.append(recipe)
    return {r[0] for r in con.execute(sql, params).fetchall()}


def _write_vectors(out: Path, backend, docs, chars: int, title_weight: float,
                   recipe: str | None = None) -> None:
    """Vectors of (document, screened) pairs to a Parquet file (atomically)."""
    from nlp.embed import embed_documents

    vectors = (embed_documents(backend, [s.title for _, s in docs], [s.text for _, s in docs],
                               chars, title_weight)
               if docs else np.zeros((0, backend.dim), dtype=np.float32))
    rows = [(d.id, backend.name, d.content_hash, backend.dim,
             [float(x) for x in np.round(vectors[i], 7)], recipe) for i, (d, _) in enumerate(docs)]
    tmp = out.with_suffix(f".{os.getpid()}.tmp")
    mem = duckdb.connect(":memory:")
    try:
        mem.execute("CREATE TABLE v (doc_id TEXT, model TEXT, content_hash TEXT, dim INTEGER, "
                    "vector FLOAT[], recipe TEXT)")
        if rows:
            mem.executemany("INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)", rows)
        mem.execute(f"COPY v TO '{_sql_path(tmp)}' (FORMAT parquet)")
    finally:
        mem.close()
    os.replace(tmp, out)


def _sql_path(path: Path) -> str:
    """A file path as a SQL string literal body (COPY takes no parameters)."""
    return str(path).replace("'", "''")


def merge(con: duckdb.DuckDBPyConnection, files: list[Path]) -> int:
    """Load partition files into ``embeddings`` and, where a partition wrote them,
    ``multilingual_embeddings`` (the writer's side); returns primary vector rows loaded."""
    files = [Path(f) for f in files if Path(f).exists()]
    if not files:
        return 0
    multi = [m for f in files if (m := multilingual_file(f)).exists()]
    with transaction(con):
        # The statement's count is the rows it inserted or updated: the files' rows, read once.
        (loaded,) = con.execute(
            "INSERT INTO embeddings (doc_id, model, content_hash, dim, vector) "  # noqa: S608
            f"SELECT doc_id, model, content_hash, dim, vector FROM read_parquet({_listing(files)}) "
            "ON CONFLICT (doc_id, model) DO UPDATE SET content_hash = excluded.content_hash, "
            "dim = excluded.dim, vector = excluded.vector").fetchone()
        if multi:
            con.execute(
                "INSERT INTO multilingual_embeddings (doc_id, model, recipe, content_hash, dim, "  # noqa: S608
                "vector, made_at) SELECT doc_id, model, recipe, content_hash, dim, vector, now() "
                f"FROM read_parquet({_listing(multi)}) ON CONFLICT (doc_id, model) DO UPDATE SET "
                "recipe = excluded.recipe, content_hash = excluded.content_hash, "
                "dim = excluded.dim, vector = excluded.vector, made_at = excluded.made_at")
    return int(loaded)


def _listing(files: list[Path]) -> str:
    return "[" + ", ".join(f"'{_sql_path(f)}'" for f in files) + "]"
