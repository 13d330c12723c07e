"""A draft as a Word document (python-docx): headings, certainty labels, numbered references
with hyperlinks, the draft date in Asia/Taipei."""

from __future__ import annotations

import re
from pathlib import Path

from docx import Document as new_document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_COLOR_INDEX
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.text.paragraph import Paragraph

from commentary.exposure import mapping_label
from commentary.records import Draft, Statement, ZhLine
from commentary.render import (
    DISCLAIMER_ZH,
    EMPTY,
    HEADINGS,
    KIND_ZH,
    SECTION_ZH,
    WATCH_ZH,
    certainty_label,
    day_text,
    event_label,
    local_time,
    original_label,
    safe_url,
    writer_zh,
    zh_covers,
    zh_tally,
)

_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SPACE = re.compile(r"\s+")
EAST_ASIAN_FONT = "Microsoft JhengHei"
# Latin text gets a Latin font in every slot: Word draws curly quotes and apostrophes (’ “ ”)
# with the East Asian font when it judges them East Asian, and a CJK font draws them
# full-width ("China’ s"); a run with no CJK characters therefore names LATIN_FONT for eastAsia
# too, and the document's ascii/hAnsi font is Latin.
LATIN_FONT = "Calibri"
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]+")
ORIGINAL_STYLE = "原文引文"  # the English under a Chinese line: smaller, grey, indented
ORIGINAL_PT = 9


def clean(text: str) -> str:
    """Text Word can hold (XML-illegal control characters removed, whitespace flattened)."""
    return _SPACE.sub(" ", _XML_ILLEGAL.sub("", str(text)))


def _script_parts(text: str) -> list[tuple[str, bool]]:
    """`text` cut into (part, is_cjk) pieces, e.g. 「China’s」 -> 「 / China’s / 」."""
    parts, at = [], 0
    for m in _CJK.finditer(text):
        if m.start() > at:
            parts.append((text[at:m.start()], False))
        parts.append((m.group(), True))
        at = m.end()
    if at < len(text):
        parts.append((text[at:], False))
    return parts or [("", False)]


def _latin_fonts(props) -> None:
    """Every font slot of a run's properties set to the Latin font (see LATIN_FONT)."""
    fonts = props.find(qn("w:rFonts"))
    if fonts is None:  # schema order: rFonts comes right after an rStyle
        fonts = OxmlElement("w:rFonts")
        props.insert(1 if props.find(qn("w:rStyle")) is not None else 0, fonts)
    for slot in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(slot), LATIN_FONT)


def _run(p: Paragraph, text: str, bold: bool = False, highlight: bool = False):
    """Add `text` as runs, one per script (Latin parts in the Latin font); returns the last."""
    for part, cjk in _script_parts(clean(text)):
        run = p.add_run(part)
        run.bold = bold
        if highlight:
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        if not cjk and part.strip():
            _latin_fonts(run._r.get_or_add_rPr())
    return run


def _cited(p: Paragraph, draft: Draft, st: Statement) -> None:
    body = clean(st.text)
    _run(p, f"「{body}」" if st.quote else body)
    refs = "".join(f"[{n}]" for n in draft.ref_numbers(st.doc_ids))
    if refs:
        run = _run(p, refs)
        run.font.superscript = True


def _hyperlink(p: Paragraph, url: str, text: str) -> None:
    r_id = p.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "0563C1")
    props.append(color)
    underline = OxmlElement("w:u")
    underline.set(qn("w:val"), "single")
    props.append(underline)
    if not _CJK.search(text):
        _latin_fonts(props)
    run.append(props)
    t = OxmlElement("w:t")
    t.text = clean(text)
    t.set(qn("xml:space"), "preserve")
    run.append(t)
    link.append(run)
    p._p.append(link)


