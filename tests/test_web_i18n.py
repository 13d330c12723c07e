"""The zh-TW interface explains itself: no setting names ("extractive"), method names ("bm25 +
embedding"), English labels ("Query"), typed country codes or unit-less numbers."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from web.i18n import country_choices, ui_strings
from web.render import make_environment


def render(template: str, lang: str = "zh-TW", **context) -> str:
    """A page template rendered with what `web.render.page` fills in."""
    env = make_environment("Asia/Taipei")
    base = {"t": ui_strings(lang), "lang": lang, "reading": "zh", "user": "analyst",
            "csrf": "token", "path": "/", "nav": "digest"}
    return env.get_template(template).render({**base, **context})


def _text(html: str) -> str:
    """What a reader sees: tags and attribute values dropped."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_watchlist_form_labels_its_query_and_offers_countries_by_name():
    watch = SimpleNamespace(id="w1", name="關稅", query="tariff", topics=(), countries=("US", "EU"),
                            sources=(), owner="analyst", channel="", target="")
    html = render("watch.html.j2", lists=[watch], hits={"w1": []}, until=None, editing=None,
                  topics=[], sources=[], days=14,
                  countries=country_choices(["EU", "JP", "US"], "zh-TW"),
                  country_names=dict(country_choices(["EU", "US"], "zh-TW")))
    seen = _text(html)
    assert "Query" not in seen and "查詢條件" in seen
    assert 'placeholder="US, EU"' not in html and 'name="countries" value=' not in html
    assert re.search(r'<select name="countries" multiple', html)
    assert '<option value="US" >美國 US</option>' in html.replace("  ", " ")
    assert "美國 US, 歐盟 EU" in seen  # the saved list reads as names too


def test_search_summary_names_its_methods_and_the_expanded_chinese_query():
    result = SimpleNamespace(stories=[], docs=[], methods=("bm25", "embedding"))
    form = SimpleNamespace(q="半導體 關稅", since="", until="", country="", topic="", source="")
    html = render("search.html.j2", nav="search", form=form, result=result, groups=[],
                  prepared=SimpleNamespace(text="semiconductor tariff"),
                  countries=country_choices(["US"], "zh-TW"), sources=[], topics=[])
    summary = _text(re.search(r'<p class="muted" id="search-summary">.*?</p>', html, re.S)[0])
    assert "bm25" not in summary and "embedding" not in summary
    assert "關鍵字比對（BM25） + 語意相近（向量）" in summary
    assert "中文查詢轉為 “semiconductor tariff”" in summary
    assert ">美國 US</option>" in html


@pytest.mark.parametrize("writer", ["extractive", "transformers", "openai"])
def test_recent_drafts_say_how_they_were_written_in_chinese(writer):
    from datetime import UTC, datetime

    html = render("comment.html.j2", nav="comment", story="", story_title="",
                  recent=[("d1", 1, datetime(2025, 4, 3, tzinfo=UTC), "de minimis", writer)])
    cells = re.findall(r"<td>([^<]*)</td>", html)
    assert writer not in cells and ui_strings("zh-TW")[f"writer.{writer}"] in cells


def test_the_draft_header_names_the_writer_in_chinese():
    from commentary.render import writer_zh

    assert writer_zh("extractive", "extractive-template-v1") == \
        "摘錄式：逐句引自來源（extractive-template-v1）"


def test_the_digest_archive_gives_its_counts_a_unit():
    d = SimpleNamespace(date="2025-04-03", sections=[], window_label="04-02 07:00 – 04-03 07:00",
                        generated_at=None, coverage=SimpleNamespace(failed=[], silent=[]))
    html = render("digest.html.j2", d=d, row=SimpleNamespace(items=[]), other_lang=False,
                  profiles=[("default", "預設")], profile="default", day="2025-04-03",
                  archive=[SimpleNamespace(day="2025-04-03", stories=21)])
    aside = _text(re.search(r'<aside class="side">.*?</aside>', html, re.S)[0])
    assert "2025-04-03 21 則報導" in aside


