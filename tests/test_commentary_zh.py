"""The draft in zh-TW, on the real de minimis documents of the bundled snapshot: Chinese lines
composed only from what their cited sentences say, the verbatim English under each as 原文,
checked translations used when given, and the same layout in Markdown, Word and the web page."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from docx import Document as open_docx
from docx.shared import Pt
from markupsafe import escape

from commentary.draft import _store, write_commentary
from commentary.matching import quote_pieces
from commentary.records import SourceDoc, ZhLine
from commentary.render import md_escape, render_markdown
from commentary.sources import load_sources
from commentary.word import ORIGINAL_STYLE, write_docx
from commentary.zh import compose_reading, read_in_chinese
from commentary.zh_sentence import compose_sentence
from config.errors import ConfigError
from crawlers.registry import load_registry
from replay.snapshot_docs import snapshot_documents
from store.db import connect, opened
from store.documents import upsert_document, upsert_sources
from zhtw.quantities import chinese_quantities, english_quantities, same_value
from zhtw.terms import build_matcher

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
KEYS = ("as-applied-to-low-value-imports/", "closes-de-minimis-exemptions-to-combat-chinas")
FACT_SHEET = "closes-de-minimis-exemptions-to-combat-chinas"
_CJK = re.compile(r"[\u3400-\u9fff]")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The de minimis draft of the demo day from the April order and its fact sheet."""
    from config.settings import load_settings

    root = tmp_path_factory.mktemp("zh")
    settings = load_settings(db_path=root / "radar.duckdb", out_dir=root / "out")
    con = connect(settings.db_path)
    reg = load_registry()
    upsert_sources(con, reg.sources)
    docs = list(snapshot_documents(SNAPSHOT, reg, keep=lambda r: any(k in r["url"] for k in KEYS)))
    for d in docs:
        upsert_document(con, d)
    ids = sorted({d.id for d in docs})
    draft = write_commentary(con, None, settings, "de minimis", doc_ids=ids, until="2025-04-03",
                             save=False)
    sources = {d.doc_id: d for d in load_sources(con, ids)}
    yield draft, sources, settings, con
    con.close()


def lines_of(zh) -> list[ZhLine]:
    return [*zh.summary, *zh.background, *zh.timeline, *zh.facts, *zh.reactions, *zh.watch]


def english_of(line: ZhLine) -> str:
    return "\n".join((line.title, *(q.text for q in line.originals)))


def lead_of(zh) -> ZhLine:
    """The first document line of 事件摘要 (after the as-of status lines)."""
    return next(x for x in zh.summary if x.label not in ("現況", "稅率"))


def test_the_de_minimis_summary_reads_in_chinese(written):
    draft, sources, _, _ = written
    assert draft.zh.summary[0].label == "現況"  # the as-of status comes first
    lead = lead_of(draft.zh)
    assert lead.origin == "card" and lead.title.startswith("Fact Sheet:")
    visible = [c for c in lead.text if not c.isspace()]
    assert len(_CJK.findall(lead.text)) > 0.5 * len(visible), lead.text
    assert "2025-05-02" in lead.text and "中國大陸" in lead.text and "香港" in lead.text
    assert lead.text.startswith("美國白宮 2025-04-02 發布事實說明：取消")
    n = draft.ref_numbers(lead.doc_ids)
    assert n and FACT_SHEET in sources[lead.doc_ids[0]].url
    md = render_markdown(draft)
    assert f"- {md_escape(lead.text)}[{n[0]}]" in md
    assert "- 中文化：卡片組句 " in md and "（未設定翻譯後端）" in md
    zh = draft.zh
    assert zh.composed + zh.translated + zh.english == len(lines_of(zh))
    assert zh.composed >= 5 and zh.translated == 0


