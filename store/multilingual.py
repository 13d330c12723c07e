"""Store side of the multilingual document vector (table `multilingual_embeddings`, migration 011).

The primary vector (`embeddings`, English MiniLM) is what story clustering and search use by
default; this second vector is one every language shares, so a Chinese report and its English
version can be compared. Accessors for the stages that compare across languages:

* `multilingual_vectors(con, doc_ids)`: doc id -> vector, for clustering across languages;
* `nearest_multilingual(con, vector, limit)`: documents nearest to a query's multilingual
  vector, for search (a Chinese query finds English documents and the other way round);
* `multilingual_ranking(con, encoder, query, pool)`: the same from the query text, for the
  vector half of hybrid search (the encoder is `nlp.embed.load_multilingual`'s);
* `multilingual_model(con)`: which model made the stored vectors (a query must be encoded
  with the same one).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import duckdb
import numpy as np

from store.nearest import RowMask, nearest

log = logging.getLogger(__name__)
TABLE = "multilingual_embeddings"
_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
# A query's cosine to a document in another language runs lower than within one language.
# On the RTHK dev set (short queries: 10 characters of a Chinese title, 6 words of an English
# one) the query's own event was among the 10 nearest other-language documents with cosine
# >= 0.25 for 83 % of Chinese and 93 % of English queries (0.35: 53 % and 78 %), 4.5 and 8.0
# such documents per query (docs/performance.md, "Cross-lingual"). Search takes at most TOP.
MIN_COSINE = 0.25
TOP = 10


class Encoder(Protocol):
    """What a multilingual query encoder offers (nlp.embed.UseBackend fits)."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised rows."""
        ...
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


def multilingual_ranking(con: duckdb.DuckDBPyConnection, encoder: Encoder, query: str,
                         pool: int = 100, scope: set[str] | None = None,
                         other_script: bool = False,
                         keep: Callable[[list[str]], set[str]] | None = None,
                         ) -> list[tuple[str, float]]:
    """Documents by the cosine of their multilingual vector to the query's, best first.

    The query may be in any language the encoder knows; documents in other languages rank
    too. Empty when the store has no vectors of the encoder's model (a warning says why).

    Args:
        con: the store.
        encoder: the multilingual backend (the model the stored vectors were made with).
        query: search text.
        pool: candidates returned at most.
        scope: restrict to these document ids (None: all).
        other_script: only documents whose language is written in the other script family
            than the query (CJK vs. not): the cross-language half that the query's own words
            and the primary vector cannot find.
        keep: a further condition on candidate ids (`store.nearest.nearest`'s), such as a
            broad search filter checked in SQL.
    """
    if not query.strip():
        return []
    model = encoder.name
    # Whether the encoder's model has stored vectors stops at the first row; which model has
    # the most (a GROUP BY over every vector, 13 ms at 1M) is asked only to say why not.
    if con.execute("SELECT 1 FROM multilingual_embeddings WHERE model = ? LIMIT 1",
                   [model]).fetchone() is None:
        stored = multilingual_model(con)
        if stored is not None:
            log.warning("stored multilingual vectors are %s, the query encoder is %s; skipped",
                        stored, model)
        return []
    vector = np.asarray(encoder.encode([query]), dtype=np.float32)[0]
    if not other_script:
        return nearest(con, vector, model, pool, scope, table=TABLE, keep=keep)
    # The language enrichment found, else the one the source declared: kept per row with
    # the vectors (store.nearest.RowMask), not read for the candidates on every query (a join
    # per batch, 30-130 ms at 1M).
    mask = RowMask("cjk-language", _cjk_rows, negate=bool(_CJK.search(query)))
    return nearest(con, vector, model, pool, scope, table=TABLE, keep=keep, mask=mask)


def _cjk_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> np.ndarray:
    """Whether each document's language is Chinese, Japanese or Korean (enrichment's, else
    the source's), in the order of `ids`."""
    cjk = {r[0] for r in con.execute(
        "SELECT c.id FROM (SELECT unnest(string_split(?, ',')) AS id) c "
        "JOIN documents d ON d.id = c.id "
        "LEFT JOIN enrichments e ON e.doc_id = c.id AND e.status = 'ok' "
        "WHERE left(coalesce(e.language, d.language, ''), 2) IN ('zh', 'ja', 'ko')",
        [_ids(ids)]).fetchall()}
    return np.fromiter((d in cjk for d in ids), dtype=bool, count=len(ids))
