"""A draft as Markdown with zh-TW headings. Source text is escaped (Markdown and HTML are inert)
and only http(s) links are written."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from commentary.exposure import mapping_label
from commentary.records import Draft, Statement, ZhLine

HEADINGS = (
    ("summary", "一、事件摘要"),
    ("background", "二、背景"),
    ("timeline", "三、時間軸"),
    ("facts", "四、重點事實"),
    ("reactions", "五、各方反應"),
    ("implications", "六、對我國產業之可能影響"),
    ("watch", "七、建議關注事項"),
    ("references", "八、參考資料"),
)
CERTAINTY_ZH = {"announced": "已宣布", "proposed": "擬議中", "signed": "已簽署", "in force": "已生效"}
KIND_ZH = {"order": "總統行政命令／公告", "register": "聯邦公報", "fact-sheet": "白宮事實說明",
           "statement": "聲明", "article": "文章", "reference": "前令（見所引文件）", "other": "文件"}
WATCH_ZH = {"effective": "生效日", "deadline": "期限", "comments": "意見徵詢截止", "report": "報告期限"}
# how the draft was written, in words a reader of the zh-TW draft understands (the setting's
# own name, e.g. "extractive", stays beside it for whoever configures it)
WRITER_ZH = {"extractive": "摘錄式：逐句引自來源", "transformers": "本機語言模型",
             "openai": "語言模型伺服器", "revision": "人工編修"}


def writer_zh(writer: str, model: str) -> str:
    """The draft's writer for its header, e.g. 摘錄式：逐句引自來源（extractive-template-v1）."""
    label = WRITER_ZH.get(writer, writer)
    return f"{label}（{model}）" if model else label


EMPTY = {
    "summary": "（無可引用之來源句。）",
    "background": "（所引用之來源未提供更早的背景。）",
    "timeline": "（來源中未見可定日期之事件。）",
    "facts": "（來源中無可列為重點事實之句子。）",
    "reactions": "（所引用之來源中未見各方反應。）",
    "implications": "（對照表中無與本事件相符之項目；請人工評估。）",
    "watch": "（來源中未見尚未屆至之期限、意見徵詢或生效日。）",
}
SECTION_ZH = dict(HEADINGS)
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def md_escape(text: str) -> str:
    """Text with Markdown/HTML specials backslash-escaped and line breaks flattened."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def safe_url(url: str) -> str | None:
    """An http(s) URL made safe inside ``<...>`` (None for any other scheme)."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe=":/?#[]@!$&'*+,;=%-._~")


STATUS_ZH = {"announced": "宣布", "proposed": "擬議", "comment_requested": "徵求意見",
             "final": "最終規則", "signed": "已簽署", "effective": "生效", "suspended": "暫緩",
             "rates_changed": "調整稅率", "amended": "修正", "revoked": "撤銷",
             "enjoined": "法院禁制", "superseded": "未生效：已被後令取代"}


def event_label(e, as_of: str = "") -> str:
    """A timeline event's label: its lifecycle status as the document type makes it (徵求意見,
    暫緩, 修正 ...; an effective date after the draft's date is 預定生效) with its instrument,
    e.g. 修正（amended）｜EO 14256; events made before the lifecycle (and facts whose document
    type does not decide) show their certainty."""
    if not getattr(e, "status", ""):
        return certainty_label(e.certainty)
    if e.status == "signed" and e.certainty == "in force":  # signed, and its date has come
        return "已生效（in force）" + (f"｜{e.instrument}" if getattr(e, "instrument", None)
                                      else "")
    label = STATUS_ZH.get(e.status, e.status)
    if e.status == "effective" and as_of and e.day.isoformat() > as_of:
        label = "預定生效"
    return f"{label}（{e.status}）" + (f"｜{e.instrument}" if getattr(e, "instrument", None)
                                      else "")


def certainty_label(key: str) -> str:
    """zh-TW certainty label with the English key, e.g. 已簽署（signed）."""
    return f"{CERTAINTY_ZH.get(key, key)}（{key}）"


def local_time(moment: datetime, tz: str) -> str:
    """An instant as Taipei (or the given zone's) wall time, e.g. 2025-04-03 07:00."""
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")


def day_text(day: date | None) -> str:
    """ISO date or 日期不明."""
    return day.isoformat() if day else "日期不明"


def cite(draft: Draft, st: Statement) -> str:
    """The statement's reference numbers as [1][3]."""
    return "".join(f"[{n}]" for n in draft.ref_numbers(st.doc_ids))


def sentence(draft: Draft, st: Statement) -> str:
    """A statement as escaped text with its citations (quotes in 「」)."""
    body = md_escape(st.text)
    return (f"「{body}」" if st.quote else body) + cite(draft, st)


DISCLAIMER = ("本稿為自動產生之初稿：引文保留來源原文（英文），「推論」為分析而非來源事實，"
              "定稿前請逐條核對來源。")
