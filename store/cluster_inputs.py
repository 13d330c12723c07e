"""What cross-language story clustering reads besides the primary vector: each document's
language (``enrichments``) and its multilingual vector (``multilingual_embeddings``,
``store.multilingual``)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb
import numpy as np

from store.enrichment import joined
from store.multilingual import multilingual_vectors


def languages_and_vectors(
    con: duckdb.DuckDBPyConnection, doc_ids: Sequence[str]
) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """(doc id -> detected language, doc id -> multilingual vector) for these documents;
    documents without either are missing from that mapping."""
    if not doc_ids:
        return {}, {}
    rows = con.execute(
        "SELECT doc_id, language FROM enrichments WHERE status = 'ok' "
        "AND doc_id IN (SELECT unnest(string_split(?, ',')))", [joined(doc_ids)]).fetchall()
    return {d: lang or "" for d, lang in rows}, multilingual_vectors(con, doc_ids)
