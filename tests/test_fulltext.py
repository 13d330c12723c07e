"""The BM25 index over real documents: refreshed only on change and then only for the
documents added, changed or removed, and ranking from its postings gives the fts extension's
own match_bm25 scores (over an index the extension builds itself), inside a scope when asked."""

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import store.fulltext as fulltext
from crawlers.registry import load_registry
from replay.snapshot_docs import snapshot_documents
from store.db import connect
from store.documents import upsert_document, upsert_sources
from store.fulltext import (
    FTS_IGNORE,
    FTS_SCHEMA,
    bm25,
    bm25_passes,
    docs_with_word,
    fts_ready,
    load_fts,
    refresh_search_index,
    stems,
    term_stats,
)

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
QUERIES = ("de minimis", "reciprocal tariffs China", "semiconductor export controls",
           "artificial intelligence", "fentanyl", "venezuelan oil tariff")


def white_house(limit: int):
    """The first `limit` White House documents of the bundled snapshot."""
    reg = load_registry()
    docs = []
    for d in snapshot_documents(SNAPSHOT, reg, keep=lambda r: "whitehouse.gov" in r["url"]):
        docs.append(d)
        if len(docs) == limit:
            break
    return reg, docs


def reference_scores(con, query: str, limit: int = 50) -> list[tuple[str, float]]:
    """match_bm25 of an index the extension builds itself over the current documents."""
    load_fts(con)
    con.execute("CREATE OR REPLACE TABLE ref_docs AS SELECT id, title, text FROM documents")
    con.execute("PRAGMA create_fts_index('ref_docs', 'id', 'title', 'text', stemmer = 'porter', "
                "stopwords = 'english', strip_accents = 1, lower = 1, overwrite = 1, "
                "ignore = '" + FTS_IGNORE.replace("'", "''") + "')")
    return con.execute(
        "SELECT id, s FROM (SELECT id, fts_main_ref_docs.match_bm25(id, ?) AS s FROM ref_docs) "
        "WHERE s IS NOT NULL ORDER BY s DESC, id LIMIT ?", [query, limit]).fetchall()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """300 real 2025 White House documents, indexed."""
    con = connect(tmp_path_factory.mktemp("fulltext") / "radar.duckdb")
    reg = load_registry()
    upsert_sources(con, reg.sources)
    docs = []
    for d in snapshot_documents(SNAPSHOT, reg, keep=lambda r: "whitehouse.gov" in r["url"]):
        upsert_document(con, d)
        docs.append(d)
        if len(docs) == 300:
            break
    assert refresh_search_index(con) is True
    yield con, docs
    con.close()


def test_index_is_rebuilt_only_when_documents_change(store):
    con, docs = store
    assert fts_ready(con)
    assert refresh_search_index(con) is False
    d = docs[0]
    upsert_document(con, d.__class__(**{**d.__dict__, "text": d.text + "\nA new paragraph."}))
    assert refresh_search_index(con) is True
    assert refresh_search_index(con) is False


def test_an_index_without_sorted_postings_is_not_ready_and_gets_rebuilt(store):
    con, _ = store
    con.execute(f"DROP TABLE {FTS_SCHEMA}.postings")
    assert not fts_ready(con)
    assert refresh_search_index(con) is True
    assert fts_ready(con)


@pytest.mark.parametrize("query", QUERIES)
def test_scores_are_the_extensions_match_bm25_scores(store, query):
    con, _ = store
    expected = reference_scores(con, query)
    got = bm25(con, query, 50)
    assert expected, query
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9)


def docids(con) -> dict[str, int]:
    return dict(con.execute(f"SELECT name, docid FROM {FTS_SCHEMA}.docs").fetchall())  # noqa: S608


def test_a_refresh_indexes_only_what_changed_and_scores_as_a_full_build(tmp_path, monkeypatch):
    monkeypatch.setattr(fulltext, "TAIL_SHARE", 1.0)  # no re-sort: the appended tail stays
    reg, docs = white_house(120)
    con = connect(tmp_path / "radar.duckdb")
    upsert_sources(con, reg.sources)
    for d in docs[:80]:
        upsert_document(con, d)
    assert refresh_search_index(con) is True
    before = docids(con)
    for d in docs[80:]:
        upsert_document(con, d)
    changed = docs[3]
    upsert_document(con, changed.__class__(**{**changed.__dict__,
                                              "text": changed.text + "\nSemiconductor levy."}))
    (gone,) = con.execute("SELECT id FROM documents WHERE url = ?", [docs[5].url]).fetchone()
    con.execute("DELETE FROM documents WHERE id = ?", [gone])
    assert refresh_search_index(con) is True
    after = docids(con)
    (changed_id,) = con.execute("SELECT id FROM documents WHERE url = ?",
                                [changed.url]).fetchone()
    kept = set(before) - {gone, changed_id}
    assert len(kept) == 78 and {i: after[i] for i in kept} == {i: before[i] for i in kept}
    assert gone not in after and after[changed_id] > max(before.values())  # indexed again
    assert len(after) == 119
    for query in (*QUERIES, "semiconductor levy"):
        expected, got = reference_scores(con, query), bm25(con, query, 50)
        assert [i for i, _ in got] == [i for i, _ in expected], query
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], rel=1e-9)
    assert any(i == changed_id for i, _ in bm25(con, "semiconductor levy", 5, every=True))
    termids = [r[0] for r in con.execute(f"SELECT termid FROM {FTS_SCHEMA}.postings").fetchall()]  # noqa: S608
    assert termids != sorted(termids)  # the appended batch sits after the sorted part


