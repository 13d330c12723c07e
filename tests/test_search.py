"""Hybrid search over real documents: BM25 index, phrase-aware matching, filters, stories,
read-only use, and (slow) embedding similarity with the real MiniLM model."""

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from commentary.query import load_synonyms, load_vocabulary, prepare_query
from crawlers.registry import load_registry
from replay.snapshot_docs import snapshot_documents
from store.db import connect
from store.documents import upsert_document, upsert_sources
from store.fulltext import refresh_search_index
from store.records import Document
from store.search import SearchFilters, phrase_units, query_terms, search, snippet, unit_regex
from store.vocabulary import lookup

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
# Mean top-10 precision of the labelled queries, BM25 half (docs/quality.md, "Search
# precision"); never lower them. Dev measured 0.705, held-out 0.647 (2026-12-02, fourth pass).
PRECISION_FLOOR = 0.69
HELDOUT_PRECISION_FLOOR = 0.64
KEYS = ("as-applied-to-low-value-imports/", "closes-de-minimis-exemptions-to-combat-chinas",
        "suspending-duty-free-de-minimis-treatment-for-all-countries/",
        "imposing-tariffs-on-countries-importing-venezuelan-oil", "2025-07325",
        "america-first-trade-policy/", "2025/03/addressing-risks-from-paul-weiss",
        # for precision: names, acronyms and word senses
        "2025-00334/privacy-act-regulations", "kimberley-process-certification-scheme",
        "invocation-of-the-alien-enemies-act", "medicaid-and-chip-payment-and-access-commission",
        "delivers-justice-for-terrorists-security-for-americans",
        "whitehouse.gov/presidential-actions/2025/03/establishing-the-united-states-investment",
        "presidential-actions/2025/08/improving-oversight-of-federal-grantmaking/", "2025-05426",
        "2025-05427",
        "2025-06591")
FOREIGN = SNAPSHOT / "foreign"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store with real 2025 documents (orders, fact sheets, a Federal Register notice, and
    unrelated ones), indexed."""
    path = tmp_path_factory.mktemp("search") / "radar.duckdb"
    con = connect(path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    docs = {}
    for d in snapshot_documents(SNAPSHOT, reg, keep=lambda r: any(k in r["url"] for k in KEYS)):
        upsert_document(con, d)
        docs[d.url] = d
    missing = [k for k in KEYS if not any(k in u for u in docs)]
    for d in [*raw_documents(missing), *foreign_documents()]:
        upsert_document(con, d)
        docs[d.url] = d
    assert refresh_search_index(con) is True
    yield con, docs, path
    con.close()


def raw_documents(keys):
    """Federal Register records the demo's trade/technology query leaves out (a Privacy Act
    notice, the Medicaid/CHIP commission), stored as they are."""
    with gzip.open(SNAPSHOT / "federal_register.jsonl.gz", "rt", encoding="utf-8") as fh:
        recs = [r for line in fh if any(k in (r := json.loads(line))["url"] for k in keys)]
    for r in recs:
        at = datetime.fromisoformat(r["published"][:10]).replace(tzinfo=UTC)
        yield Document(url=r["url"], canonical_url=r["url"], source_id="fr-trade-technology",
                       title=r["title"], text=r["text"] or "", published_at=at, first_seen_at=at,
                       language="en")


def foreign_documents():
    """Real 總統府 (zh-Hant) and METI (ja) items from the bundled snapshot: the presidential
    office's April 2025 responses to the reciprocal tariffs and a few others."""
    out = []
    for name, source in (("tw-president.jsonl.gz", "tw-president-news"),
                         ("jp-meti-atom.jsonl.gz", "meti-news-ja"),
                         ("kr-press-index.jsonl.gz", "msit-press-en")):  # a KR source id
        with gzip.open(FOREIGN / name, "rt", encoding="utf-8") as fh:
            recs = [json.loads(line) for line in fh]
        picked = [r for r in recs if any(w in r["title"] for w in ("關稅", "関税", "반도체"))] \
            + recs[:5]
        for r in {r["url"]: r for r in picked}.values():
            at = datetime.fromisoformat(r["published"][:10]).replace(tzinfo=UTC)
            out.append(Document(url=r["url"], canonical_url=r["url"], source_id=source,
                                title=r["title"], text=r["text"] or "", published_at=at,
                                first_seen_at=at, language=r["lang"]))
    return out


