"""As-of truth in drafts, on real 2025 documents of the bundled snapshot: the rates each order
set and which one is in force on a date, the store's reach and its warning, Taiwan figures
published by the draft's date, and a number that matches only as a number.

The slow part builds a store from the whole snapshot crawl window 2025-01-01 .. 2025-08-01
(every White House and Federal Register document the registry's sources would keep, as the
demo crawl stores them) and runs ``radar comment "de minimis" --until 2025-08-01``."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from commentary.asof import as_of_status, rate_steps, rates_in_force, reach_notes, store_reach
from commentary.exposure import figures_as_of
from commentary.matching import Matcher
from commentary.measures import MeasureDocs, load_life_docs, seed_instruments
from commentary.sources import load_sources
from crawlers.registry import load_registry
from replay.snapshot_docs import snapshot_documents
from store.db import connect
from store.documents import upsert_document, upsert_sources

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
ORDERS = ("2025/02/imposing-duties-to-address-the-synthetic-opioid-supply-chain-in-the-peoples-",
          "2025/02/amendment-to-duties-addressing-the-synthetic-opioid-supply-chain",
          "2025/04/further-amendment-to-duties-addressing-the-synthetic-opioid-supply-chain",
          "2025/04/amendment-to-recipricol-tariffs-and-updated-duties",
          "2025/04/modifying-reciprocal-tariff-rates-to-reflect-trading-partner",
          "2025/05/modifying-reciprocal-tariff-rates-to-reflect-discussions-with-the-peoples",
          "2025/07/suspending-duty-free-de-minimis-treatment-for-all-countries")


@pytest.fixture(scope="module")
def orders(tmp_path_factory):
    """The White House pages of the de minimis orders, stored as the crawl stores them."""
    con = connect(tmp_path_factory.mktemp("asof") / "radar.duckdb")
    reg = load_registry()
    upsert_sources(con, reg.sources)
    docs = list(snapshot_documents(SNAPSHOT, reg, keep=lambda r: "whitehouse.gov" in r["url"]
                                   and any(k in r["url"] for k in ORDERS)))
    assert len(docs) == len(ORDERS)
    for d in docs:
        upsert_document(con, d)
    ids = [r[0] for r in con.execute("SELECT id FROM documents").fetchall()]
    sources = load_sources(con, ids)
    yield con, sources
    con.close()


def _steps(con, sources, as_of):
    by_id = {d.doc_id: d for d in sources if d.day <= as_of}
    texts = [s for d in by_id.values() for s in (d.title, *d.sentences)]
    matcher = Matcher.for_query("de minimis", texts)
    measure = MeasureDocs(tuple(by_id), (), seed_instruments(load_life_docs(con, list(by_id)),
                                                             matcher))
    test = measure.qualifies(matcher)
    from commentary.extract import doc_effective

    steps = [s for d in by_id.values() for s in rate_steps(d, doc_effective(d, matcher), test)]
    return steps, rates_in_force(steps, as_of)


def current(state, series):
    return [s.value for s, v in state.items() if s.series == series and v == "現行"]


def test_the_rates_in_force_follow_each_later_order(orders):
    con, sources = orders
    steps, state = _steps(con, sources, date(2025, 8, 1))
    # 4/2 sets 30% or $25 from May 2; 4/8 raises to 90% / $75; 4/9 to 120% / $100; 5/12 cuts
    # to 54% and keeps $100 (not the $200 the April orders scheduled for June 1)
    assert current(state, "貨值") == ["54%"] and current(state, "每件") == ["100 美元"]
    values = [(s.published.isoformat(), s.series, s.value) for s in steps]
    for expected in [("2025-04-02", "貨值", "30%"), ("2025-04-02", "每件", "25 美元"),
                     ("2025-04-08", "貨值", "90%"), ("2025-04-08", "每件", "75 美元"),
                     ("2025-04-09", "貨值", "120%"), ("2025-04-09", "每件", "100 美元"),
                     ("2025-05-12", "貨值", "54%")]:
        assert expected in values, (expected, values)
    assert all(v == "已被取代" for s, v in state.items()
               if s.published < date(2025, 5, 12)), state
    cut = next(s for s in steps if s.value == "54%")
    assert cut.day == date(2025, 5, 14) and "from 120 percent to 54 percent" in cut.clause
    assert "May 14, 2025" in cut.day_sentence  # the day is cited from the order's own text


def test_before_a_rate_applies_it_is_still_ahead(orders):
    con, sources = orders
    _, state = _steps(con, sources, date(2025, 4, 10))
    assert current(state, "貨值") == ["120%"]  # the 4/9 order applies from 4/10
    ahead = sorted(s.value for s, v in state.items() if v == "尚未生效")
    assert ahead == ["100 美元", "200 美元"]  # the per-item duty starts on May 2 / June 1
    _, state = _steps(con, sources, date(2025, 4, 3))
    assert current(state, "貨值") == [] and {v for v in state.values()} == {"尚未生效"}


def test_a_number_counts_only_with_its_unit_and_never_alone():
    texts = ["In 1934-45 the United States concluded 32 bilateral reciprocal trade agreements.",
             "Taiwan faces a reciprocal tariff of 32 percent.", "Exports rose 32%."]
    m = Matcher.for_query("Reciprocal tariffs Taiwan 32%", texts)
    assert m.numeric == (False, False, False, True)
    assert m.coverage(texts[1]) == 1.0 and m.anchored(texts[1])
    assert not m.anchored(texts[0]) and m.coverage(texts[0]) < 0.5  # "32" is not 32%
    assert m.coverage(texts[2]) == 0.0  # the number alone makes nothing relevant


def test_figures_are_the_ones_published_by_the_draft_date():
    keys = ["tw_exports_us_2024", "tw_exports_us_2025h", "tw_ic_2025h", "us_imports_from_tw_2025"]
    april = {f.label: f for f in figures_as_of(keys, date(2025, 4, 10))}
    assert set(april) == {"2024 我國對美國出口", "2025年1-2月 我國對美國出口",
                          "2024 積體電路（IC）出口", "2024 美國自臺灣進口"}
    assert all(f.released <= date(2025, 4, 10) for f in april.values())
    assert [f.label for f in figures_as_of(keys, date(2025, 1, 10))] == ["2023 我國對美國出口"]
    later = [f.label for f in figures_as_of(keys, date(2025, 9, 30))]
    assert "2025年1-8月 我國對美國出口" in later and "2025年1-8月 積體電路（IC）出口" in later


def test_the_draft_says_how_far_its_store_reaches_and_warns_when_it_ends_early(orders):
    con, _ = orders
    reach = store_reach(con, "Asia/Taipei")
    assert reach.documents == len(ORDERS) and reach.first.isoformat() == "2025-02-01"
    (note,) = reach_notes(reach, date(2025, 7, 31))
    assert note.startswith(f"資料範圍：本資料庫收錄 2025-02-01 至 {reach.last.isoformat()}")
    span, warning = reach_notes(reach, date(2025, 10, 1))
    assert warning.startswith("⚠") and f"最新文件為 {reach.last.isoformat()}" in warning
    assert "早於基準日 2025-10-01" in warning


def test_a_status_with_no_timeline_says_nothing(orders):
    con, sources = orders
    status = as_of_status((), {d.doc_id: d for d in sources}, {}, date(2025, 8, 1),
                          lambda c, d: True)
    assert status.latest is None and not status.rates and not status.statements()


# ---- real data: a store of the whole snapshot crawl window (slow) ----------------------------

STEPS = {  # the seven steps of US de minimis policy to 2025-08-01: (day, URL key)
    "trade memo": (date(2025, 1, 20), "/2025/01/america-first-trade-policy/"),
    "1 Feb order": (date(2025, 2, 1), "supply-chain-in-the-peoples-republic-of-china/"),
    "5 Feb pause": (date(2025, 2, 5), "2025/02/amendment-to-duties-addressing-the-synthetic"),
    "2 Apr order": (date(2025, 4, 2), "china-as-applied-to-low-value-imports/"),
    "8-9 Apr rises": (date(2025, 4, 8), "amendment-to-recipricol-tariffs-and-updated-duties"),
    "12 May cut": (date(2025, 5, 12), "reflect-discussions-with-the-peoples-republic-of-china"),
    "30 Jul suspension": (date(2025, 7, 30), "suspending-duty-free-de-minimis-treatment-for-all"),
}


@pytest.fixture(scope="module")
def window_store(tmp_path_factory):
    """Every snapshot document of 2025-01-01 .. 2025-08-01 the registry's sources keep, with
    the search index; no enrichment (a draft needs neither stories nor tags)."""
    from store.fulltext import refresh_search_index

    root = tmp_path_factory.mktemp("window")
    path = root / "radar.duckdb"
    con = connect(path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    n = 0
    for doc in snapshot_documents(SNAPSHOT, reg, keep=lambda r: r["published"][:10] <= "2025-08-01"):
        upsert_document(con, doc)
        n += 1
    refresh_search_index(con)
    con.execute("CHECKPOINT")
    con.close()
    yield path, root, n


def _comment(window_store, query: str, name: str):
    from commentary.run import run_commentary
    from config.settings import load_settings

    path, root, _ = window_store
    settings = load_settings(db_path=path, out_dir=root / "out")
    result = run_commentary(settings, query, until="2025-08-01", out_md=root / f"{name}.md",
                            out_docx=root / f"{name}.docx", backend=None)
    return result.draft, (root / f"{name}.md").read_text(encoding="utf-8")


def _urls(window_store, draft):
    con = connect(window_store[0])
    try:
        ids = [d for e in draft.timeline for d in e.statement.doc_ids]
        return dict(con.execute("SELECT id, url FROM documents WHERE id IN (SELECT unnest(?))",
                                [ids]).fetchall())
    finally:
        con.close()


@pytest.mark.slow
def test_radar_comment_de_minimis_lists_the_steps_with_instruments_and_dates(window_store, tmp_path,
                                                                            monkeypatch):
    from radar.cli import app

    path, root, n = window_store
    assert n > 2500  # the whole window, not a hand-picked set
    monkeypatch.setenv("RADAR_DB_PATH", str(path))
    monkeypatch.setenv("RADAR_OUT_DIR", str(tmp_path / "out"))
    md = tmp_path / "draft.md"
    res = CliRunner().invoke(app, ["comment", "de minimis", "--until", "2025-08-01",
                                   "--out", str(md), "--docx", str(tmp_path / "draft.docx")])
    assert res.exit_code == 0, res.output
    text = md.read_text(encoding="utf-8")
    timeline = text.split("## 三、時間軸")[1].split("## 四、")[0]
    found = [name for name, (day, _) in STEPS.items() if f"**{day.isoformat()}**" in timeline]
    assert len(found) >= 6, (found, timeline)
    assert re.search(r"\*\*2025-04-0[89]\*\*", timeline)
    assert "｜EO 14256" in timeline and "｜EO 14195" in timeline  # instruments beside dates
    assert "暫緩（suspended）" in timeline  # the 5 Feb amendment puts the measure off
    summary = text.split("## 一、事件摘要")[1].split("## 二、")[0]
    assert "貨值 54%〔現行〕" in summary and "每件 100 美元〔現行〕" in summary
    assert "調升為貨值 120%〔已被取代〕" in summary and "貨值 30%〔已被取代〕" in summary
    assert "資料範圍：本資料庫收錄 2025-01-" in text and "⚠" not in text


@pytest.fixture(scope="module")
def english_draft(window_store):
    """The "de minimis" draft on the window store, written once: the tests below read it, and
    the same query on the same store writes the same draft (each write took ~40 s CPU)."""
    return _comment(window_store, "de minimis", "en")[0]


@pytest.mark.slow
def test_the_steps_cite_the_right_documents(window_store, english_draft):
    draft = english_draft
    urls = _urls(window_store, draft)
    for name, (day, key) in STEPS.items():
        if name == "8-9 Apr rises":
            days = (date(2025, 4, 8), date(2025, 4, 9))
        else:
            days = (day,)
        cited = [urls[d] for e in draft.timeline if e.day in days for d in e.statement.doc_ids]
        assert any(key in u for u in cited), (name, cited)
    assert all(e.day <= date(2025, 8, 1) or e.status == "effective" for e in draft.timeline)
    july = next(e for e in draft.timeline if e.day == date(2025, 7, 30) and e.kind == "order")
    assert july.effective == date(2025, 8, 29) and july.certainty == "signed"  # not yet in force


@pytest.mark.slow
@pytest.mark.parametrize("query", ["微量免稅", "小額包裹免稅", "美國取消小額包裹免稅"])
def test_english_and_chinese_queries_give_the_same_timeline(window_store, english_draft, query):
    en = english_draft
    zh, md = _comment(window_store, query, "zh")
    assert [(e.day, e.status, e.statement) for e in zh.timeline] == \
        [(e.day, e.status, e.statement) for e in en.timeline]
    assert "貨值 54%〔現行〕" in md


def test_a_request_for_comment_reads_as_one_whatever_its_wording(tmp_path):
    """The Federal Register request for comments on the Section 232 semiconductor
    investigation: 徵求意見 in the timeline and the key facts, never 已簽署."""
    from commentary.draft import write_commentary
    from commentary.render import render_markdown
    from config.settings import load_settings

    settings = load_settings(db_path=tmp_path / "radar.duckdb", out_dir=tmp_path / "out")
    con = connect(settings.db_path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    docs = list(snapshot_documents(SNAPSHOT, reg, keep=lambda r: "/2025-06591/" in r["url"]))
    assert len(docs) == 1
    upsert_document(con, docs[0])
    ids = [r[0] for r in con.execute("SELECT id FROM documents").fetchall()]
    draft = write_commentary(con, None, settings, "Section 232 semiconductors", doc_ids=ids,
                             until="2025-04-30", save=False)
    assert [e.status for e in draft.timeline] == ["comment_requested"]
    assert all(f.status == "comment_requested" for f in draft.facts)
    md = render_markdown(draft)
    assert "徵求意見（comment_requested）｜FR 2025-06591" in md and "已簽署" not in md
    con.close()
