"""Rendering: hostile crawled text is escaped in HTML, Markdown, JSON and Atom; links are http(s)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from test_briefs_support import utc

from briefs.records import (
    Coverage,
    Digest,
    OfficialDoc,
    Section,
    SourceRef,
    StoryEntry,
    SummaryLine,
    safe_url,
)
from briefs.render import md_escape, render_atom, render_html, render_json, render_markdown

EVIL_TITLE = 'Tariffs <script>alert("x")</script> <img src=x onerror=alert(1)>'
EVIL_TEXT = "Duties rise [click](javascript:alert(1)) <b>now</b> & **later** | # x"


def _digest(lang="zh-TW") -> Digest:
    sources = (
        SourceRef(1, "d1", EVIL_TITLE, "https://www.whitehouse.gov/a?x=1&y=2", "The White House",
                  "US", "2025-04-03 04:30", True),
        SourceRef(2, "d2", "Second", safe_url("javascript:alert(1)"), "Evil <i>Press</i>",
                  None, None, True),
    )  # fmt: skip
    story = StoryEntry(
        story_id="s1", headline=EVIL_TITLE, headline_url=safe_url("JavaScript:alert(2)"),
        summary=(
            SummaryLine(EVIL_TEXT, "d1", 1, "https://www.whitehouse.gov/a?x=1&y=2"),
            SummaryLine("Second source says <script>steal()</script>.", "d2", 2, None),
        ),
        sources=sources, tags=("貿易與關稅", "<u>tag</u>"), entities=("USTR",),
        badge="developing", day=3,
        official=OfficialDoc("Executive Order 14257", "https://www.federalregister.gov/d/2025-06063", "d1"),
        score=2.5, parts={"authority": 1.5, "topic": 1.0},
    )  # fmt: skip
    return Digest(
        id="2025-04-03:default:" + lang, date=date(2025, 4, 3), profile="default", lang=lang,
        window_start=utc(2025, 4, 1, 23), window_end=utc(2025, 4, 2, 23),
        window_label="2025-04-02 07:00 – 2025-04-03 07:00", generated_at=utc(2025, 4, 2, 23, 5),
        sections=(Section("trade", "貿易與關稅", (story,)),),
        coverage=Coverage(failed=(("METI <x>", "HTTP 503"),), silent=("BMWK",), total=3),
        n_candidates=1,
    )  # fmt: skip


def test_html_escapes_and_links_only_http():
    html = render_html(_digest())
    assert "<script" not in html and "<img" not in html and "<b>" not in html and "<u>" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs and all(h.startswith("https://") for h in hrefs)
    assert 'href="https://www.whitehouse.gov/a?x=1&amp;y=2"' in html
    assert "發展中 — 第 3 天" in html and "主要官方文件" in html and "抓取失敗" in html
    assert "<style" not in html and "style=" in html  # inline CSS only
    # every summary line with a URL links to it
    assert html.count('href="https://www.whitehouse.gov/a?x=1&amp;y=2"') >= 2


def test_english_strings_switch():
    html = render_html(_digest("en"))
    assert "developing — day 3" in html and "Primary official document" in html
    assert "發展中" not in html


def test_markdown_escapes_crawled_text():
    md = render_markdown(_digest())
    assert "<script>" not in md and "<img" not in md and "<b>" not in md
    targets = re.findall(r"(?<!\\)\]\(([^)]*)\)", md)
    assert targets and all(t.startswith("https://") for t in targets)
    assert "\\[click\\]" in md and "\\*\\*later\\*\\*" in md and "\\| \\# x" in md
    assert "[\\[1\\]](https://www.whitehouse.gov/a?x=1&y=2)" in md
    assert "\\[2\\]" in md  # the unsafe source is cited without a link


def test_json_and_atom_round_trip():
    d = _digest()
    data = json.loads(render_json(d))
    assert data["sections"][0]["stories"][0]["headline"] == EVIL_TITLE
    assert data["window_end"] == "2025-04-02T23:00:00+00:00"
    html = render_html(d)
    atom = render_atom(
        [(d.id, d.generated_at, "政策雷達晨報 <2025-04-03>", html)],
        feed_id="urn:policy-radar:digest:default:zh-TW", title="Policy & Radar",
        self_url="javascript:alert(1)",
    )  # fmt: skip
    root = ET.fromstring(atom.encode())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    assert root.find("a:title", ns).text == "Policy & Radar"
    assert root.find("a:link", ns) is None
    entry = root.find("a:entry", ns)
    assert entry.find("a:title", ns).text == "政策雷達晨報 <2025-04-03>"
    assert entry.find("a:content", ns).text == html  # escaped once, recovered exactly
    assert entry.find("a:updated", ns).text == "2025-04-02T23:05:00Z"


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://www.ustr.gov/x", True),
        ("http://example.gov/a?b=1", True),
        ("javascript:alert(1)", False),
        (" JAVASCRIPT:alert(1)", False),
        ("data:text/html,<script>", False),
        ("//evil.example/x", False),
        ("/relative/path", False),
        ('https://x.gov/"onmouseover=alert(1)', False),
        ("https://x.gov/\nSet-Cookie:x", False),
        (None, False),
    ],
)
def test_safe_url(url, ok):
    assert (safe_url(url) is not None) is ok


def test_md_escape_single_line():
    assert md_escape("a\n\n# b <c>") == "a \\# b &lt;c&gt;"


def _status_digest(lang: str) -> Digest:
    """The de minimis orders of February-April 2025 as a story, with its status badges as of
    the digest date (3 April: the 2 April amendment, the 2 May end of de minimis ahead)."""
    from pathlib import Path

    from briefs.lifecycle import StatusBadge, statuses
    from crawlers.registry import load_registry
    from nlp.lifecycle import lifecycle_events
    from replay.snapshot_docs import snapshot_documents

    keys = ("2025/02/imposing-duties-to-address-the-synthetic-opioid-supply-chain-in-the-peoples-",
            "2025/02/amendment-to-duties-addressing-the-synthetic-opioid-supply-chain",
            "as-applied-to-low-value-imports/")
    snapshot = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
    docs = list(snapshot_documents(snapshot, load_registry(), keep=lambda r: "whitehouse.gov" in r[
        "url"] and any(k in r["url"] for k in keys)))
    events = lifecycle_events(docs)
    badges = statuses(events, {d.id: d.url for d in docs}, date(2025, 4, 3), zh=lang == "zh-TW")
    # a document whose URL cannot be linked gives no badge (every line links to its source)
    assert not statuses(events, {d.id: "javascript:alert(1)" for d in docs}, date(2025, 4, 3))
    hostile = StatusBadge("title:x", "announced", "宣布", "2025-04-01", None, "dx",
                          "https://www.whitehouse.gov/x?a=<b>", EVIL_TITLE)
    sources = tuple(SourceRef(i, d.id, d.title, d.url, "The White House", "US", None, True)
                    for i, d in enumerate(docs, 1))
    numbers = {s.doc_id: s.n for s in sources}
    from briefs.lifecycle import cite

    story = StoryEntry(
        story_id="s1", headline="De minimis", headline_url=None, summary=(), sources=sources,
        tags=(), entities=(), badge="developing", day=2, official=None, score=1.0, parts={},
        status=(*cite(badges, numbers), hostile))
    return Digest(
        id="2025-04-03:default:" + lang, date=date(2025, 4, 3), profile="default", lang=lang,
        window_start=utc(2025, 4, 1, 23), window_end=utc(2025, 4, 2, 23), window_label="x",
        generated_at=utc(2025, 4, 2, 23, 5), sections=(Section("trade", "貿易與關稅", (story,)),),
        coverage=Coverage(failed=(), silent=(), total=0), n_candidates=1)


def test_status_badges_cited_in_html_and_markdown():
    digest = _status_digest("zh-TW")
    first = digest.stories[0].status[0]
    # the 2 April order amends EO 14195 (its own number is not cited in these documents yet)
    assert (first.name, first.kind, first.date) == ("EO 14195", "amended", "2025-04-02")
    assert first.upcoming == "5/2 起生效" and first.n == 3  # cited as the story's 3rd source
    html = render_html(digest)
    assert '<span lang="en">EO 14195</span> <strong>修正</strong> 2025-04-02' in html
    assert "5/2 起生效" in html
    assert f'href="{first.url}" style="color:#0b5394;">[3]</a>' in html
    assert "<script" not in html and "<img" not in html  # the hostile badge is inert
    assert 'title="Tariffs &lt;script&gt;alert(' in html
    md = render_markdown(digest)
    assert "EO 14195 `修正` 2025-04-02 · 5/2 起生效" in md
    assert f"[\\[3\\]]({first.url.replace('(', '%28').replace(')', '%29')})" in md
    assert "<script>" not in md
    english = render_html(_status_digest("en"))
    assert "<strong>Amended</strong> 2025-04-02" in english and "in effect from May 2" in english
    assert json.loads(render_json(digest))["sections"][0]["stories"][0]["status"][0]["kind"] == "amended"