def by_key(docs, key):
    return next(d for u, d in docs.items() if key in u)


def test_query_terms_drop_stop_words():
    assert query_terms("US ends de minimis for Chinese parcels!") == (
        "ends", "de", "minimis", "chinese", "parcels")


def test_phrase_units_pair_words_used_together():
    counts = {("de", "minimi"): (10, 10), ("minimi", "parcel"): (5, 0)}
    units = phrase_units(["de", "minimi", "parcel"], lambda a, b: counts.get((a, b), (0, 0)))
    assert units == (("de", "minimi"), ("parcel",))


def test_bm25_finds_the_de_minimis_orders_and_not_tren_de_aragua(store):
    con, docs, _ = store
    result = search(con, None, "de minimis")
    found = {h.url for h in result.docs}
    assert by_key(docs, "as-applied-to-low-value-imports/").url in found
    assert by_key(docs, "suspending-duty-free-de-minimis").url in found
    assert by_key(docs, "2025-07325").url in found  # the Federal Register notice
    assert by_key(docs, "venezuelan-oil").url not in found  # "Tren de Aragua" is not the phrase
    assert by_key(docs, "paul-weiss").url not in found
    assert result.methods == ("bm25",)
    assert all(h.bm25 is not None and h.coverage == 1.0 for h in result.docs)


def test_news_wording_reaches_official_wording(store):
    con, docs, _ = store
    plain = search(con, None, "US ends de minimis for Chinese parcels")
    widened = search(con, None, "US ends de minimis for Chinese parcels", synonyms=load_synonyms())
    eo = by_key(docs, "as-applied-to-low-value-imports/").id
    cover = {h.doc_id: h.coverage for h in widened.docs}
    assert cover[eo] == 1.0 > {h.doc_id: h.coverage for h in plain.docs}.get(eo, 0.0)


def test_filters_dates_sources_countries_topics_stories(store):
    con, docs, _ = store
    eo = by_key(docs, "as-applied-to-low-value-imports/")
    july = by_key(docs, "suspending-duty-free-de-minimis")
    april = SearchFilters(since=datetime(2025, 4, 1, tzinfo=UTC), until=datetime(2025, 4, 30, tzinfo=UTC))
    assert {h.doc_id for h in search(con, None, "de minimis", april).docs} >= {eo.id}
    assert july.id not in {h.doc_id for h in search(con, None, "de minimis", april).docs}
    fr = search(con, None, "de minimis", SearchFilters(sources=("fr-trade-technology",))).docs
    assert fr and all(h.source_id == "fr-trade-technology" for h in fr)
    assert search(con, None, "de minimis", SearchFilters(countries=("us",))).docs
    assert not search(con, None, "de minimis", SearchFilters(countries=("JP",))).docs
    con.execute("INSERT INTO tags VALUES (?, 'topic', 'trade', 0.9, 'de minimis', 'test') "
                "ON CONFLICT DO NOTHING", [eo.id])
    assert [h.doc_id for h in search(con, None, "de minimis", SearchFilters(topics=("trade",))).docs] == [eo.id]
    now = datetime.now(UTC)
    con.execute("INSERT INTO stories VALUES ('s-test', 'De minimis', ?, ?, 2, NULL, 'test', "
                "'active', NULL, ?) ON CONFLICT DO NOTHING", [now, now, now])
    con.executemany("INSERT INTO story_members VALUES (?, 's-test', 1.0, ?, 'test') "
                    "ON CONFLICT DO NOTHING", [[eo.id, now], [july.id, now]])
    result = search(con, None, "de minimis", SearchFilters(story_id="s-test"))
    assert {h.doc_id for h in result.docs} == {eo.id, july.id}
    assert [(s.story_id, set(s.doc_ids)) for s in result.stories] == [("s-test", {eo.id, july.id})]


def found(con, query):
    """URLs found for a query typed into `radar search` (glossary, vocabulary, BM25 only)."""
    prepared = prepare_query(query, 300, allow_cjk=True)
    return [h.url for h in search(con, None, prepared.search_text,
                                  synonyms=load_vocabulary()).docs]