def _set_fonts(doc) -> None:
    style = doc.styles["Normal"]
    style.font.size = Pt(11)
    props = style.element.get_or_add_rPr()
    fonts = props.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        props.append(fonts)
    fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    for slot in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(slot), LATIN_FONT)
    original = doc.styles.add_style(ORIGINAL_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    original.base_style = style
    original.font.size = Pt(ORIGINAL_PT)
    original.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    original.paragraph_format.left_indent = Cm(0.9)
    original.paragraph_format.space_after = Pt(2)


def write_docx(draft: Draft, path: Path | str) -> Path:
    """Write the draft as .docx; returns the path.

    Args:
        draft: from ``write_commentary``.
        path: where to write (parent folders are created).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = new_document()
    _set_fonts(doc)
    doc.core_properties.title = clean(draft.title)
    doc.core_properties.created = draft.created_at
    doc.core_properties.comments = f"policy-radar {draft.draft_id} v{draft.version}"
    doc.add_heading(clean(draft.title), level=0)
    meta = doc.add_paragraph()
    _run(meta, f"草稿日期：{local_time(draft.created_at, draft.timezone)}（台北時間）", bold=True)
    if draft.draft_id:
        _run(meta, f"　草稿編號：{draft.draft_id} 第 {draft.version} 版")
    doc.add_paragraph(clean(
        f"撰寫方式：{writer_zh(draft.inputs.writer, draft.inputs.model)}；檢索文件 {len(draft.inputs.doc_ids)} 篇、"
        f"引用 {len(draft.references)} 篇；"
        f"事實查核：檢查 {draft.check.checked} 句，刪除 {len(draft.check.removed)} 句。"))
    tally = zh_tally(draft)
    if tally:
        doc.add_paragraph(clean(f"中文化：{tally}"))
    for note in draft.notes:
        doc.add_paragraph(clean(f"附註：{note}"))
    warn = doc.add_paragraph()
    _run(warn, DISCLAIMER_ZH if draft.zh else
         "本稿為自動產生之初稿：引文保留來源原文，「推論」為分析而非來源事實，定稿前請逐條核對來源。",
         highlight=True)
    writers = {
        "summary": lambda: _bullets(doc, draft, (*draft.status, *draft.summary)),
        "background": lambda: _bullets(doc, draft, draft.background),
        "timeline": lambda: _timeline(doc, draft),
        "facts": lambda: _facts(doc, draft),
        "reactions": lambda: _bullets(doc, draft, draft.reactions),
        "implications": lambda: _implications(doc, draft),
        "watch": lambda: _watch(doc, draft),
        "references": lambda: _references(doc, draft),
    }
    zh_writers = {
        "summary": lambda: _zh_bullets(doc, draft, draft.zh.summary),
        "background": lambda: _zh_bullets(doc, draft, draft.zh.background),
        "timeline": lambda: _zh_timeline(doc, draft),
        "facts": lambda: _zh_facts(doc, draft),
        "reactions": lambda: _zh_bullets(doc, draft, draft.zh.reactions),
        "watch": lambda: _zh_watch(doc, draft),
    }
    for key, heading in HEADINGS:
        doc.add_heading(heading, level=1)
        write = zh_writers[key] if key in zh_writers and zh_covers(draft, key) else writers[key]
        if not write():
            doc.add_paragraph(EMPTY.get(key, ""))
    if draft.check.removed:
        doc.add_heading("附錄：事實查核刪除之語句", level=1)
        for r in draft.check.removed:
            p = doc.add_paragraph(style="List Bullet")
            _run(p, f"（{SECTION_ZH.get(r.section, r.section)}）{r.text[:300]} — 原因：{r.reason}")
    doc.save(str(path))
    return path


def _refs(p: Paragraph, draft: Draft, doc_ids: tuple[str, ...]) -> None:
    refs = "".join(f"[{n}]" for n in draft.ref_numbers(doc_ids))
    if refs:
        _run(p, refs).font.superscript = True


def _zh_line(doc, draft: Draft, line: ZhLine, p: Paragraph, tail=None) -> None:
    """A Chinese line in `p` (normal style), then its 原文 in the smaller grey style; an
    English-only line marked as such."""
    if line.origin == "english":
        _run(p, f"〔{line.note}，請見原文〕")
    else:
        _run(p, line.text)
    _refs(p, draft, line.doc_ids)
    if line.origin == "translated":
        _run(p, "〔機器翻譯，已核對〕")
    if tail:
        tail(p)
    quotes = list(line.originals)
    if line.title:
        o = doc.add_paragraph(style=ORIGINAL_STYLE)
        _run(o, f"原文：《{line.title}》")
        if len(quotes) == 1:
            _run(o, "：")
            _cited(o, draft, quotes.pop())
        else:
            _refs(o, draft, line.doc_ids)
    for q in quotes:
        o = doc.add_paragraph(style=ORIGINAL_STYLE)
        _run(o, f"{original_label(q)}：")
        _cited(o, draft, q)


def _zh_bullets(doc, draft: Draft, lines) -> bool:
    for line in lines:
        _zh_line(doc, draft, line, doc.add_paragraph(style="List Bullet"))
    return bool(lines)


def _zh_timeline(doc, draft: Draft) -> bool:
    for e, line in zip(draft.timeline, draft.zh.timeline, strict=False):
        p = doc.add_paragraph(style="List Bullet")
        _run(p, f"{e.day.isoformat()}｜{line.label or KIND_ZH.get(e.kind, e.kind)} ", bold=True)
        _label(p, e.certainty, e.effective, event_label(e, draft.inputs.filters.get("as_of", "")))
        _run(p, " — ")
        _zh_line(doc, draft, line, p)
    return bool(draft.timeline)


def _zh_facts(doc, draft: Draft) -> bool:
    for f, line in zip(draft.facts, draft.zh.facts, strict=False):
        _zh_line(doc, draft, line, doc.add_paragraph(style="List Number"),
                 tail=lambda p, f=f: _label(p, f.certainty, f.effective, event_label(f)))
    return bool(draft.facts)


def _zh_watch(doc, draft: Draft) -> bool:
    for w, line in zip(draft.watch, draft.zh.watch, strict=False):
        p = doc.add_paragraph(style="List Bullet")
        when = f"{w.day.isoformat()}（{WATCH_ZH.get(w.kind, w.kind)}）：" if w.day \
            else f"{WATCH_ZH.get(w.kind, w.kind)}（見來源所定期間）："
        _run(p, when, bold=True)
        _zh_line(doc, draft, line, p)
    return bool(draft.watch)


def _bullets(doc, draft: Draft, statements) -> bool:
    for st in statements:
        _cited(doc.add_paragraph(style="List Bullet"), draft, st)
    return bool(statements)


def _label(p: Paragraph, certainty: str, effective, text: str = "") -> None:
    run = _run(p, f"〔{text or certainty_label(certainty)}"
               + (f"；生效日 {effective.isoformat()}" if effective else "") + "〕", bold=True)
    run.font.color.rgb = RGBColor(0x9C, 0x27, 0x06)


def _timeline(doc, draft: Draft) -> bool:
    for e in draft.timeline:
        p = doc.add_paragraph(style="List Bullet")
        _run(p, f"{e.day.isoformat()}｜{KIND_ZH.get(e.kind, e.kind)} ", bold=True)
        _label(p, e.certainty, e.effective, event_label(e, draft.inputs.filters.get("as_of", "")))
        ref = draft.ref_numbers(e.statement.doc_ids[:1])
        title = next((r.title for r in draft.references if ref and r.n == ref[0]), "")
        if title and e.kind != "reference":
            _run(p, f" 《{title}》：")
        else:
            _run(p, " ")
        _cited(p, draft, e.statement)
    return bool(draft.timeline)


def _facts(doc, draft: Draft) -> bool:
    for f in draft.facts:
        p = doc.add_paragraph(style="List Number")
        _cited(p, draft, f.statement)
        _label(p, f.certainty, f.effective, event_label(f))
    return bool(draft.facts)


def _watch(doc, draft: Draft) -> bool:
    for w in draft.watch:
        p = doc.add_paragraph(style="List Bullet")
        when = f"{w.day.isoformat()}（{WATCH_ZH.get(w.kind, w.kind)}）：" if w.day \
            else f"{WATCH_ZH.get(w.kind, w.kind)}（見來源所定期間）："
        _run(p, when, bold=True)
        _cited(p, draft, w.statement)
    return bool(draft.watch)


def _implications(doc, draft: Draft) -> bool:
    for imp in draft.implications:
        doc.add_heading(clean(mapping_label(imp.key)), level=2)
        refs = "".join(f"[{n}]" for n in draft.ref_numbers(imp.doc_ids))
        doc.add_paragraph(clean(f"觸發依據：來源 {refs} 提及 {imp.trigger}"), style="List Bullet")
        doc.add_paragraph(clean(f"可能受影響產業：{'、'.join(imp.industries)}"), style="List Bullet")
        p = doc.add_paragraph(style="List Bullet")
        _run(p, "推論（分析，非來源事實）：", bold=True)
        _run(p, imp.reasoning)
        for fig in imp.figures:
            doc.add_paragraph(clean(f"參考數據：{fig.label} {fig.value}（資料來源：{fig.source}）"),
                              style="List Bullet")
        for st in imp.evidence:
            p = doc.add_paragraph(style="List Bullet")
            _run(p, "來源提及臺灣：")
            _cited(p, draft, st)
    return bool(draft.implications)


def _references(doc, draft: Draft) -> bool:
    for r in draft.references:
        p = doc.add_paragraph()
        _run(p, f"[{r.n}] {r.title}. {r.publisher}, {day_text(r.day)}. ")
        url = safe_url(r.url)
        if url:
            _hyperlink(p, url, url)
        else:
            _run(p, r.url)
    return bool(draft.references)