DISCLAIMER_ZH = ("本稿為自動產生之初稿：中文句由來源句之欄位（機關、措施、對象、稅率金額、日期）"
                 "組成，或為通過核對之機器翻譯，每句下方「原文」為所引來源之英文原句；「推論」為分析"
                 "而非來源事實，定稿前請逐條核對來源。")


def zh_tally(draft: Draft) -> str | None:
    """The header line on how many lines read in Chinese, e.g. 卡片組句 7 句、翻譯通過核對 0 句、
    未通過核對改列原文 0 句（未設定翻譯後端）; None for a draft without the zh layer."""
    zh = draft.zh
    if zh is None:
        return None
    text = (f"卡片組句 {zh.composed} 句、翻譯通過核對 {zh.translated} 句、"
            f"未通過核對改列原文 {zh.english} 句")
    if zh.backend:
        text += f"（翻譯：{zh.backend}；未通過核對之譯文 {zh.failed} 句，改以卡片組句或原文呈現）"
    else:
        text += "（未設定翻譯後端）"
    return text


def original_label(st: Statement) -> str:
    """原文 for a verbatim source quote; 英文 for a writer's own English sentence."""
    return "原文" if st.quote else "英文"


def _originals(draft: Draft, line: ZhLine, indent: str) -> list[str]:
    """The 原文 block under a Chinese line: the title, then each quote, one paragraph each."""
    parts = []
    quotes = list(line.originals)
    if line.title and len(quotes) == 1:
        q = quotes.pop()
        parts.append(f"{original_label(q)}：《{md_escape(line.title)}》：{sentence(draft, q)}")
    elif line.title:
        parts.append(f"原文：《{md_escape(line.title)}》{cite(draft, Statement('', line.doc_ids))}")
    parts += [f"{original_label(q)}：{sentence(draft, q)}" for q in quotes]
    out: list[str] = []
    for part in parts:
        out += [f"{indent}>"] if out else []
        out.append(f"{indent}> {part}")
    return out


def zh_lines(draft: Draft, line: ZhLine, head: str, tail: str = "") -> list[str]:
    """A Chinese line as Markdown (`head`: the bullet and any label before it; `tail`: a
    certainty label after the citation) with its 原文 block; an English-only line marked."""
    indent = "   " if head[:1].isdigit() else "  "  # the list item's content column
    text = f"〔{line.note}，請見原文〕" if line.origin == "english" else line.text
    mark = "〔機器翻譯，已核對〕" if line.origin == "translated" else ""
    body = f"{head}{md_escape(text)}{cite(draft, Statement('', line.doc_ids))}{mark}{tail}"
    return [body, *_originals(draft, line, indent)]


def render_markdown(draft: Draft) -> str:
    """The whole draft as Markdown (zh-TW headings, numbered references)."""
    out = [f"# {md_escape(draft.title)}", ""]
    inputs = draft.inputs
    out.append(f"- 草稿日期：{local_time(draft.created_at, draft.timezone)}（台北時間）")
    if draft.draft_id:
        out.append(f"- 草稿編號：{draft.draft_id} 第 {draft.version} 版")
    out.append(f"- 查詢：{md_escape(inputs.query)}")
    out.append(f"- 撰寫方式：{md_escape(writer_zh(inputs.writer, inputs.model))}；"
               f"檢索文件 {len(inputs.doc_ids)} 篇、引用 {len(draft.references)} 篇；"
               f"基準日 {inputs.filters.get('as_of', '')}")
    out.append(f"- 事實查核：檢查 {draft.check.checked} 句，保留 {draft.check.kept} 句，"
               f"刪除 {len(draft.check.removed)} 句（無法對應來源句，或數字、日期、名稱不見於來源）")
    tally = zh_tally(draft)
    if tally:
        out.append(f"- 中文化：{tally}")
    for note in draft.notes:
        out.append(f"- 附註：{md_escape(note)}")
    out += ["", f"> {DISCLAIMER_ZH if draft.zh else DISCLAIMER}", ""]
    body = _zh_body(draft) if draft.zh else {}
    body = {
        "summary": [f"- {sentence(draft, s)}" for s in (*draft.status, *draft.summary)],
        "background": [f"- {sentence(draft, s)}" for s in draft.background],
        "timeline": [_event(draft, e) for e in draft.timeline],
        "facts": [_fact(draft, i, f) for i, f in enumerate(draft.facts, 1)],
        "reactions": [f"- {sentence(draft, s)}" for s in draft.reactions],
        "implications": _implications(draft),
        "watch": [_watch(draft, w) for w in draft.watch],
        "references": [_reference(r) for r in draft.references],
    } | body
    for key, heading in HEADINGS:
        out += [f"## {heading}", ""]
        out += body[key] or [EMPTY.get(key, "")]
        out.append("")
    if draft.check.removed:
        out += ["## 附錄：事實查核刪除之語句", ""]
        for r in draft.check.removed:
            out.append(f"- （{SECTION_ZH.get(r.section, r.section)}）{md_escape(r.text[:300])}"
                       f" — 原因：{md_escape(r.reason)}")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def _zh_body(draft: Draft) -> dict[str, list[str]]:
    """The narrative sections from the zh layer: Chinese lines over their 原文."""
    zh = draft.zh

    def bullets(lines) -> list[str]:
        return [x for line in lines for x in zh_lines(draft, line, "- ")]

    timeline = []
    as_of = draft.inputs.filters.get("as_of", "")
    for e, line in zip(draft.timeline, zh.timeline, strict=False):
        eff = f"；生效日 {e.effective.isoformat()}" if e.effective else ""
        head = (f"- **{e.day.isoformat()}**｜{line.label or KIND_ZH.get(e.kind, e.kind)}｜"
                f"{event_label(e, as_of)}{eff} — ")
        timeline += zh_lines(draft, line, head)
    facts = []
    for i, (f, line) in enumerate(zip(draft.facts, zh.facts, strict=False), 1):
        eff = f"；生效日 {f.effective.isoformat()}" if f.effective else ""
        facts += zh_lines(draft, line, f"{i}. ", f"〔{event_label(f)}{eff}〕")
    watch = []
    for w, line in zip(draft.watch, zh.watch, strict=False):
        when = f"**{w.day.isoformat()}**（{WATCH_ZH.get(w.kind, w.kind)}）" if w.day \
            else f"**{WATCH_ZH.get(w.kind, w.kind)}**（見來源所定期間）"
        watch += zh_lines(draft, line, f"- {when}：")
    body = {"summary": bullets(zh.summary), "background": bullets(zh.background),
            "timeline": timeline, "facts": facts, "reactions": bullets(zh.reactions),
            "watch": watch}
    return {k: v for k, v in body.items() if zh_covers(draft, k)}


