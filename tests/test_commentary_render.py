"""Markdown and .docx output: zh-TW headings, numbered references, certainty labels, Taipei
dates, Chinese lines over their English originals (原文), and crawled text that can never become
markup or a link."""

from dataclasses import replace
from datetime import UTC, date, datetime

from docx import Document as open_docx

from commentary.records import (
    CheckReport,
    Draft,
    DraftInputs,
    Fact,
    Reference,
    Removal,
    SourceDoc,
    Statement,
    TimelineEvent,
    WatchItem,
)
from commentary.render import HEADINGS, md_escape, render_markdown, safe_url
from commentary.word import ORIGINAL_STYLE, write_docx
from commentary.zh import compose_reading

HOSTILE = 'Duties apply <script>alert(1)</script> [click](javascript:alert(2)) **now** # x | y'


QUOTE = "Duty-free de minimis treatment shall no longer be available on May 2, 2025."
SOURCES = [
    SourceDoc("d1", "Further Amendment <b>to</b> Duties", "https://www.whitehouse.gov/presidential-"
              "actions/2025/04/x/", "The White House", "wh", "order", date(2025, 4, 2), 1, "h1",
              (QUOTE,), country="US"),
    SourceDoc("d2", "Evil [link](javascript:alert(3))", "javascript:alert(4)", "Someone", "x",
              "other", None, 1, "h2", (HOSTILE,)),
]


def with_zh(d: Draft) -> Draft:
    """The draft with its zh-TW layer composed from SOURCES."""
    return replace(d, zh=compose_reading(d, SOURCES))


def english_draft() -> Draft:
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


def draft() -> Draft:
    return with_zh(english_draft())


def test_markdown_has_every_section_and_numbered_citations():
    md = render_markdown(draft())
    for _, heading in HEADINGS:
        assert f"## {heading}" in md
    assert "2025-04-03 07:30（台北時間）" in md  # 23:30 UTC on 2 April is 07:30 in Taipei
    assert "cabc 第 2 版" in md
    assert ("- **2025-04-02**｜總統行政命令／公告｜已簽署（signed）；生效日 2025-05-02 — "
            "微量進口免稅待遇不再適用[1]\n"
            f"  > 原文：《Further Amendment \\<b\\>to\\</b\\> Duties》：「{QUOTE}」[1]") in md
    assert ("1. 微量進口免稅待遇不再適用，2025-05-02 起生效[1]〔已簽署（signed）；生效日 2025-05-02〕\n"
            f"   > 原文：「{QUOTE}」[1]") in md
    assert "- **2025-05-02**（生效日）：微量進口免稅待遇不再適用，2025-05-02 起生效[1]\n" in md
    assert "- 中文化：卡片組句 " in md and "（未設定翻譯後端）" in md
    assert "1. Further Amendment \\<b\\>to\\</b\\> Duties. The White House, 2025-04-02. " \
           "<https://www.whitehouse.gov/presidential-actions/2025/04/x/>" in md
    assert "刪除 1 句" in md and "number 99 not in source" in md
    assert "（所引用之來源中未見各方反應。）" in md


def test_a_draft_without_the_zh_layer_keeps_the_english_layout():
    md = render_markdown(english_draft())  # drafts stored before the zh layer
    assert "**2025-04-02**｜總統行政命令／公告｜已簽署（signed）；生效日 2025-05-02 — 《" in md
    assert "May 2, 2025.」[1]〔已簽署（signed）；生效日 2025-05-02〕" in md
    assert "中文化" not in md and "原文：" not in md


def test_every_english_quote_sits_under_a_chinese_line_as_its_original():
    d = draft()
    md = render_markdown(d)
    for section in ("## 一、事件摘要", "## 三、時間軸", "## 四、重點事實", "## 七、建議關注事項"):
        body = md.split(section, 1)[1].split("\n## ", 1)[0]
        quoted = [x for x in body.splitlines() if "「" in x]
        assert quoted and all(x.lstrip().startswith("> 原文：") for x in quoted), body
    assert "\\<script\\>alert\\(1\\)\\</script\\>" in md.split("## 一、事件摘要", 1)[1]


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
    fact = next(p for p in doc.paragraphs if p.style.name == "List Number")
    assert fact.text.startswith("微量進口免稅待遇不再適用，2025-05-02 起生效[1]〔已簽署（signed）")
    originals = [p.text for p in doc.paragraphs if p.style.name == ORIGINAL_STYLE]
    assert f"原文：「{QUOTE}」[1]" in originals
    assert any(t.startswith("中文化：卡片組句") for t in texts)
    refs = [t for t in texts if t.startswith("[1] ") or t.startswith("[2] ")]
    assert refs[0].startswith("[1] Further Amendment <b>to</b> Duties. The White House, 2025-04-02.")
    links = [r.target_ref for r in doc.part.rels.values() if r.reltype.endswith("/hyperlink")]
    assert links == ["https://www.whitehouse.gov/presidential-actions/2025/04/x/"]
    assert "javascript:alert(4)" in refs[1]  # shown as text, never linked
    assert doc.core_properties.title == "智庫短評初稿：de minimis"


def test_docx_drops_characters_word_cannot_hold(tmp_path):
    d = english_draft()
    bad = Statement("Control\x00 characters\x0b from a page", ("d1",), quote=True)
    d = with_zh(Draft(**{**d.__dict__, "summary": (bad,)}))
    doc = open_docx(str(write_docx(d, tmp_path / "x.docx")))
    assert any("Control characters from a page" in p.text for p in doc.paragraphs)


def test_docx_latin_text_carries_a_latin_font_so_apostrophes_are_not_full_width(tmp_path):
    from docx.oxml.ns import qn

    from commentary.word import EAST_ASIAN_FONT, LATIN_FONT

    d = english_draft()
    curly = Statement("China’s exporters face “reciprocal” duties.", ("d1",), quote=True)
    d = with_zh(Draft(**{**d.__dict__, "summary": (curly,)}))
    doc = open_docx(str(write_docx(d, tmp_path / "x.docx")))
    normal = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert normal.get(qn("w:ascii")) == normal.get(qn("w:hAnsi")) == LATIN_FONT
    assert normal.get(qn("w:eastAsia")) == EAST_ASIAN_FONT
    runs = [r for p in doc.paragraphs for r in p.runs if "’" in r.text]
    assert runs and any("China’s" in r.text for r in runs)
    for run in runs:  # no CJK character shares the run, and every slot names the Latin font
        fonts = run._r.rPr.find(qn("w:rFonts"))
        assert {fonts.get(qn(s)) for s in ("w:ascii", "w:hAnsi", "w:eastAsia")} == {LATIN_FONT}
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in run.text)
    quoted = next(p for p in doc.paragraphs if "China’s" in p.text and "「" in p.text)
    assert "「China’s" in quoted.text  # the text itself is unchanged by the split