def test_every_label_the_templates_look_up_exists_in_both_languages():
    zh, en = ui_strings("zh-TW"), ui_strings("en")
    for key in ("method.bm25", "method.embedding", "search.expanded", "watch.query",
                "watch.countries", "writer.extractive", "writer.transformers", "writer.openai"):
        assert zh[key] and en[key] and zh[key] != en[key]
    assert country_choices(["US", "XX"], "en") == [("US", "United States US"), ("XX", "XX")]


def test_story_page_shows_the_measure_timeline_cited_escaped_in_chinese(tmp_path, monkeypatch):
    """The story page's 措施進程: each event of the story's measures with its zh-TW label,
    date, instrument and a link to the document that states it; crawled text stays inert."""
    from datetime import UTC, datetime
    from pathlib import Path

    from crawlers.registry import load_registry
    from nlp.lifecycle_stage import record_story_events
    from replay.snapshot_docs import snapshot_documents
    from store.db import opened
    from store.documents import upsert_document, upsert_sources
    from store.records import Document
    from tests.webserver import SECRET_ENV, WebServer, login, web_settings

    keys = ("2025/02/imposing-duties-to-address-the-synthetic-opioid-supply-chain-in-the-peoples-",
            "2025/02/amendment-to-duties-addressing-the-synthetic-opioid-supply-chain",
            "as-applied-to-low-value-imports/")
    snapshot = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
    monkeypatch.setenv(SECRET_ENV, "test key " * 4)
    settings = web_settings(tmp_path)
    now = datetime(2025, 4, 3, tzinfo=UTC)
    hostile = Document(
        url="https://www.whitehouse.gov/fact-sheets/2025/04/x", source_id="wh-fact-sheets",
        canonical_url="https://www.whitehouse.gov/fact-sheets/2025/04/x", language="en",
        title='Fact Sheet: De minimis <script>window.__x=1</script>', text="Tariffs.",
        published_at=now, first_seen_at=now)
    with opened(settings.db_path) as con:
        reg = load_registry()
        upsert_sources(con, reg.sources)
        docs = list(snapshot_documents(snapshot, reg, keep=lambda r: "whitehouse.gov" in r["url"]
                                       and any(k in r["url"] for k in keys))) + [hostile]
        con.execute("INSERT INTO stories VALUES ('s-dm', 'De minimis', ?, ?, ?, NULL, 't', "
                    "'active', NULL, ?)", [now, now, len(docs), now])
        for d in docs:
            upsert_document(con, d)
            con.execute("INSERT INTO story_members VALUES (?, 's-dm', 1.0, ?, 't')", [d.id, now])
        assert record_story_events(con).events >= 5
    with WebServer(settings) as server, server.client() as client:
        assert login(client).status_code == 303
        page = client.get("/stories/s-dm")
    assert page.status_code == 200
    section = page.text.split('id="measure-timeline"', 1)[1].split("</section>", 1)[0]
    assert "措施進程" in section and "EO 14195" in section
    for label in ("已簽署", "已生效", "暫緩", "修正", "宣布"):
        assert label in section, label
    assert "2025-02-05" in section and "EO 14200" in section  # the pause, with its order
    assert 'href="https://www.whitehouse.gov/presidential-actions/2025/02/amendment-to-duties' in section
    assert "<script>window.__x" not in page.text and "&lt;script&gt;window.__x=1" in section


