"""Warming a newly opened read copy before requests use it (store.reader_pool's ``warm``).

A search on a fresh connection pays for what DuckDB loads lazily: the documents' key index
(a search reads ~300 candidates' rows by key), the full-text extension and postings, and the
vectors' stamp check against the new file (store.nearest). At 1M documents the first search
on a new copy took 190 ms more than the next ones for the candidates alone; ~2,000 key
lookups (0.5 s) bring it to the steady ~45 ms (docs/performance.md, "Warm read copies").
"""

from __future__ import annotations

import logging

import duckdb
import numpy as np

from store.fulltext import bm25, fts_ready, load_fts
from store.multilingual import TABLE as MULTILINGUAL_TABLE
from store.multilingual import multilingual_ranking
from store.nearest import nearest
from store.search import candidate_rows

log = logging.getLogger(__name__)
WARM_LOOKUPS = 2_000  # documents read by key (a search's candidates: ~300)
_BATCH = 250
WARM_QUERY = "trade tariff export policy"


class _StoredVector:
    """An encoder that answers every text with one stored vector (the multilingual ranking
    needs an encoder; warming needs no model loaded)."""

    def __init__(self, name: str, vector: np.ndarray) -> None:
        self.name = name
        self._vector = vector

    def encode(self, texts: list[str]) -> np.ndarray:
        return np.tile(self._vector, (len(texts), 1))


def _stored(con: duckdb.DuckDBPyConnection, table: str) -> tuple[str, np.ndarray] | None:
    """The most common model of a vector table and one of its vectors."""
    row = con.execute(f"SELECT model FROM {table} GROUP BY model "  # noqa: S608 - a fixed name
                      "ORDER BY count(*) DESC, model LIMIT 1").fetchone()
    if row is None:
        return None
    vec = con.execute(f"SELECT vector FROM {table} WHERE model = ? LIMIT 1",  # noqa: S608
                      [row[0]]).fetchone()[0]
    return row[0], np.asarray(vec, dtype=np.float32)


def warm_read_copy(con: duckdb.DuckDBPyConnection, lookups: int = WARM_LOOKUPS) -> None:
    """Run what a search runs first on a read copy, so the first request does not pay for it.

    Reads `lookups` sampled documents' rows by key as search reads its candidates, one BM25
    query, and one nearest-vector query per vector table.

    Args:
        con: a read-only connection to the copy (its own: this runs beside requests).
        lookups: documents read by key.
    """
    total = con.execute("SELECT count(*) FROM documents").fetchone()[0]
    ids = [r[0] for r in con.execute(  # spread over the key space, as candidates are
        "SELECT id FROM documents WHERE hash(id) % ? = 0 LIMIT ?",
        [max(1, total // max(1, lookups)), lookups]).fetchall()]
    for at in range(0, len(ids), _BATCH):
        candidate_rows(con, ids[at:at + _BATCH])
    load_fts(con)
    if fts_ready(con):
        bm25(con, WARM_QUERY, 10)
    primary = _stored(con, "embeddings")
    if primary is not None:
        nearest(con, primary[1], primary[0], 10)
    crossing = _stored(con, MULTILINGUAL_TABLE)
    if crossing is not None:
        enc = _StoredVector(*crossing)
        for query in (WARM_QUERY, "貿易"):  # both script masks
            multilingual_ranking(con, enc, query, 10, other_script=True)