def test_every_chinese_line_states_only_what_its_cited_sentences_say(written):
    draft, sources, _, _ = written
    composed = [x for x in lines_of(draft.zh) if x.origin == "card"]
    assert len(composed) >= 5
    for line in composed:
        said = [line.title, *(q.text for q in line.originals)]
        cited = {d for q in line.originals for d in q.doc_ids}
        assert set(line.doc_ids) <= cited | set(line.doc_ids[:1]), line
        if line.title:  # a document's line reads that document only
            assert len(line.doc_ids) == 1 or line.label
        for v in line.values:
            assert v.doc_id == line.doc_ids[0], (line.text, v)
            shown = _ISO.search(v.value).group(0) if v.key == "dates" else v.value
            assert shown in line.text, (line.text, v)
            if v.sentence:  # read off a sentence the line cites, and written there
                assert v.en in v.sentence, v
                assert any(v.sentence in s or s in v.sentence for s in said if s), v
        # Numbers and dates: every one in the Chinese is one of the cited English (or the
        # publication day the line opens with).
        en = english_quantities(english_of(line))
        zh = chinese_quantities(line.text)
        day = sources[line.doc_ids[0]].day
        known = [q.value for q in en.numbers] + [float(x) for d in en.dates
                                                  for x in (d.year, d.month, d.day) if x]
        for q in zh.numbers:
            assert any(same_value(q.value, k) for k in known), (line.text, q)
        for d in zh.dates:
            assert (d.month, d.day) in {(e.month, e.day) for e in en.dates} \
                or (d.year, d.month, d.day) == (day.year, day.month, day.day), (line.text, d)


def test_under_each_chinese_line_the_original_is_verbatim_and_cited(written):
    draft, sources, _, _ = written
    md = render_markdown(draft)
    for line in lines_of(draft.zh):
        assert line.originals, line
        for q in line.originals:
            doc = sources[q.doc_ids[0]]
            body = " ".join((doc.title, *doc.sentences))
            assert all(piece in body for piece in quote_pieces(q.text)), q.text
            n = "".join(f"[{i}]" for i in draft.ref_numbers(q.doc_ids))
            quoted = f"「{md_escape(q.text)}」{n}"
            assert f"> 原文：{quoted}" in md or f"》：{quoted}" in md, q.text
    # The English-only lines say so in Chinese and still carry their quote as 原文.
    for line in (x for x in lines_of(draft.zh) if x.origin == "english"):
        assert line.note and not line.text


def test_the_timeline_names_the_form_and_moves_the_title_to_the_original(written):
    draft, _, _, _ = written
    md = render_markdown(draft)
    april = next(x for e, x in zip(draft.timeline, draft.zh.timeline, strict=True)
                 if e.kind == "order")
    assert april.label == "行政命令" and april.text == "中國大陸、香港微量進口免稅待遇不再適用"
    assert "｜行政命令｜修正（amended）；生效日 2025-05-02 — 中國大陸、香港微量進口免稅待遇不再適用" in md
    assert f"> 原文：《{md_escape(april.title)}》：「" in md
    assert "— 《" not in md  # the English title is no longer in the Chinese line


def test_facts_read_each_their_own_sentence(written):
    draft, _, _, _ = written
    by_text = {f.statement.text: x for f, x in zip(draft.facts, draft.zh.facts, strict=True)}
    rates = next(x for t, x in by_text.items() if "$25 per item" in t)
    assert rates.text == ("措施：微量進口；稅率/金額：價值 800 美元以下、貨值 30%、每件 25 美元、"
                          "調升至每件 50 美元（2025-06-01 後）")
    md = render_markdown(draft)
    n = draft.ref_numbers(rates.doc_ids)[0]
    assert f"{md_escape(rates.text)}[{n}]〔已宣布（announced）〕" in md


def test_docx_has_the_chinese_body_and_the_original_in_the_smaller_style(written, tmp_path):
    draft, _, _, _ = written
    doc = open_docx(str(write_docx(draft, tmp_path / "zh.docx")))
    paragraphs = doc.paragraphs
    lead = lead_of(draft.zh)
    body = next(p for p in paragraphs if p.text.startswith(lead.text))
    assert body.style.name == "List Bullet"
    originals = [p for p in paragraphs if p.style.name == ORIGINAL_STYLE]
    quote = lead.originals[0].text
    assert any(p.text.startswith("原文：「") and quote in p.text for p in originals)
    assert any(p.text.startswith(f"原文：《{lead.title}》") for p in originals)
    style = doc.styles[ORIGINAL_STYLE]
    assert style.font.size < (doc.styles["Normal"].font.size or Pt(11))
    assert all(quote not in p.text for p in paragraphs if p.style.name != ORIGINAL_STYLE)
    assert any(p.text.startswith("中文化：卡片組句") for p in paragraphs)


