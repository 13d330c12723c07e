"""What an enrichment run left in a store, for tests that compare two runs."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np

QUERIES = {
    "enrichments": "SELECT doc_id, status, language FROM enrichments ORDER BY 1",
    "tags": "SELECT doc_id, kind, tag, round(score, 4) FROM tags ORDER BY ALL",
    "entities": "SELECT doc_id, entity_id, mentions FROM entities ORDER BY ALL",
    "near_duplicates": "SELECT doc_id, duplicate_of FROM near_duplicates ORDER BY ALL",
    "stories": "SELECT list(doc_id ORDER BY doc_id) FROM story_members GROUP BY story_id "
               "ORDER BY 1",
}


def enrichment_rows(db: Path | str, vectors: bool = False) -> dict:
    """Enrichment outcomes, tags, entities, near-duplicates and story groupings of a store
    (and, with `vectors`, each document's embedding), in a stable order."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        out = {k: con.execute(sql).fetchall() for k, sql in QUERIES.items()}
        if vectors:
            out["vectors"] = {d: np.asarray(v, dtype=np.float32) for d, v in con.execute(
                "SELECT doc_id, vector FROM embeddings").fetchall()}
        return out
    finally:
        con.close()