def zh_covers(draft: Draft, section: str) -> bool:
    """Whether the zh layer has the lines of a section (a section it does not cover is shown
    in the English layout)."""
    zh = draft.zh
    if zh is None:
        return False
    english = {"summary": draft.summary, "background": draft.background,
               "timeline": draft.timeline, "facts": draft.facts,
               "reactions": draft.reactions, "watch": draft.watch}[section]
    lines = getattr(zh, section)
    if section in ("timeline", "facts", "watch"):
        return len(lines) == len(english)
    return bool(lines) or not english


def _event(draft: Draft, e) -> str:
    ref = draft.ref_numbers(e.statement.doc_ids[:1])
    title = next((r.title for r in draft.references if ref and r.n == ref[0]), "")
    eff = f"；生效日 {e.effective.isoformat()}" if e.effective else ""
    label = event_label(e, draft.inputs.filters.get("as_of", ""))
    head = f"- **{e.day.isoformat()}**｜{KIND_ZH.get(e.kind, e.kind)}｜{label}{eff}"
    name = f"《{md_escape(title)}》：" if title and e.kind != "reference" else ""
    return f"{head} — {name}{sentence(draft, e.statement)}"


def _fact(draft: Draft, i: int, f) -> str:
    eff = f"；生效日 {f.effective.isoformat()}" if f.effective else ""
    return f"{i}. {sentence(draft, f.statement)}〔{event_label(f)}{eff}〕"


def _watch(draft: Draft, w) -> str:
    when = f"**{w.day.isoformat()}**（{WATCH_ZH.get(w.kind, w.kind)}）" if w.day \
        else f"**{WATCH_ZH.get(w.kind, w.kind)}**（見來源所定期間）"
    return f"- {when}：{sentence(draft, w.statement)}"


def _implications(draft: Draft) -> list[str]:
    out: list[str] = []
    for imp in draft.implications:
        refs = "".join(f"[{n}]" for n in draft.ref_numbers(imp.doc_ids))
        out += [f"### {md_escape(mapping_label(imp.key))}", "",
                f"- 觸發依據：來源 {refs} 提及 {md_escape(imp.trigger)}",
                f"- 可能受影響產業：{md_escape('、'.join(imp.industries))}",
                f"- 推論（分析，非來源事實）：{md_escape(imp.reasoning)}"]
        for fig in imp.figures:
            out.append(f"- 參考數據：{md_escape(fig.label)} {md_escape(fig.value)}"
                       f"（資料來源：{md_escape(fig.source)}）")
        for st in imp.evidence:
            out.append(f"- 來源提及臺灣：{sentence(draft, st)}")
        out.append("")
    if out:
        out.append("資料說明：出口數據為我國對全球或對主要市場之總額，非依本措施範圍精算之曝險；"
                   f"僅列基準日 {draft.inputs.filters.get('as_of', '')} 前已公布之數據；"
                   "對照表與數據出處見 commentary/curated/SOURCES.md。")
    return out


def _reference(r) -> str:
    url = safe_url(r.url)
    link = f"<{url}>" if url else md_escape(r.url)
    return f"{r.n}. {md_escape(r.title)}. {md_escape(r.publisher)}, {day_text(r.day)}. {link}"