def test_chips_act_is_one_name_not_every_act(store):
    con, docs, _ = store
    urls = found(con, "CHIPS Act")
    assert by_key(docs, "federal-grantmaking").url in urls  # "the CHIPS Act of 2022"
    for other in ("privacy-act-regulations", "kimberley-process", "alien-enemies-act"):
        assert by_key(docs, other).url not in urls
    # typed in lower case, or in zh-TW
    assert set(urls) == set(found(con, "chips act")) == set(found(con, "晶片法案"))


def test_semiconductor_is_not_medicaid_chip_nor_rep_chip_roy(store):
    con, docs, _ = store
    urls = found(con, "semiconductor")
    assert by_key(docs, "2025-06591").url in urls
    assert by_key(docs, "medicaid-and-chip-payment").url not in urls  # CHIP: an acronym
    assert by_key(docs, "security-for-americans").url not in urls  # "Rep. Chip Roy"
    # the acronym typed as one is searched as one
    assert by_key(docs, "medicaid-and-chip-payment").url in found(con, "CHIP")


def test_export_controls_reach_the_entity_list_rules_through_their_official_wording(store):
    con, docs, _ = store
    urls = found(con, "semiconductor export controls")
    assert {by_key(docs, "2025-05426").url, by_key(docs, "2025-05427").url} <= set(urls)


def test_taiwan_is_never_matched_inside_peoples_republic_of_china(store):
    con, docs, _ = store
    urls = found(con, "Taiwan")
    assert by_key(docs, "2025-05427").url in urls  # "... (11) and Taiwan (1)"
    assert by_key(docs, "closes-de-minimis-exemptions").url not in urls  # People’s Republic of China


def test_chinese_and_japanese_documents_are_found_by_their_own_words_and_by_english(store):
    con, docs, _ = store
    tw = {u for u, d in docs.items() if d.source_id == "tw-president-news"
          and "對等關稅" in d.title + d.text}
    assert tw and tw <= set(found(con, "對等關稅"))
    assert tw <= set(found(con, "对等关税"))  # zh-Hans
    english = found(con, "reciprocal tariffs")
    assert tw & set(english) and any("whitehouse.gov" in u or "federalregister" in u
                                     for u in english)
    meti = {u for u, d in docs.items() if d.source_id == "meti-news-ja" and "関税" in d.title}
    assert meti and meti <= set(found(con, "米国関税"))
    assert found(con, "龍貓") == []  # a Chinese word no document has


def test_korean_documents_are_found_by_english_through_the_policy_terms(store):
    con, docs, _ = store
    korean = {u for u, d in docs.items() if d.language == "ko" and "반도체" in d.title}
    assert korean and korean <= set(found(con, "반도체"))
    within = SearchFilters(countries=("KR",))
    english = {h.url for h in search(con, None, "semiconductor", within,
                                     synonyms=load_vocabulary()).docs}
    assert korean <= english  # 반도체 is a wording of "semiconductor" (search_terms_cjk.csv)
    assert not korean & {h.url for h in search(con, None, "semiconductor", within).docs}


def _unit_hits(query: str, texts: dict[str, str]) -> list[frozenset[str]]:
    from store.query_units import query_units
    from store.units import Texts, unit_matching

    prepared = Texts(texts)
    stems = dict(zip(query_terms(query), query_terms(query), strict=True))
    matching = unit_matching(prepared)
    return [matching(u) for u in query_units(query, stems, prepared, load_vocabulary())]


def test_a_glued_or_no_break_spaced_peoples_republic_of_china_is_not_taiwan():
    """Real White House pages: a no-break space inside the title, the header glued to the
    next word ("REPUBLIC OF CHINAExecutive Orders")."""
    texts = {"title": "Modifying Reciprocal Tariff Rates With The\xa0People\u2019S\xa0Republic Of China",
             "glued": "MODIFYING RATES WITH THE PEOPLE\u2019S REPUBLIC OF CHINAExecutive Orders",
             "taiwan": "Reciprocal tariffs on Taiwan (Republic of China) rise."}
    _, taiwan = _unit_hits("reciprocal tariffs Taiwan", texts)
    assert taiwan == {"taiwan"}


