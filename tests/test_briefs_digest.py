"""build_digest over a small seeded store: sections, badges, citations, bad input, idempotent save."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from test_briefs_support import (
    TAXONOMY,
    HashingEncoder,
    add_doc,
    add_source,
    add_story,
    add_tag,
    new_store,
    utc,
)

from briefs.digest import build_digest
from briefs.render import render_html, render_markdown
from config.errors import ConfigError
from config.settings import load_settings
from store.digests import load_digest

DAY = date(2025, 4, 3)  # window: 2025-04-01 23:00Z .. 2025-04-02 23:00Z (07:00 Taipei)

EO_TEXT = (
    "By the authority vested in me as President, I hereby determine that underlying conditions "
    "cause a large and persistent annual U.S. goods trade deficit.\n\n"
    "Executive Order 14257 imposes an additional ad valorem duty of 10 percent on all imports "
    "from all trading partners starting April 5, 2025.\n\n"
    "Higher rates apply to countries with the largest deficits, including a 32 percent rate "
    "on imports from Taiwan starting April 9, 2025.\n\n"
    "The Secretary of Commerce shall monitor imports and report on the effects of these duties."
)
USAT_TEXT = (
    "Executive Order 14257 imposes an additional ad valorem duty of 10 percent on all imports "
    "from all trading partners starting April 5, 2025.\n\n"
    "Semiconductors, pharmaceuticals and certain critical minerals are excluded from the new "
    "reciprocal tariff for now, according to the annex of the order."
)
EU_TEXT = (
    "The European Commission approved a 5 billion euro state aid scheme to support chip "
    "manufacturing plants in Germany under the European Chips Act.\n\n"
    "The scheme will fund a new semiconductor foundry that is expected to start production "
    "in 2027 and to create 2,000 jobs in the region."
)


@pytest.fixture()
def store(tmp_path):
    con = new_store(tmp_path)
    add_source(con, "wh", "White House", "The White House", "US", 1.5)
    add_source(con, "usat", "USA TODAY", "USA TODAY", "US", 0.8)
    add_source(con, "ec", "European Commission", "European Commission", "EU", 1.2)
    add_source(con, "meti", "METI", "METI", "JP", 1.2)
    add_doc(con, "d-old", "wh", "Tariff fact sheet", EO_TEXT, utc(2025, 3, 30, 12))
    add_doc(
        con, "d-wh", "wh", "Regulating Imports <script>alert(1)</script> with a Reciprocal Tariff",
        EO_TEXT, utc(2025, 4, 2, 21), utc(2025, 4, 2, 20, 30),
    )  # fmt: skip
    add_doc(
        con, "d-usat", "usat", "Trump signs reciprocal tariff order", USAT_TEXT,
        utc(2025, 4, 2, 22), utc(2025, 4, 2, 21), url="javascript:alert(document.cookie)",
    )  # fmt: skip
    add_doc(con, "d-eu", "ec", "Commission approves chips aid", EU_TEXT, utc(2025, 4, 2, 9))
    add_doc(
        con, "d-nodate", "ec", "Energy prices statement",
        "The Commission published its quarterly report on energy prices in the European Union "
        "and found that wholesale electricity prices fell by 12 percent.",
        utc(2025, 4, 2, 10), None,
    )  # fmt: skip
    add_story(con, "s-tariff", "Reciprocal tariffs", ["d-old", "d-wh", "d-usat"], utc(2025, 3, 30, 12))
    add_story(con, "s-chips", "EU chips aid", ["d-eu"], utc(2025, 4, 2, 9))
    for d in ("d-wh", "d-usat", "d-old"):
        add_tag(con, d, "trade", 0.95)
    add_tag(con, "d-eu", "semiconductors", 0.9)
    add_tag(con, "d-nodate", "energy", 0.7)
    con.execute(
        "INSERT INTO fetches (source_id, url, requested_at, status, error) VALUES "
        "('meti', 'https://www.meti.go.jp/feed', ?, 503, 'HTTP 503 after 3 tries')",
        [utc(2025, 4, 2, 3)],
    )
    yield con
    con.close()


def _settings(tmp_path):
    return load_settings(db_path=tmp_path / "x.duckdb", ui_lang="zh-TW")


def test_digest_sections_badges_citations(store, tmp_path):
    settings = _settings(tmp_path)
    d = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "trade-desk", "zh-TW")
    assert [s.topic_id for s in d.sections] == ["trade", "semiconductors", "energy"]
    assert d.sections[0].title == "貿易與關稅"
    tariff = d.sections[0].stories[0]
    assert tariff.story_id == "s-tariff"
    # first seen 2025-03-30 20:00 Taipei, i.e. in the 03-31 digest's window: day 4 on 04-03
    assert (tariff.badge, tariff.day) == ("developing", 4)
    assert tariff.official is not None and tariff.official.label == "Executive Order 14257"
    member_text = {"d-wh": EO_TEXT, "d-usat": USAT_TEXT, "d-old": EO_TEXT}
    assert tariff.summary
    for line in tariff.summary:
        assert line.text.replace("\n", " ")[:40] in member_text[line.doc_id].replace("\n", " ")
        assert tariff.sources[line.n - 1].doc_id == line.doc_id
    usat = next(s for s in tariff.sources if s.doc_id == "d-usat")
    assert usat.url is None  # javascript: never becomes a link
    assert usat.time_local == "2025-04-03 05:00"  # 21:00Z on the Taipei clock
    chips = d.sections[1].stories[0]
    assert (chips.badge, chips.day, len(chips.sources)) == ("new", 1, 1)
    nodate = d.sections[2].stories[0]
    assert nodate.story_id == "doc:d-nodate" and nodate.sources[0].time_local is None
    assert d.coverage.failed == (("METI", "HTTP 503 after 3 tries"),)
    assert "USA TODAY" not in d.coverage.silent and "White House" not in d.coverage.silent


def test_digest_saved_twice_is_one_row(store, tmp_path):
    settings = _settings(tmp_path)
    first = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    second = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    assert first.id == second.id == "2025-04-03:default:en"
    assert store.execute("SELECT count(*) FROM digests").fetchone()[0] == 1
    n_items = store.execute("SELECT count(*) FROM digest_items").fetchone()[0]
    assert n_items == len(second.stories) == 3
    loaded = load_digest(store, first.id)
    assert [i.story_id for i in loaded.items] == [s.story_id for s in second.stories]
    assert loaded.content["sections"][0]["stories"][0]["story_id"] == "s-tariff"
    assert "<script>" not in loaded.html and "&lt;script&gt;" in loaded.html
    assert "javascript:" not in loaded.html and "javascript:" not in loaded.markdown
    json.dumps(loaded.content)


def test_next_day_continues_window_and_story_is_developing(store, tmp_path):
    settings = _settings(tmp_path)
    build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    add_doc(
        store, "d-eu2", "ec", "Chips aid: second tranche",
        "The Commission confirmed a second tranche of chip manufacturing aid worth 1 billion "
        "euro for the same German foundry project on Thursday.",
        utc(2025, 4, 3, 8), utc(2025, 4, 3, 7),
    )  # fmt: skip
    store.execute(
        "INSERT INTO story_members VALUES ('d-eu2', 's-chips', 0.8, ?, 'test')", [utc(2025, 4, 3)]
    )
    nxt = build_digest(store, HashingEncoder(), TAXONOMY, settings, date(2025, 4, 4), "default", "en")
    assert nxt.window_start == utc(2025, 4, 2, 23)
    chips = nxt.stories[0]
    assert (chips.story_id, chips.badge, chips.day) == ("s-chips", "developing", 2)
    assert chips.parts["novelty"] < 1.0


def test_a_day_rebuilt_after_later_news_is_the_day_as_it_was(store, tmp_path):
    """The demo re-run rebuilds 04-03 after the 04-10 follow-up: a member first seen a week
    later is not a member of that morning's story (nor counted in its size)."""
    settings = _settings(tmp_path)
    before = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    add_doc(store, "d-later", "wh", "Reciprocal tariff pause", EO_TEXT, utc(2025, 4, 9, 18))
    store.execute("INSERT INTO story_members VALUES ('d-later', 's-tariff', 0.9, ?, 'test')",
                  [utc(2025, 4, 9, 18)])
    store.execute("UPDATE stories SET size = 4 WHERE id = 's-tariff'")
    after = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "en")
    tariff = next(s for s in after.stories if s.story_id == "s-tariff")
    assert "d-later" not in {src.doc_id for src in tariff.sources}
    assert [(s.story_id, s.score, len(s.sources)) for s in after.stories] == [
        (s.story_id, s.score, len(s.sources)) for s in before.stories]


