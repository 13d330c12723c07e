"""Store side of the multilingual document vector (table `multilingual_embeddings`, migration 011).

The primary vector (`embeddings`, English MiniLM) is what story clustering and search use by
default; this second vector is one every language shares, so a Chinese report and its English
version can be compared. Accessors for the stages that compare across languages:

* `multilingual_vectors(con, doc_ids)`: doc id -> vector, for clustering across languages;
* `nearest_multilingual(con, vector, limit)`: documents nearest to a query's multilingual
  vector, for search (a Chinese query finds English documents and the other way round);
* `multilingual_model(con)`: which model made the stored vectors (a query must be encoded
  with the same one).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb
import numpy as np

from store.nearest import nearest

TABLE = "multilingual_embeddings"
BULK_INSERT = (
    "INSERT INTO multilingual_embeddings SELECT doc_id, model, recipe, content_hash, dim, vector, "
    "made_at::TIMESTAMPTZ FROM read_json(?, format='newline_delimited', columns={doc_id:'TEXT', "
    "model:'TEXT', recipe:'TEXT', content_hash:'TEXT', dim:'INTEGER', vector:'FLOAT[]', "
    "made_at:'TEXT'})"
)
DELETE_FOR_DOCS = (
    "DELETE FROM multilingual_embeddings WHERE doc_id IN (SELECT unnest(string_split(?, ',')))"
)


def _ids(values: Iterable[str]) -> str:
    out = []
    for v in values:
        if "," in v:
            raise ValueError(f"document id with a comma: {v!r}")
        out.append(v)
    return ",".join(out)


def cached_multilingual(con: duckdb.DuckDBPyConnection, model: str, recipe: str,
                        hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored vectors of this model and recipe by content hash (reused for the same text)."""
    if not hashes:
        return {}
    rows = con.execute(
        "SELECT content_hash, any_value(vector) FROM multilingual_embeddings WHERE model = ? "
        "AND recipe = ? AND content_hash IN (SELECT unnest(string_split(?, ','))) "
        "GROUP BY content_hash", [model, recipe, _ids(hashes)]).fetchall()
    return {h: np.asarray(v, dtype=np.float32) for h, v in rows}


def multilingual_model(con: duckdb.DuckDBPyConnection) -> str | None:
    """The model that made most stored multilingual vectors (None when there are none)."""
    row = con.execute("SELECT model FROM multilingual_embeddings GROUP BY model "
                      "ORDER BY count(*) DESC, model LIMIT 1").fetchone()
    return row[0] if row else None


def multilingual_vectors(con: duckdb.DuckDBPyConnection, doc_ids: Iterable[str],
                         model: str | None = None) -> dict[str, np.ndarray]:
    """Multilingual vector per document (L2-normalised float32); documents without one are
    missing from the result.

    Args:
        con: the store.
        doc_ids: documents wanted.
        model: the model whose vectors to read (default: `multilingual_model`).
    """
    ids = list(doc_ids)
    model = model or multilingual_model(con)
    if not ids or model is None:
        return {}
    rows = con.execute(
        "SELECT doc_id, vector FROM multilingual_embeddings WHERE model = ? "
        "AND doc_id IN (SELECT unnest(string_split(?, ',')))", [model, _ids(ids)]).fetchall()
    return {d: np.asarray(v, dtype=np.float32) for d, v in rows}


def nearest_multilingual(con: duckdb.DuckDBPyConnection, vector: np.ndarray, limit: int,
                         model: str | None = None,
                         scope: set[str] | None = None) -> list[tuple[str, float]]:
    """The `limit` documents whose multilingual vector is closest (cosine) to `vector`.

    Args:
        con: the store.
        vector: the query's L2-normalised multilingual vector (same model as the stored ones).
        limit: how many.
        model: stored model to compare with (default: `multilingual_model`).
        scope: restrict to these document ids (None: all).
    """
    model = model or multilingual_model(con)
    if model is None:
        return []
    return nearest(con, vector, model, limit, scope, table=TABLE)