def test_postings_are_re_sorted_when_the_appended_tail_grows(tmp_path, monkeypatch):
    reg, docs = white_house(60)
    con = connect(tmp_path / "radar.duckdb")
    upsert_sources(con, reg.sources)
    for d in docs[:30]:
        upsert_document(con, d)
    refresh_search_index(con)
    monkeypatch.setattr(fulltext, "TAIL_SHARE", 0.0)
    for d in docs[30:]:
        upsert_document(con, d)
    refresh_search_index(con)
    termids = [r[0] for r in con.execute(f"SELECT termid FROM {FTS_SCHEMA}.postings").fetchall()]  # noqa: S608
    assert termids == sorted(termids)
    expected, got = reference_scores(con, "tariff"), bm25(con, "tariff", 50)
    assert expected and [i for i, _ in got] == [i for i, _ in expected]


def test_passes_in_one_statement_rank_as_each_pass_alone(store):
    # a search's passes share one read of their postings; each keeps its own terms, its own
    # every-word condition and its own top `limit`
    con, _ = store
    texts = ["reciprocal tariffs China", "de minimis", "semiconductor export controls tariff"]
    stats = term_stats(con, texts)
    passes = [(stats[texts[0]], True), (stats[texts[1]], True), (stats[texts[2]], False),
              ([], True)]
    together = bm25_passes(con, passes, 15)
    alone = [bm25(con, t, 15, every=e, terms=stats[t]) for t, (_, e) in zip(texts, passes)]
    for got, want in zip(together[:3], alone, strict=True):  # the sums' order may differ
        assert [i for i, _ in got] == [i for i, _ in want]
        assert [v for _, v in got] == pytest.approx([v for _, v in want], rel=1e-12)
    assert together[3] == []
    assert all(len(r) > 0 for r in together[:3])
    with_all = set.intersection(*(set(docs_with_word(con, w)) for w in ("reciprocal", "tariffs",
                                                                           "China")))
    assert {i for i, _ in together[0]} <= with_all  # every word of the pass, in each document
    assert [i for i, _ in together[2]] == [i for i, _ in reference_scores(
        con, texts[2], 15)]  # the any-word pass is the extension's ranking


def test_scope_restricts_to_the_listed_documents(store):
    con, _ = store
    everything = bm25(con, "tariff", 1000)
    assert len(everything) > 10
    chosen = [i for i, _ in everything[1::3]]
    con.execute("CREATE OR REPLACE TEMP TABLE search_scope AS SELECT unnest(?::VARCHAR[]) AS id",
                [chosen])
    scoped = bm25(con, "tariff", 1000, scoped=True)
    assert [i for i, _ in scoped] == chosen  # same order, same scores, nothing else
    assert dict(scoped) == {i: s for i, s in everything if i in set(chosen)}


def test_words_outside_the_vocabulary_match_nothing(store):
    con, _ = store
    assert bm25(con, "zzyzx qwertyuiop", 10) == []
    assert bm25(con, "the of and", 10) == []  # stop words are not indexed


def test_stems_are_the_indexs_porter_stems(store):
    con, _ = store
    assert stems(con, ["tariffs", "minimis", "controls"]) == ["tariff", "minimi", "control"]
    assert stems(con, []) == []


def test_cjk_documents_are_indexed_by_their_words_and_an_old_index_is_replaced(tmp_path):
    import gzip
    import json

    from store.records import Document
    from store.segment import spaced

    con = connect(tmp_path / "cjk.duckdb")
    upsert_sources(con, load_registry().sources)
    with gzip.open(SNAPSHOT / "foreign" / "tw-president.jsonl.gz", "rt", encoding="utf-8") as fh:
        recs = [json.loads(line) for line in fh][:40]
    for r in recs:
        at = datetime.fromisoformat(r["published"]).replace(tzinfo=UTC)
        upsert_document(con, Document(url=r["url"], canonical_url=r["url"],
                                      source_id="tw-president-news", title=r["title"],
                                      text=r["text"] or "", published_at=at, first_seen_at=at))
    load_fts(con)
    con.execute("PRAGMA create_fts_index('documents', 'id', 'title', 'text')")  # the old layout
    assert refresh_search_index(con) is True
    assert not con.execute("SELECT count(*) FROM duckdb_schemas() WHERE schema_name = "
                           "'fts_main_documents'").fetchone()[0]
    word = next(w for w in spaced(recs[0]["title"]).split() if len(w) == 2)
    assert recs[0]["url"] in {con.execute("SELECT url FROM documents WHERE id = ?", [i]).fetchone()[0]
                              for i, _ in bm25(con, word, 50)}


def test_a_words_documents_come_from_its_postings_and_match_a_scan(store):
    """docs_with_word narrows a draft's scan: the same documents a case-blind scan finds with
    the whole word; None where the index cannot say (digits, stop words, a stale index)."""
    con, _ = store
    rows = con.execute("SELECT id, title || ' ' || text FROM documents").fetchall()
    for word in ("minimis", "Fentanyl", "semiconductors"):
        scanned = {i for i, t in rows if re.search(rf"\b{word}\b", t, re.IGNORECASE)}
        found = docs_with_word(con, word)
        assert found is not None and scanned and scanned <= set(found), word
    assert docs_with_word(con, "zzqxv") == []
    assert docs_with_word(con, "14195") is None and docs_with_word(con, "the") is None
    con.execute("UPDATE documents SET updated_at = now() WHERE id = (SELECT min(id) FROM documents)")
    try:
        assert docs_with_word(con, "minimis") is None  # changed since the index's refresh
    finally:
        refresh_search_index(con)