def test_day_without_news(tmp_path):
    con = new_store(tmp_path)
    d = build_digest(con, HashingEncoder(), TAXONOMY, _settings(tmp_path), DAY, "default", "zh-TW")
    assert d.sections == () and d.n_candidates == 0
    row = load_digest(con, d.id)
    assert "本時段沒有新的新聞或政策文件" in row.html and row.items == ()


def test_unknown_profile_and_language(store, tmp_path):
    settings = _settings(tmp_path)
    with pytest.raises(ConfigError, match="unknown digest profile"):
        build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "nope", "en")
    with pytest.raises(ConfigError, match="unsupported digest language"):
        build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "fr")


def test_a_translation_backend_that_is_down_keeps_the_english_and_counts_it(store, tmp_path):
    import socket

    from zhtw.translate import load_translator

    with socket.socket() as sock:  # a port nobody listens on: the server is down
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = _settings(tmp_path)
    settings.translate.backend = "openai"
    settings.translate.endpoint = f"http://127.0.0.1:{port}/v1"
    settings.translate.model = "local-model"
    settings.translate.timeout_s = 2
    translator = load_translator(settings.translate)
    d = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, "default", "zh-TW",
                     translator=translator)
    lines = [line for st in d.stories for line in st.summary]
    assert lines and all(line.zh is None and line.zh_reason for line in lines)
    assert d.translation is not None and d.translation.kept == 0
    assert d.translation.dropped == len({line.text for line in lines})
    html, md = render_html(d), render_markdown(d)
    assert "未通過 " in html and "未通過核對" in md
    assert all(st.headline_zh for st in d.stories)  # the card still gives the Chinese