def test_a_title_case_headline_word_is_not_a_name_but_a_company_name_is():
    """"Amendment To Duties To Address" has "Duties" (a wording of "tariffs") after a
    capitalised function word: a headline, not a name; "Respondents Quantum Energy
    Partners" is a company's name, not quantum computing."""
    texts = {"order": "Amendment To Duties To Address The Flow Of Illicit Drugs",
             "petition": "Petition of Respondents Quantum Energy Partners VI, LP"}
    (tariffs,) = _unit_hits("tariffs", texts)
    assert tariffs == {"order"}
    quantum, _ = _unit_hits("quantum computing", texts)
    assert quantum == frozenset()


def test_a_hyphenated_query_word_is_its_words_and_finds_its_vocabulary_key():
    assert query_terms("US-Japan trade") == ("japan", "trade")
    vocabulary = load_vocabulary()
    assert "중소기업" in lookup(vocabulary, "small and medium sized enterprises")
    assert lookup(vocabulary, "anti dumping") == lookup(vocabulary, "anti-dumping")


def test_a_query_about_nothing_in_the_store_finds_nothing(store):
    con, _, _ = store
    assert search(con, None, "zyxwvut quasar pelican").docs == ()
    assert search(con, None, "the of and").docs == ()


def test_read_only_connections_search_the_existing_index(tmp_path):
    path = tmp_path / "ro.duckdb"
    con = connect(path)
    docs = list(snapshot_documents(SNAPSHOT, load_registry(), keep=lambda r: KEYS[0] in r["url"]))
    for d in docs:
        upsert_document(con, d)
    refresh_search_index(con)
    con.close()
    ro = duckdb.connect(str(path), read_only=True)
    try:
        assert [h.url for h in search(ro, None, "de minimis").docs] == [docs[0].url]
    finally:
        ro.close()


def test_without_an_index_bm25_is_skipped_with_a_warning(tmp_path, caplog):
    con = connect(tmp_path / "empty.duckdb")
    try:
        result = search(con, None, "de minimis")
    finally:
        con.close()
    assert result.docs == () and result.methods == ()
    assert "no full-text index" in caplog.text


