"""Warming a new read copy: on a real store with documents, BM25 postings and both vector
tables, the warm-up reads what a search reads first, and leaves the search's answers as they
were (it only loads; it changes nothing)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from crawlers.registry import load_registry
from replay.snapshot_docs import snapshot_documents
from store import nearest as nearest_module
from store.db import connect, open_duckdb
from store.fulltext import bm25, load_fts, refresh_search_index
from store.nearest import vector_literal
from store.read_copies import snapshot_dir
from store.reader_warmup import warm_read_copy
from store.snapshot import latest_snapshot, publish

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"


def _store(path: Path, with_vectors: bool) -> list[str]:
    con = connect(path)
    reg = load_registry()
    from store.documents import upsert_document, upsert_sources

    upsert_sources(con, reg.sources)
    for i, d in enumerate(snapshot_documents(SNAPSHOT, reg)):
        if i >= 40:
            break
        upsert_document(con, d)
    ids = [r[0] for r in con.execute("SELECT id FROM documents ORDER BY id").fetchall()]
    assert refresh_search_index(con) is True
    if with_vectors:
        rng = np.random.default_rng(0)
        for table, dim in (("embeddings", 8), ("multilingual_embeddings", 6)):
            rows = []
            for doc_id in ids:
                v = rng.standard_normal(dim).astype(np.float32)
                rows.append((doc_id, vector_literal(v / np.linalg.norm(v))))
            if table == "embeddings":
                con.executemany("INSERT INTO embeddings VALUES (?, 'm', 'h', 8, ?::FLOAT[])", rows)
            else:
                con.executemany("INSERT INTO multilingual_embeddings (doc_id, model, recipe, "
                                "content_hash, dim, vector, made_at) VALUES (?, 'use', 'r', 'h', "
                                "6, ?::FLOAT[], now())", rows)
    con.close()
    publish(path)
    return ids


def test_warming_a_copy_loads_its_vectors_and_changes_no_answer(tmp_path):
    path = tmp_path / "radar.duckdb"
    _store(path, with_vectors=True)
    con = open_duckdb(latest_snapshot(path), read_only=True)
    load_fts(con)
    before = bm25(con, "tariff trade", 10)
    assert before
    warm_read_copy(con, lookups=30)
    cached = {k[2] for k in nearest_module._CACHE if k[0] == str(snapshot_dir(path))}
    assert cached == {"embeddings", "multilingual_embeddings"}  # both matrices are loaded
    assert bm25(con, "tariff trade", 10) == before
    con.close()


def test_warming_a_store_without_vectors_or_documents_is_harmless(tmp_path):
    path = tmp_path / "radar.duckdb"
    connect(path).close()
    publish(path)
    con = open_duckdb(latest_snapshot(path), read_only=True)
    warm_read_copy(con)  # an empty store: nothing to read
    con.close()
    path2 = tmp_path / "two.duckdb"
    _store(path2, with_vectors=False)
    con = open_duckdb(latest_snapshot(path2), read_only=True)
    warm_read_copy(con, lookups=10)
    con.close()
