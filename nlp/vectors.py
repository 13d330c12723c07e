"""Document vectors for enrichment: the primary vector (clustering and search by default) and
the multilingual one every language shares, each reusing stored vectors of the same model and
content hash, and the rows that store them with their provenance."""

from __future__ import annotations

from datetime import datetime

import duckdb
import numpy as np

from config.settings import NlpSettings
from nlp.embed import EmbeddingBackend, embed_documents, multilingual_recipe
from store.enrichment import cached_vectors
from store.multilingual import cached_multilingual


def _embed(backend: EmbeddingBackend, docs, screened, cached: dict, chars: int,
           title_weight: float) -> tuple[np.ndarray, int]:
    """Vectors for docs, cached ones by content hash; returns (vectors, number reused)."""
    todo = [i for i, d in enumerate(docs) if d.content_hash not in cached]
    out = np.zeros((len(docs), backend.dim), dtype=np.float32)
    if todo:
        out[todo] = embed_documents(backend, [screened[docs[i].id].title for i in todo],
                                    [screened[docs[i].id].text for i in todo], chars, title_weight)
    for i, d in enumerate(docs):
        if d.content_hash in cached:
            out[i] = cached[d.content_hash]
    return out, len(docs) - len(todo)


def primary_cache(con: duckdb.DuckDBPyConnection, backend: EmbeddingBackend,
                  docs) -> dict[str, np.ndarray]:
    """Stored primary vectors of this backend for the docs' content hashes."""
    return cached_vectors(con, backend.name, [d.content_hash for d in docs])


def embed_primary(backend: EmbeddingBackend, settings: NlpSettings, docs, screened,
                  cached: dict[str, np.ndarray]) -> tuple[np.ndarray, int]:
    """Primary vectors for docs given the stored ones (``primary_cache``); touches no store,
    so enrichment runs it in a second thread while the first does NER (nlp/enrich.py)."""
    return _embed(backend, docs, screened, cached, settings.embed_chars,
                  settings.embed_title_weight)


def multilingual_rows(con: duckdb.DuckDBPyConnection, backend: EmbeddingBackend | None,
                      settings: NlpSettings, docs, screened, now: datetime) -> list[dict]:
    """`multilingual_embeddings` rows for docs (none without a multilingual backend).

    The lead is ``nlp.multilingual_chars`` long: USE's cost grows with tokens and a Chinese
    character is about one token, so 300 characters of Chinese say about what 1,000 of English
    do (docs/performance.md, "Cross-lingual").
    """
    if backend is None or not docs:
        return []
    recipe = multilingual_recipe(settings)
    cached = cached_multilingual(con, backend.name, recipe, [d.content_hash for d in docs])
    vectors, _ = _embed(backend, docs, screened, cached, settings.multilingual_chars,
                        settings.embed_title_weight)
    return [{"doc_id": d.id, "model": backend.name, "recipe": recipe,
             "content_hash": d.content_hash, "dim": backend.dim,
             "vector": np.round(vectors[i], 7), "made_at": now} for i, d in enumerate(docs)]
