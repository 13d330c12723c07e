"""Markdown and .docx output: zh-TW headings, numbered references, certainty labels, Taipei
dates, and crawled text that can never become markup or a link."""

from datetime import UTC, date, datetime

from docx import Document as open_docx

from commentary.records import (
    CheckReport,
    Draft,
    DraftInputs,
    Fact,
    Reference,
    Removal,
    Statement,
    TimelineEvent,
    WatchItem,
)
from commentary.render import HEADINGS, md_escape, render_markdown, safe_url
from commentary.word import write_docx

HOSTILE = 'Duties apply <script>alert(1)</script> [click](javascript:alert(2)) **now** # x | y'


def draft() -> Draft:
    st = Statement("Duty-free de minimis treatment shall no longer be available on May 2, 2025.",
                   ("d1",), quote=True)
    return Draft(
        title="智庫短評初稿：de minimis", created_at=datetime(2025, 4, 2, 23, 30, tzinfo=UTC),
        timezone="Asia/Taipei",
        inputs=DraftInputs("de minimis", "de minimis", {"as_of": "2025-04-03"}, ("d1", "d2"),
                           (("d1", 1, "h1"), ("d2", 1, "h2")), ("s1",), "extractive", "m", "e"),
        summary=(Statement(HOSTILE, ("d2",), quote=True),),
        background=(),
        timeline=(TimelineEvent(date(2025, 4, 2), "order", st, "signed", date(2025, 5, 2)),),
        facts=(Fact(st, "signed", date(2025, 5, 2)),),
        reactions=(),
        implications=(),
        watch=(WatchItem(date(2025, 5, 2), "effective", st),),
        references=(
            Reference(1, "d1", "Further Amendment <b>to</b> Duties", "The White House",
                      date(2025, 4, 2), "https://www.whitehouse.gov/presidential-actions/2025/04/x/"),
            Reference(2, "d2", "Evil [link](javascript:alert(3))", "Someone", None,
                      "javascript:alert(4)"),
        ),
        check=CheckReport(4, (Removal("summary", "A made-up claim of 99 percent.", "number 99 not in source"),)),
        draft_id="cabc", version=2,
    )


def test_markdown_has_every_section_and_numbered_citations():
    md = render_markdown(draft())
    for _, heading in HEADINGS:
        assert f"## {heading}" in md
    assert "2025-04-03 07:30（台北時間）" in md  # 23:30 UTC on 2 April is 07:30 in Taipei
    assert "cabc 第 2 版" in md
    assert "**2025-04-02**｜總統行政命令／公告｜已簽署（signed）；生效日 2025-05-02" in md
    assert "May 2, 2025.」[1]〔已簽署（signed）；生效日 2025-05-02〕" in md
    assert "1. Further Amendment \\<b\\>to\\</b\\> Duties. The White House, 2025-04-02. " \
           "<https://www.whitehouse.gov/presidential-actions/2025/04/x/>" in md
    assert "刪除 1 句" in md and "number 99 not in source" in md
    assert "（所引用之來源中未見各方反應。）" in md


def test_crawled_text_cannot_inject_markup_or_links():
    md = render_markdown(draft())
    assert "<script>" not in md and "\\<script\\>" in md
    assert "](javascript:" not in md and "<javascript:" not in md
    assert "**now**" not in md
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://x.test/a b<c>") == "https://x.test/a%20b%3Cc%3E"
    assert md_escape("a\n# b") == "a \\# b"


def test_docx_has_headings_labels_references_with_hyperlinks(tmp_path):
    path = write_docx(draft(), tmp_path / "out" / "draft.docx")
    doc = open_docx(str(path))
    texts = [p.text for p in doc.paragraphs]
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings == [h for _, h in HEADINGS] + ["附錄：事實查核刪除之語句"]
    assert any("草稿日期：2025-04-03 07:30（台北時間）" in t for t in texts)
    assert any("〔已簽署（signed）；生效日 2025-05-02〕" in t for t in texts)
    refs = [t for t in texts if t.startswith("[1] ") or t.startswith("[2] ")]
    assert refs[0].startswith("[1] Further Amendment <b>to</b> Duties. The White House, 2025-04-02.")
    links = [r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert links == ["https://www.whitehouse.gov/presidential-actions/2025/04/x/"]
    assert "javascript:alert(4)" in refs[1]  # shown as text, never linked
    assert doc.core_properties.title == "智庫短評初稿：de minimis"


def test_docx_drops_characters_word_cannot_hold(tmp_path):
    d = draft()
    bad = Statement("Control\x00 characters\x0b from a page", ("d1",), quote=True)
    d = Draft(**{**d.__dict__, "summary": (bad,)})
    doc = open_docx(str(write_docx(d, tmp_path / "x.docx")))
    assert any("Control characters from a page" in p.text for p in doc.paragraphs)