@dataclass(frozen=True)
class FakeTranslation:
    source: str
    text: str | None
    ok: bool
    reason: str


def test_a_checked_translation_is_used_and_a_failed_one_is_not(written):
    draft, sources, _, _ = written
    first, second = draft.facts[0].statement.text, draft.facts[-1].statement.text
    given = {first: FakeTranslation(first, "（通過核對之譯文）", True, ""),
             second: FakeTranslation(second, None, False, "number 4 million missing")}
    zh = compose_reading(draft, list(sources.values()), translations=given, backend="fake-mt")
    assert zh.facts[0].origin == "translated" and zh.facts[0].text == "（通過核對之譯文）"
    assert zh.facts[0].originals[0].text == first
    assert zh.facts[-1].origin == "card"  # composed from the card instead
    assert zh.translated == 1 and zh.failed == 1 and zh.backend == "fake-mt"
    md = render_markdown(replace(draft, zh=zh))
    assert "（通過核對之譯文）[1]〔機器翻譯，已核對〕" in md or "（通過核對之譯文）[2]〔機器翻譯，已核對〕" in md
    assert "翻譯：fake-mt；未通過核對之譯文 1 句" in md
    # A sentence nothing can be composed from, whose translation failed: English, with why.
    lone = next((x.originals[0].text for x in zh.facts if x.origin == "english"), None)
    if lone:
        again = compose_reading(draft, list(sources.values()),
                                translations={lone: FakeTranslation(lone, None, False, "garbage")})
        line = next(x for x in again.facts if x.originals[0].text == lone)
        assert line.origin == "english" and line.note == "譯文未通過核對（garbage）"


def test_a_configured_but_unusable_translator_degrades_with_a_note(written, monkeypatch):
    draft, sources, _, _ = written
    import zhtw.translate

    def broken(cfg):
        raise ConfigError("translate.model_dir /nowhere does not exist")

    monkeypatch.setattr(zhtw.translate, "load_translator", broken)
    configured = SimpleNamespace(translate=SimpleNamespace(backend="x"))
    out = read_in_chinese(replace(draft, zh=None), list(sources.values()), configured)
    assert out.zh is not None and out.zh.translated == 0 and out.zh.backend == ""
    assert any("翻譯後端無法使用" in n and "/nowhere" in n for n in out.notes)


def doc_of(text: str = "", country: str = "US") -> SourceDoc:
    from datetime import date

    return SourceDoc("d", "t", "https://x.test/", "p", "s", "fact-sheet", date(2025, 4, 2), 1, "h",
                     (text,), country=country)


@pytest.mark.parametrize(("sentence", "expected"), [
    ("Today, President Donald J. Trump signed an Executive Order eliminating duty-free de "
     "minimis treatment for low-value imports from China.", "川普總統簽署行政命令，取消中國大陸微量進口免稅待遇"),
    ("The United States will impose a 25% tariff on steel from Canada and Mexico effective "
     "March 12, 2025.", "將對加拿大、墨西哥鋼鐵課徵關稅，2025-03-12 起生效；稅率/金額：25%"),
    ("On average, CBP processes over 4 million de minimis shipments into the U.S. each day.",
     "措施：微量進口；相關機關：美國海關及邊境保護局；數量：每日逾 400萬件"),
    ("Comments must be received on or before May 30, 2025.", "意見徵詢截止 2025-05-30"),
])
def test_a_sentence_is_composed_from_its_own_values(sentence, expected):
    made = compose_sentence(sentence, doc_of(), build_matcher())
    assert made is not None and made.text == expected
    assert all(v.en in sentence for v in made.values)


@pytest.mark.parametrize("sentence", [
    # the verb acts on something else, or is negated: no action may be read
    "In Executive Order 14200 of February 5, 2025, I suspended the elimination of duty-free "
    "de minimis treatment on articles from China.",
    "The report will include a recommendation on whether extending de minimis ineligibility "
    "to packages from Macau is necessary.",
    "The United States will not impose tariffs on Canada.",
])
def test_no_action_is_read_where_the_sentence_does_not_state_it(sentence):
    made = compose_sentence(sentence, doc_of(), build_matcher())
    text = made.text if made else ""
    assert not any(verb in text for verb in ("取消", "暫緩", "延長", "課徵")), text