def test_coverage_tells_never_crawled_sources_from_sources_with_no_new_items(tmp_path):
    from datetime import UTC, datetime, timedelta

    from briefs.digest import _coverage
    from crawlers.registry import Source
    from store.db import connect
    from store.documents import upsert_sources
    from store.runs import record_source_run

    con = connect(tmp_path / "cov.duckdb")
    try:
        sources = [Source(id=i, name=i.upper(), publisher="p", country="US", language="en",
                          kind="feed", url=f"https://{i}.example.gov/feed",
                          verified="unverified: test") for i in ("quiet", "unmirrored")]
        upsert_sources(con, sources)
        start = datetime(2025, 4, 2, 23, tzinfo=UTC)
        record_source_run(con, "r1", "quiet", start, "ok", 0, 0, 0)
        record_source_run(con, "r1", "unmirrored", start, "skipped", 0, 0, 0, "not mirrored")
        cov = _coverage(con, start, start + timedelta(days=1))
    finally:
        con.close()
    assert cov.silent == ("QUIET",) and cov.never_crawled == ("UNMIRRORED",)


def test_stories_carry_their_measure_status_as_of_the_window(tmp_path):
    """Real orders of 2025 in a store: each digest story carries its measures' latest status
    as of the digest's window (signed on 2 April, in effect from 5 April; the de minimis end
    ordered on 2 April, from 2 May, first seen after the 04-03 digest: in the next one; the
    8 April rise, stored later, is not yet known), cited by its source number and rendered in
    HTML and Markdown."""
    from pathlib import Path

    from crawlers.registry import load_registry
    from nlp.lifecycle_stage import record_story_events
    from replay.snapshot_docs import snapshot_documents
    from store.documents import upsert_document, upsert_sources

    keys = {"s-recip": ("2025/04/regulating-imports-with-a-reciprocal-tariff-to-rectify",),
            "s-demin": ("2025/02/imposing-duties-to-address-the-synthetic-opioid-supply-chain-in-",
                        "2025/02/amendment-to-duties-addressing-the-synthetic-opioid-supply-chain",
                        "as-applied-to-low-value-imports/", "closes-de-minimis-exemptions",
                        "2025/04/amendment-to-recipricol-tariffs")}
    snapshot = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
    con = new_store(tmp_path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    wanted = [k for ks in keys.values() for k in ks]
    docs = list(snapshot_documents(snapshot, reg, keep=lambda r: "whitehouse.gov" in r["url"]
                                   and any(k in r["url"] for k in wanted)))
    for d in docs:
        upsert_document(con, d)
        add_tag(con, d.id, "trade", 0.95)
    for story_id, ks in keys.items():
        members = [d for d in docs if any(k in d.url for k in ks)]
        add_story(con, story_id, members[0].title, [d.id for d in members],
                  min(d.first_seen_at for d in members))
    assert record_story_events(con).events > 0
    d = build_digest(con, HashingEncoder(), TAXONOMY, _settings(tmp_path), DAY, "trade-desk",
                     "zh-TW", save=False)
    by_id = {st.story_id: st for st in d.stories}
    recip = by_id["s-recip"].status[0]
    assert (recip.kind, recip.label, recip.date, recip.upcoming) == ("signed", "已簽署",
                                                                     "2025-04-02", "4/5 起生效")
    # the low-value-imports order was first seen at 07:23 Taipei, after this 07:00 digest: not
    # among the morning's sources, and no badge of that morning cites it
    late = next(x.id for x in docs if "as-applied-to-low-value-imports/" in x.url)
    assert late not in {s.doc_id for s in by_id["s-demin"].sources}
    assert all(b.doc_id != late for st in d.stories for b in st.status)
    d = build_digest(con, HashingEncoder(), TAXONOMY, _settings(tmp_path), date(2025, 4, 4),
                     "trade-desk", "zh-TW", save=False)  # the next morning knows it
    demin = {st.story_id: st for st in d.stories}["s-demin"]
    first = demin.status[0]
    assert (first.name, first.label, first.date, first.upcoming) == ("EO 14195", "修正",
                                                                     "2025-04-02", "5/2 起生效")
    assert demin.sources[first.n - 1].doc_id == first.doc_id == late and first.url
    assert re.search(r"EO 14195</span> <strong>修正</strong> 2025-04-02 .{0,40}· 5/2 起生效",
                     render_html(d))
    assert re.search(r"EO 14195 `修正` 2025-04-02 .{0,20}· 5/2 起生效", render_markdown(d))
    # the 8 April order is in the story (the store was filled later), but not as of this digest
    assert all(b.date <= "2025-04-03" for st in d.stories for b in st.status)
    con.close()


AD_ACTION = ("Preliminary Affirmative Determination of Sales at Less Than Fair Value, Postponement "
             "of Final Determination, and Extension of Provisional Measures")


def test_same_day_notices_on_one_product_take_one_place_under_taiwans(store, tmp_path):
    add_source(store, "fr", "Federal Register", "Office of the Federal Register (NARA)", "US", 2.0)
    for i, country in enumerate(("Australia", "Brazil", "Canada", "Taiwan")):
        doc = f"d-crs-{country.lower()}"
        add_doc(store, doc, "fr", f"Certain Corrosion-Resistant Steel Products From {country}: {AD_ACTION}",
                f"The U.S. Department of Commerce preliminarily determines that certain "
                f"corrosion-resistant steel products from {country} are being sold in the United "
                f"States at less than fair value. The antidumping duty margins range up to "
                f"{20 + i} percent.", utc(2025, 4, 2, 12, i))
        add_story(store, f"s-crs-{country.lower()}", country, [doc], utc(2025, 4, 2, 12, i))
        add_tag(store, doc, "trade", 0.9)
    settings = load_settings(db_path=tmp_path / "x.duckdb", ui_lang="zh-TW",
                             digest={"per_section": 2})
    d = build_digest(store, HashingEncoder(), TAXONOMY, settings, DAY, now=utc(2025, 4, 2, 23, 5))
    stories = d.stories
    crs = [st for st in stories if st.story_id.startswith("s-crs-")]
    assert len(crs) == 4  # all four stay stories of the digest, none merged ...
    shown = [st for st in crs if not st.folded_into]
    assert [st.story_id for st in shown] == ["s-crs-taiwan"]  # ... under Taiwan's heading
    assert len(shown[0].family) == 3
    # the family took one of the section's two places: the reciprocal-tariff story kept the other
    assert "s-tariff" in {st.story_id for st in stories}
    md = render_markdown(d)
    assert "同日同產品公告，另有 3 國" in md and md.count("From Taiwan") >= 1
    row = load_digest(store, d.id)
    assert {i.story_id for i in row.items} >= {st.story_id for st in crs}


def test_a_date_only_source_shows_its_own_day_whatever_its_zone(store, tmp_path):
    # 總統府's 114年04月02日 is 00:00 in Taipei = 2025-04-01T16:00Z; a Washington date-only
    # notice is 04:00Z the same day: both show their own day, not the UTC date
    add_source(store, "tw", "總統府", "中華民國總統府", "TW", 2.5)
    add_doc(store, "d-tw", "tw", "總統針對美國關稅政策提出因應策略", EO_TEXT, utc(2025, 4, 2, 12),
            utc(2025, 4, 1, 16))
    add_doc(store, "d-fr", "wh", "Notice of tariff rates", EO_TEXT, utc(2025, 4, 2, 12),
            utc(2025, 4, 2, 4))
    store.execute("UPDATE documents SET published_precision = 'date' WHERE id IN ('d-tw', 'd-fr')")
    add_story(store, "s-dates", "dates", ["d-tw", "d-fr"], utc(2025, 4, 2, 12))
    add_tag(store, "d-tw", "trade", 0.95)
    d = build_digest(store, HashingEncoder(), TAXONOMY, _settings(tmp_path), DAY,
                     now=utc(2025, 4, 2, 23, 5))
    shown = {s.doc_id: s.time_local for st in d.stories for s in st.sources}
    assert shown["d-tw"] == "2025-04-02" and shown["d-fr"] == "2025-04-02"