def test_the_digest_page_shows_stored_status_badges_cited():
    """A stored digest's status badges (content JSON) on the web digest page: zh-TW label,
    date, the next effective date and the link to the citing document; older stored digests
    without badges render as before."""
    import json
    from datetime import UTC, date, datetime

    from briefs.lifecycle import StatusBadge
    from briefs.records import Coverage, Digest, Section, SourceRef, StoryEntry, digest_to_dict

    url = "https://www.whitehouse.gov/presidential-actions/2025/04/modifying-reciprocal-tariff-rates/"
    badge = StatusBadge("EO 14257", "suspended", "暫緩", "2025-04-09", "EO 14266", "d1", url,
                        'suspend <script>x</script> for 90 days', n=1, upcoming="", name="EO 14257")
    story = StoryEntry(
        story_id="s1", headline="Reciprocal tariffs", headline_url=url, summary=(),
        sources=(SourceRef(1, "d1", "Modifying Reciprocal Tariff Rates", url, "The White House",
                           "US", None, True),),
        tags=(), entities=(), badge="developing", day=8, official=None, score=1.0, parts={},
        status=(badge,))
    when = datetime(2025, 4, 9, 23, tzinfo=UTC)
    digest = Digest(id="x", date=date(2025, 4, 10), profile="default", lang="zh-TW",
                    window_start=when, window_end=when, window_label="w", generated_at=when,
                    sections=(Section("trade", "貿易與關稅", (story,)),),
                    coverage=Coverage(failed=(), silent=(), total=0), n_candidates=1)
    content = json.loads(json.dumps(digest_to_dict(digest)))
    page = dict(row=SimpleNamespace(items=[1]), other_lang=False, profiles=[("default", "預設")],
                profile="default", day="2025-04-10", archive=[])
    html = render("digest.html.j2", d=content, **page)
    status = re.search(r'<p class="meta status">.*?</p>', html, re.S)[0]
    assert "<strong>暫緩</strong> 2025-04-09" in status and "EO 14266" in status
    assert f'href="{url}"' in status and "[1]" in status
    assert "<script>x" not in html and "&lt;script&gt;x" in status  # the sentence, escaped
    del content["sections"][0]["stories"][0]["status"]  # a digest stored before the badges
    assert 'class="meta status"' not in render("digest.html.j2", d=content, **page)


def test_the_digest_page_folds_a_family_of_notices_under_its_lead_as_the_email_does():
    """Seven same-day corrosion-resistant steel notices (briefs/families.py, as stored in the
    digest's content JSON): one story on the page, Taiwan's, with the six others listed under it,
    each linked to its notice; crawled titles stay inert. A digest stored before families (no
    `family` or `folded_into` keys) lists every story as before."""
    import json

    from test_briefs_families import COUNTRIES, _digest, _entry

    from briefs.families import fold_families
    from briefs.records import Section, digest_to_dict
    from zhtw.terms import build_matcher

    folded = fold_families((Section("trade", "貿易", tuple(_entry(c) for c in COUNTRIES)),),
                           build_matcher(), zh=True)
    content = json.loads(json.dumps(digest_to_dict(_digest(folded))))
    lead = next(st for st in content["sections"][0]["stories"] if st["family"])
    lead["family"][0]["title"] = "Steel From Australia <script>window.__f=1</script>"
    page = dict(row=SimpleNamespace(items=list(range(7))), other_lang=False,
                profiles=[("default", "預設")], profile="default", day="2025-04-10", archive=[])
    html = render("digest.html.j2", d=content, **page)
    stories = re.findall(r'<article class="story card".*?</article>', html, re.S)
    assert len(stories) == 1 and "From Taiwan" in stories[0]
    assert "1 則報導" in _text(re.search(r'<p class="muted">.*?</p>', html, re.S)[0])
    family = re.search(r'<div class="family">.*?</div>', stories[0], re.S)[0]
    assert "同日同產品公告，另有 6 國" in family
    lines = re.findall(r"<li>.*?</li>", family, re.S)
    assert len(lines) == 6
    for line, slug, label in zip(lines, ("australia", "brazil", "canada", "mexico",
                                         "the-netherlands", "the-republic-of-türkiye"),
                                 ("澳洲", "巴西", "加拿大", "墨西哥", "荷蘭", "土耳其"), strict=True):
        assert f'href="https://www.federalregister.gov/documents/2025/04/10/{slug}"' in line, line
        assert label in line
    assert "<script>window.__f" not in html and "&lt;script&gt;window.__f=1" in lines[0]
    for st in content["sections"][0]["stories"]:  # a digest stored before families
        del st["family"], st["folded_into"]
    html = render("digest.html.j2", d=content, **page)
    assert len(re.findall(r'<article class="story card"', html)) == 7
    assert 'class="family"' not in html and "7 則報導" in html