def test_the_web_draft_page_shows_chinese_over_english_originals(written, tmp_path, monkeypatch):
    from tests.webserver import SECRET_ENV, WebServer, login, web_settings

    draft, _, _, _ = written
    monkeypatch.setenv(SECRET_ENV, "test key " * 4)
    settings = web_settings(tmp_path)
    hostile = "<script>alert(1)</script>"
    lead = draft.zh.summary[0]
    shown = replace(draft, zh=replace(draft.zh, summary=(replace(lead, text=lead.text + hostile),
                                                         *draft.zh.summary[1:])))
    with opened(settings.db_path) as con:  # the page reads the draft's stored JSON only
        stored = _store(con, shown, settings)
    with WebServer(settings) as server, server.client() as browser:
        assert login(browser).status_code == 303
        page = browser.get(f"/drafts/{stored.draft_id}", params={"v": stored.version}).text
    assert str(escape(lead.text)) in page
    assert hostile not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    quote = str(escape(lead.originals[0].text))
    assert re.search(r'<span lang="en">「' + re.escape(quote) + "」</span>", page)
    assert 'id="zh-tally"' in page and "中文化：卡片組句" in page


def test_a_configured_translator_is_asked_once_for_the_draft_sentences(written, monkeypatch):
    draft, sources, _, _ = written
    import zhtw.translate

    asked: list[list[str]] = []
    fact = draft.facts[0].statement.text

    def translate(translator, sentences):
        asked.append(list(sentences))
        return [zhtw.translate.Translation(s, "（譯文）" if s == fact else None, s == fact,
                                           "" if s == fact else "date missing", "fake", 0)
                for s in sentences]

    monkeypatch.setattr(zhtw.translate, "load_translator",
                        lambda cfg: SimpleNamespace(label="fake-backend"))
    monkeypatch.setattr(zhtw.translate, "translate_sentences", translate)
    configured = SimpleNamespace(translate=SimpleNamespace(backend="openai"))
    out = read_in_chinese(replace(draft, zh=None), list(sources.values()), configured)
    assert len(asked) == 1 and fact in asked[0] and len(asked[0]) == len(set(asked[0]))
    assert out.zh.backend == "fake-backend" and out.zh.translated == 1
    assert out.zh.facts[0].origin == "translated"
    assert out.zh.failed == len(asked[0]) - 1  # every other sentence failed, and is shown


@pytest.mark.parametrize(("sentence", "expected"), [
    ("The United States should end this duty-free de minimis exemption.", "建議取消微量進口免稅待遇"),
    ("Duty-free de minimis treatment under 19 U.S.C. 1321 shall not be available for the "
     "articles described in subsection (a) of this section.", "微量進口免稅待遇不適用"),
    ("Executive Order 14324 suspends the duty-free de minimis exemption for all covered "
     "products valued at $800 or less.", "暫停微量進口免稅待遇；稅率/金額：800 美元以下"),
    ("Between 2015 and 2024, the volume of de minimis shipments increased from 134 million "
     "shipments to over 1.36 billion shipments.", "措施：微量進口；數量：1.34億件、逾 13.6億件"),
])
def test_what_a_sentence_only_recommends_or_excludes_reads_so(sentence, expected):
    made = compose_sentence(sentence, doc_of(), build_matcher())
    assert made is not None and made.text == expected
    assert not [v for v in made.values if v.en not in sentence]


def test_a_possibility_is_no_action():
    made = compose_sentence("The Secretary may suspend duty-free de minimis treatment for "
                            "articles from Macau.", doc_of(), build_matcher())
    assert made is None or "暫停" not in made.text


def test_the_stored_json_gives_the_chinese_lines_back(written):
    from commentary.records import zh_from_json

    draft, _, _, _ = written
    assert zh_from_json(draft.as_json()) == draft.zh
    assert zh_from_json({"title": "old draft"}) is None  # stored before the zh layer
