"""CJK text as words for BM25, query matching and shingles, on real bundled items (總統府 news
in zh-Hant, METI releases in Japanese, Korean ministries' titles: demo/snapshot/foreign)."""

import gzip
import json
from pathlib import Path

import duckdb
import pytest

from store.fulltext import load_fts
from store.segment import FTS_IGNORE, bigrams, fold, has_cjk, query_words, spaced, tokens

FOREIGN = Path(__file__).resolve().parent.parent / "demo" / "snapshot" / "foreign"


def items(name):
    with gzip.open(FOREIGN / name, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_fold_joins_traditional_and_simplified_and_keeps_positions():
    assert fold("臺灣半導體出口管制") == fold("台湾半导体出口管制") == "台湾半导体出口管制"
    text = "President Lai: 對等關稅 (reciprocal tariffs)"
    assert len(fold(text)) == len(text) and fold("no Chinese here") == "no Chinese here"


def test_bigrams_and_words_on_a_real_presidential_office_title():
    tw = next(r for r in items("tw-president.jsonl.gz") if "關稅" in r["title"])
    bi = tokens(tw["title"], "bigram")
    assert "关税" in bi and all(len(t) == 2 for t in bi)
    assert "关税" in tokens(tw["title"], "words")
    assert bigrams("美") == ["美"]


def test_japanese_and_korean_runs_are_bigrams_in_both_modes():
    meti = next(r for r in items("jp-meti-atom.jsonl.gz") if "経済産業" in r["title"])
    assert tokens(meti["title"], "words") == tokens(meti["title"], "bigram")
    ko = items("kr-press-index.jsonl.gz")[0]["title"]
    assert has_cjk(ko) and tokens(ko, "words") == tokens(ko, "bigram")


def test_query_words_keep_known_names_whole_and_drop_particles():
    assert query_words("台積電赴美投資", known=["台積電"])[0] == "台积电"
    assert query_words("半導體出口管制") == ["半导体", "出口", "管制"]
    assert query_words("経済産業省は半導体の輸出管理") == ["経済产业省", "半导体", "输出管理"]
    assert query_words("산업통상자원부는 반도체") == ["산업통상자원부", "반도체"]


def _top(con, query, mode):
    return [r[0] for r in con.execute(
        "SELECT id FROM (SELECT id, fts_main_b.match_bm25(id, ?) AS s FROM b) "
        "WHERE s IS NOT NULL ORDER BY s DESC, id", [spaced(query, mode)]).fetchall()]


@pytest.mark.parametrize("mode", ["bigram", "words"])
def test_the_fts_index_keeps_cjk_tokens_and_finds_real_items_by_their_words(mode):
    docs = items("tw-president.jsonl.gz") + items("jp-meti-atom.jsonl.gz")
    con = duckdb.connect()
    load_fts(con)
    con.execute("CREATE TABLE b (id TEXT, text TEXT)")
    con.executemany("INSERT INTO b VALUES (?, ?)",
                    [(r["id"], spaced(r["title"] + "\n" + (r["text"] or ""), mode)) for r in docs])
    con.execute("PRAGMA create_fts_index('b', 'id', 'text', ignore = '" + FTS_IGNORE + "')")
    reciprocal = {r["id"] for r in docs if "對等關稅" in r["title"] + (r["text"] or "")}
    top = _top(con, "對等關稅", mode)
    k = len(reciprocal)
    assert k >= 5
    # bigrams keep 對等 (jieba's dictionary cuts 對/等/關稅 and drops the single characters)
    assert set(top[:k]) == reciprocal if mode == "bigram" else reciprocal <= set(top[:3 * k])
    # Japanese 米国関税 finds METI's US-tariff task force (関 folds to 关 in both)
    meti = next(r["id"] for r in docs if "米国関税対策本部" in r["title"])
    assert meti in _top(con, "米国関税", mode)[:3]
    assert _top(con, "对等关税", mode)[:k] == top[:k]  # the zh-Hans query ranks the same
