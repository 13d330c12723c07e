"""The draft in zh-TW: 事件摘要, 背景, 時間軸, 重點事實 (and 各方反應, 建議關注事項) as Chinese
lines, each over the English it stands for (原文), cited like the English.

A line is one of three things (design contract "Chinese that can be trusted"):

* composed from the 重點 card (zhtw/card.py) of the sentences it cites, or from the slots of
  one sentence (commentary/zh_sentence.py): every value is read off a cited sentence of the
  same document, and the line must not state a number, date, name or negation its English
  does not (zhtw/check.py, the translation check's "not in source" half);
* a machine translation that passed the faithfulness check (zhtw/translate.py), when a backend
  is configured;
* the English original, marked, when neither gives Chinese.

Per document, the summary (and the background of a document the summary has not introduced)
opens with one card line — who, when, what form, what is done, from when, the rates — over all
its quotes; other sentences get a line each.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from typing import Protocol

from commentary.records import Draft, SourceDoc, Statement, ZhLine, ZhReading
from commentary.render import KIND_ZH
from commentary.zh_lead import card_of, compose_lead, metadata_of
from commentary.zh_sentence import compose_sentence
from config.errors import RadarError
from zhtw.terms import TermMatcher, build_matcher

log = logging.getLogger(__name__)

_NO_CHINESE = "來源句欄位不足，未組成中文"


class Translated(Protocol):
    """What the reading needs of a zhtw.translate.Translation."""

    source: str
    text: str | None
    ok: bool
    reason: str


@lru_cache(maxsize=1)
def _matcher() -> TermMatcher:
    return build_matcher()


@lru_cache(maxsize=1)
def _lexicon():
    from zhtw.glossary import load_lexicon

    return load_lexicon()


def states_only_source(english: str, zh: str, metadata: Sequence[str] = ()) -> list[str]:
    """What a composed line states that its English does not (numbers, dates, names,
    negation), by the translation check; names taken from the source's registry entry or
    kind (`metadata`, e.g. 美國, 白宮) are allowed."""
    from zhtw.check import check_translation

    result = check_translation(english, zh, _lexicon())
    return [p for p in result.problems if "not in source" in p
            and not any(m and m in p for m in metadata)]


class _Reader:
    """Composes the lines of one draft (sources, matcher and translations shared)."""

    def __init__(self, sources: Sequence[SourceDoc], matcher: TermMatcher,
                 translations: Mapping[str, Translated]) -> None:
        self.by_id = {d.doc_id: d for d in sources}
        self.matcher = matcher
        self.translations = translations
        self.forms: dict[str, str | None] = {}

    def translated(self, st: Statement) -> ZhLine | None:
        tr = self.translations.get(st.text)
        if tr is not None and tr.ok and tr.text:
            return ZhLine(tr.text, "translated", st.doc_ids, (st,))
        return None

    def line(self, st: Statement, skip_days: frozenset[date] = frozenset()) -> ZhLine:
        """One statement: its checked translation, else its composed line, else English."""
        done = self.translated(st)
        if done:
            return done
        doc = self.by_id.get(st.doc_ids[0]) if st.doc_ids else None
        made = compose_sentence(st.text, doc, self.matcher, skip_days) if doc else None
        if made and not states_only_source(st.text, made.text):
            return ZhLine(made.text, "card", st.doc_ids, (st,), made.values)
        tr = self.translations.get(st.text)
        note = f"譯文未通過核對（{tr.reason}）" if tr is not None and tr.reason and \
            tr.reason != "no backend" else _NO_CHINESE
        return ZhLine("", "english", st.doc_ids, (st,), note=note)

    def lead(self, doc: SourceDoc, quotes: Sequence[Statement]) -> ZhLine | None:
        """The lead line of one document over the quotes a section cites from it."""
        made = compose_lead(doc, quotes, self.matcher, self.form(doc))
        if made is None:
            return None
        line, card = made
        english = "\n".join((doc.title, *(q.text for q in quotes)))
        if states_only_source(english, line.text, metadata_of(card, doc, line)):
            return None
        return ZhLine(line.text, "card", (doc.doc_id,), tuple(quotes), line.values,
                      title=doc.title)

    def grouped(self, statements: Sequence[Statement], introduced: set[str]) -> list[ZhLine]:
        """A section's lines: per document not yet introduced, one card line over its quotes
        (a quote whose translation passed gets its own line); everything else line by line."""
        groups: dict[tuple[str, ...], list[Statement]] = {}
        for st in statements:
            groups.setdefault(st.doc_ids, []).append(st)
        out: list[ZhLine] = []
        for ids, quotes in groups.items():
            doc = self.by_id.get(ids[0]) if len(ids) == 1 else None
            lead = self.lead(doc, quotes) if doc and ids[0] not in introduced else None
            if lead is None:
                out.extend(self.line(q) for q in quotes)
                continue
            own = [t for t in (self.translated(q) for q in quotes) if t]
            told = {t.originals[0].text for t in own}
            # A translated quote stays under the card line when the line uses its values.
            keep = tuple(q for q in quotes if q.text not in told or any(
                v.sentence and v.sentence in q.text for v in lead.values))
            out.append(replace(lead, originals=keep))
            out.extend(own)
            introduced.add(ids[0])
        return out

    def form(self, doc: SourceDoc) -> str | None:
        """The zh-TW form of a document (行政命令, 總統公告, 聯邦公報最終規則, 事實說明), read off
        its opening as the card reads it; it names the document, it states no value."""
        if doc.doc_id not in self.forms:
            lead = card_of(doc, [Statement(s, (doc.doc_id,)) for s in doc.sentences[:12]],
                           self.matcher).values("instrument")[:1]
            form = lead[0] if lead else None
            if form and doc.kind == "register":
                form = f"{KIND_ZH['register']}{form}"
            self.forms[doc.doc_id] = form
        return self.forms[doc.doc_id]

    def event(self, e) -> ZhLine:
        """A timeline event: what the document does, from its title and its key sentence; an
        earlier order it cites is read from the sentence alone."""
        st = e.statement
        doc = self.by_id.get(st.doc_ids[0]) if st.doc_ids else None
        label = KIND_ZH.get(e.kind, e.kind)
        if doc is None or e.kind == "reference":
            return replace(self.line(st, frozenset({e.day})), label=label)
        form = self.form(doc)
        if doc.kind in ("order", "register") and form:
            label = form
        made = compose_lead(doc, [st], self.matcher, form, head=False,
                            skip_effective=e.effective)
        if made is not None:
            line, card = made
            english = "\n".join((doc.title, st.text))
            if not states_only_source(english, line.text, metadata_of(card, doc, line)):
                return ZhLine(line.text, "card", st.doc_ids, (st,), line.values,
                              title=doc.title, label=label)
        return replace(self.line(st), title=doc.title, label=label)


def compose_reading(draft: Draft, sources: Sequence[SourceDoc],
                    matcher: TermMatcher | None = None,
                    translations: Mapping[str, Translated] | None = None,
                    backend: str = "") -> ZhReading:
    """The zh-TW reading layer of a draft.

    Args:
        draft: the checked draft (its statements are what the lines stand for).
        sources: the documents it was written from.
        matcher: gazetteer matcher (default: zhtw.terms.build_matcher(), built once).
        translations: English sentence -> its translation (zhtw.translate), when a backend
            is configured; a translation is used only when it passed the check.
        backend: the translation backend's label, for the header.
    """
    translations = translations or {}
    reader = _Reader(sources, matcher or _matcher(), translations)
    introduced: set[str] = set()
    summary = reader.grouped(draft.summary, introduced)
    background = reader.grouped(draft.background, introduced)
    timeline = [reader.event(e) for e in draft.timeline]
    facts = [reader.line(f.statement) for f in draft.facts]
    reactions = [reader.line(s) for s in draft.reactions]
    watch = [reader.line(w.statement) for w in draft.watch]
    lines = [*summary, *background, *timeline, *facts, *reactions, *watch]
    shown = {q.text for line in lines for q in line.originals}
    failed = sum(1 for s, t in translations.items() if s in shown and not t.ok
                 and t.reason != "no backend")
    return ZhReading(
        summary=tuple(summary), background=tuple(background), timeline=tuple(timeline),
        facts=tuple(facts), reactions=tuple(reactions), watch=tuple(watch),
        composed=sum(1 for x in lines if x.origin == "card"),
        translated=sum(1 for x in lines if x.origin == "translated"),
        english=sum(1 for x in lines if x.origin == "english"), failed=failed, backend=backend)


def _sentences(draft: Draft) -> list[str]:
    said = [*draft.summary, *draft.background, *(e.statement for e in draft.timeline),
            *(f.statement for f in draft.facts), *draft.reactions,
            *(w.statement for w in draft.watch)]
    return list(dict.fromkeys(s.text for s in said))


def translate_draft(draft: Draft, settings) -> tuple[dict[str, Translated], str, str | None]:
    """Translations of the draft's sentences when `settings.translate` names a backend.

    Returns:
        (English sentence -> translation, backend label, a note for the draft or None). A
        missing module or a misconfigured backend degrades to no translation, with a note.
    """
    cfg = getattr(settings, "translate", None)
    if cfg is None or getattr(cfg, "backend", "none") == "none":
        return {}, "", None
    try:
        from zhtw.translate import load_translator, translate_sentences
    except ImportError as exc:
        log.warning("translation module unavailable: %s", exc)
        return {}, "", "翻譯模組無法載入，中文僅由卡片組句。"
    try:
        translator = load_translator(cfg)
    except RadarError as exc:
        log.warning("translation backend not loaded: %s", exc)
        return {}, "", f"翻譯後端無法使用（{exc}），中文僅由卡片組句。"
    if translator is None:
        return {}, "", None
    done = translate_sentences(translator, _sentences(draft))
    return {t.source: t for t in done}, translator.label, None


def read_in_chinese(draft: Draft, sources: Sequence[SourceDoc], settings) -> Draft:
    """The draft with its zh-TW reading layer (and a note when translation was configured
    but could not be used)."""
    translations, backend, note = translate_draft(draft, settings)
    zh = compose_reading(draft, sources, translations=translations, backend=backend)
    return replace(draft, zh=zh, notes=(*draft.notes, note) if note else draft.notes)