@pytest.mark.slow
def embedded(con):
    """The store's documents with their primary vectors stored; returns the backend."""
    from config.settings import load_settings
    from nlp.embed import embedding_input, load_backend

    backend = load_backend(load_settings().nlp)
    rows = con.execute("SELECT id, title, text, content_hash FROM documents").fetchall()
    vecs = backend.encode([embedding_input(r[1], r[2]) for r in rows])
    con.executemany("INSERT INTO embeddings VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [[r[0], backend.name, r[3], backend.dim, v.tolist()] for r, v in zip(rows, vecs, strict=True)])
    return backend


def test_embeddings_find_documents_that_share_no_words_with_the_query(store):
    con, docs, _ = store
    backend = embedded(con)
    # no word of the query is in the orders' wording ("de minimis", "low-value", "postal")
    result = search(con, backend, "small parcels shipped by post from China", min_coverage=1.1,
                    min_cosine=0.35)
    assert result.methods == ("bm25", "embedding")
    found = {h.url for h in result.docs}
    assert by_key(docs, "as-applied-to-low-value-imports/").url in found
    assert by_key(docs, "closes-de-minimis-exemptions").url in found
    assert by_key(docs, "paul-weiss").url not in found
    assert not any("venezuelan" in u for u in found)
    assert all(h.cosine is not None and h.cosine >= 0.35 for h in result.docs)


def test_a_broad_filter_is_checked_for_the_nearest_candidates_as_a_set_would_be(store,
                                                                                monkeypatch):
    from store import search as module

    con, _, _ = store
    backend = embedded(con)
    query, kwargs = "small parcels shipped by post from China", {"min_coverage": 1.1,
                                                                 "min_cosine": 0.1, "pool": 5}
    filters = (SearchFilters(since=datetime(2025, 1, 1, tzinfo=UTC)),
               SearchFilters(sources=("fr-trade-technology",)))
    as_sets = [search(con, backend, query, f, **kwargs) for f in filters]
    monkeypatch.setattr(module, "SCOPE_SET_MAX", 0)  # every filter checked in SQL
    for f, as_set in zip(filters, as_sets, strict=True):
        checked = search(con, backend, query, f, **kwargs)
        assert "embedding" in as_set.methods and as_set.docs
        assert [(h.doc_id, h.cosine) for h in checked.docs] == [(h.doc_id, h.cosine)
                                                                for h in as_set.docs]
    assert {h.source_id for h in as_sets[1].docs} == {"fr-trade-technology"}


def test_nearest_uses_a_cached_matrix_that_follows_the_stored_embeddings(tmp_path):
    from store.nearest import nearest, vector_literal

    con = connect(tmp_path / "vec.duckdb")
    rows = {"a": [1.0, 0.0, 0.0], "b": [0.0, 1.0, 0.0], "c": [0.6, 0.8, 0.0]}
    con.executemany("INSERT INTO embeddings VALUES (?, 'm', 'h', 3, ?::FLOAT[])",
                    [[k, vector_literal(v)] for k, v in rows.items()])
    q = [1.0, 0.0, 0.0]
    assert [d for d, _ in nearest(con, q, "m", 2)] == ["a", "c"]
    assert [d for d, _ in nearest(con, q, "m", 5, scope={"b", "c"})] == ["c", "b"]
    assert nearest(con, q, "other-model", 5) == []
    con.execute("UPDATE embeddings SET vector = ?::FLOAT[], content_hash = 'h2' WHERE doc_id = 'a'",
                [vector_literal([0.0, 0.0, 1.0])])
    assert [d for d, _ in nearest(con, q, "m", 1)] == ["c"]  # the cache saw the change
    con.close()


def test_snippets_centre_on_the_first_match_and_mark_every_match():
    text = ("The White House announced several measures today.\n\n" + "Filler words here. " * 20
            + "Duty-free De Minimis treatment for low-value parcels from China ends, and de "
            "minimis entries are subject to duties." + " More filler text follows." * 20)
    pieces = snippet(text, [unit_regex(("de", "minimi"))], width=200)
    assert pieces[0] == ("…", False) and pieces[-1][0].endswith("…")
    marked = [p for p, hit in pieces if hit]
    assert marked == ["De Minimis", "de minimis"]  # both, whatever their case; spaces folded
    joined = "".join(p for p, _ in pieces)
    assert "\n" not in joined and len(joined) <= 205
    plain = snippet("Short text without the words.", [unit_regex(("tariff",))])
    assert plain == (("Short text without the words.", False),)


def test_search_hits_carry_highlighted_snippets(store):
    con, docs, _ = store
    result = search(con, None, "de minimis")
    hit = next(h for h in result.docs if "as-applied-to-low-value-imports" in h.url)
    assert any(m and "minimis" in p.lower() for p, m in hit.snippet)


@pytest.mark.slow
def test_search_precision_on_the_labelled_queries_keeps_its_floor(tmp_path):
    """The 20 hand-labelled queries (tests/dev/search_queries.jsonl) over a store of the whole
    bundled snapshot, searched as `radar search` does with its BM25 half (the query encoder
    is left out: embedding 21,902 documents does not fit in a test). Floor pinned from
    benchmarks/search_quality.py (docs/quality.md, "Search precision")."""
    from benchmarks.search_quality import load_queries, precision, ranked_urls
    from benchmarks.search_store import build_store, mark_near_duplicates

    con = connect(tmp_path / "quality.duckdb")
    build_store(con)
    mark_near_duplicates(con)
    refresh_search_index(con)
    queries = load_queries()
    scores = {q["id"]: precision([u for u, _ in ranked_urls(con, None, q["query"])],
                                 q["judgements"])[0] for q in queries}
    before = {q["id"]: precision(q["before"], q["judgements"])[0] for q in queries}
    mean = sum(scores.values()) / len(scores)
    assert mean >= PRECISION_FLOOR, scores
    assert mean > sum(before.values()) / len(before) + 0.1
    assert scores["q01"] > before["q01"] and scores["q19"] > before["q19"]  # CHIPS Act, 晶片法案
    heldout = load_queries(Path(__file__).resolve().parent / "dev" / "search_queries_heldout.jsonl")
    held = [precision([u for u, _ in ranked_urls(con, None, q["query"])], q["judgements"])[0]
            for q in heldout]
    assert sum(held) / len(held) >= HELDOUT_PRECISION_FLOOR, held
