"""The 重點 card: what a story's documents say about a measure, slot by slot, in zh-TW.

Deterministic and model-free. Every value is read off one source sentence (or the title) and
keeps that sentence as its citation; a slot with no supporting sentence is left out, never
guessed. Labels come from the gazetteer and the MOEA WTO glossary (nlp/gazetteer.yaml),
numbers are copied exactly as the source writes them, with Chinese units.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import date

from nlp.dates import date_mentions, ends_a_period
from nlp.sentences import clean_markdown, split_sentences, without_title
from zhtw.amounts import amounts_in, rate_context
from zhtw.headline import compose_headline
from zhtw.records import SLOT_LABELS, Card, CardDoc, Cite, Slot, SlotValue
from zhtw.terms import SPECIFIC_DUTIES, Mention, TermMatcher, is_legal_basis_id, legal_bases

SCOPE_SENTENCES = 12  # the lead of a document: where its measure, targets and dates are stated
AMENDMENT_SENTENCES = 60  # how far an order's operative amendment is looked for (_amendment)
FOCUS_SENTENCES = 3  # measure and targets only from the title and the first sentences
MAX_DOCS = 3
MAX_VALUES = {"measure": 4, "targets": 6, "amounts": 5, "dates": 3, "legal_basis": 3}

_WH_KINDS = {"order", "fact-sheet", "statement", "article"}
_ORDER_CUES = (
    (re.compile(r"A PROCLAMATION|do hereby proclaim"), "總統公告"),
    (re.compile(r"^\W*MEMORANDUM FOR\b"), "總統備忘錄"),
    (re.compile(r"By the authority vested in me|hereby ordered|EXECUTIVE ORDER"), "行政命令"),
)
_REGISTER_CUES = (
    (re.compile(r"proposed rule change|notice of filing", re.I), "公告"),
    (re.compile(r"interim final rule", re.I), "暫行最終規則"),
    (re.compile(r"proposed rule|notice of proposed rulemaking|proposed amendments?\b", re.I),
     "擬議規則"),
    (re.compile(r"\bfinal rule\b|\bdirect final rule\b", re.I), "最終規則"),
    (re.compile(r"information collection|comment request|request for (?:public )?comments?"
                r"|request for information", re.I), "徵求意見"),
    (re.compile(r"\bnotice\b|antidumping|anti-dumping|countervailing|administrative review|"
                r"sunset review|initiation of|determination|\bmeeting\b", re.I), "公告"),
)
_KIND_INSTRUMENT = {"fact-sheet": "事實說明", "statement": "新聞稿", "article": "新聞稿"}
_STATUS_BY_INSTRUMENT = {"行政命令": "已簽署", "總統公告": "已簽署", "總統備忘錄": "已簽署",
                         "擬議規則": "擬議", "徵求意見": "徵求意見", "公告": "公告",
                         "事實說明": "宣布", "最終規則": "公告", "暫行最終規則": "公告"}
_IN_FORCE = re.compile(r"\b(took effect|went into effect|is (?:now )?in effect|entered into "
                       r"force|effective immediately|are now in effect)\b", re.I)
_PAUSE = re.compile(r"\b(paus(?:e|es|ed|ing)|suspend(?:s|ed|ing)?|suspension|delay(?:s|ed|ing)?)\b",
                    re.I)
_AMEND = re.compile(r"\b(amend(?:s|ed|ing|ment)?|modif(?:y|ies|ied|ying|ication))\b", re.I)
_REVOKE = re.compile(r"\b(revok(?:e|es|ed|ing)|rescind(?:s|ed|ing)?|repeal(?:s|ed|ing)?)\b", re.I)
_SIGNED = re.compile(r"\bsigned\b", re.I)
_HS = re.compile(r"\b(?:HTSUS|HTS|HS)\s*(?:(?:sub)?headings?\s*)?(\d{4}(?:\.\d{2}){0,3})\b")
# comments: 截止 (the public's deadline); deadline: 期限 (a due date), 期限至 (the end of a period:
# "extended until June 19, 2025")
_ROLE = {"effective": "生效", "comments": "截止", "deadline": "期限"}


# A sentence that recounts what happened before or elsewhere (an order's background: "On April
# 4, 2025, the State Council Tariff Commission of the PRC announced ... a 34 percent tariff",
# "I further declared pursuant to Executive Order 14256 ... effective May 2"): its rates and
# dates are not the act's own, so the headline reads them last (kind RECITAL).
_RECITAL_START = re.compile(
    r"^\W*(?:On (?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December) \d{1,2}, \d{4}\b|In (?:Executive Order|Proclamation) \d+|"
    r"I (?:further |also |previously )?(?:declared|determined|found|ordered|imposed|issued|"
    r"directed|signed|announced)\b|Section \d+(?:\(\w\))* of (?:Executive Order|Proclamation) \d+ "
    r"(?:provided|provides|imposed|directed))")
RECITAL = "recital"
# An amendment of a tariff heading: "deleting “34%” each place that it appears and by inserting
# “84%” in lieu thereof": the inserted rate is the new one (kind "new"), the deleted one "old".
_REPLACING = re.compile(r"deleting\s+[“\"]([^”\"]{1,24})[”\"][^;:]{0,160}?inserting\s+[“\"]"
                        r"([^”\"]{1,24})[”\"]")


# An instrument named as what qualifies a group of countries ("Natural Gas to Non-Free Trade
# Agreement Countries", "free trade agreement (FTA) countries") names destinations, not the
# measure the document takes.
_QUALIFIES_COUNTRIES = re.compile(r"\s*(?:\([A-Z]{2,8}\)\s*)?(?:countr(?:y|ies)|nations?|partners?)\b",
                                  re.I)


def _names_countries(sentence: str, mention: Mention) -> bool:
    """Whether a mention is an adjective of "countries" (see `_QUALIFIES_COUNTRIES`)."""
    return bool(_QUALIFIES_COUNTRIES.match(sentence, mention.start + len(mention.surface)))


def is_recital(sentence: str) -> bool:
    """Whether a sentence recounts an earlier or another party's act (see `_RECITAL_START`)."""
    return bool(_RECITAL_START.search(sentence))


def _replaced_amounts(sentence: str) -> dict[str, str]:
    """zh amount value -> "old" / "new" for the values an amendment deletes and inserts."""
    out: dict[str, str] = {}
    for m in _REPLACING.finditer(sentence):
        for surface, kind in ((m.group(1), "old"), (m.group(2), "new")):
            for value, _ in amounts_in(surface):
                out.setdefault(value, kind)
    return out


def scope_sentences(doc: CardDoc, limit: int = SCOPE_SENTENCES) -> list[str]:
    """The title, then the first `limit` sentences of the text (markup and a title copy
    removed)."""
    out = [doc.title.strip()] if doc.title.strip() else []
    for p in clean_markdown(without_title(doc.text, doc.title) if doc.title else doc.text):
        for s in split_sentences(p):
            s = s.strip()
            if len(s) >= 12:
                out.append(s)
            if len(out) > limit:
                return out
    return out


def _amendment(card: _Slots, doc: CardDoc) -> None:
    """An order's operative amendment past its lead ("Sec. 2 ... deleting “84%” ... inserting
    “125%”", after a page of background): the rates it inserts and the date it applies from."""
    sentences = scope_sentences(doc, AMENDMENT_SENTENCES)[SCOPE_SENTENCES + 1:]
    for s in sentences:
        replaced = {v: k for v, k in _replaced_amounts(s).items() if v.endswith("%")}
        if not replaced or is_recital(s):
            continue
        for value, en in amounts_in(s):
            if value in replaced:
                card.add("amounts", value, en, doc, s, replaced[value])
        for dm in date_mentions(s, doc.published):
            if dm.role == "effective" and not _stale(dm.day, dm.role, doc.published):
                card.add("dates", f"生效 {dm.day.isoformat()}", s[dm.start:dm.end], doc, s)
        return


class _Slots:
    """Values collected per slot, first citation wins, values deduplicated."""

    def __init__(self) -> None:
        # "terms": generic words (關稅) the headline may use but the card does not list.
        self.values: dict[str, dict[str, SlotValue]] = {k: {} for k in (*SLOT_LABELS, "terms")}

    def add(self, key: str, value: str, en: str, doc: CardDoc, sentence: str,
            kind: str = "") -> None:
        known = self.values[key].get(value)
        # a value first read in a recital keeps the citation of the act's own sentence when
        # one states it too (34%: the PRC's announcement, then the order's "deleting “34%”")
        if known is None or (known.kind == RECITAL and kind != RECITAL):
            cite = Cite(doc.doc_id, doc.n, doc.url, sentence)
            self.values[key][value] = SlotValue(value, en, cite, kind)

    def slots(self) -> tuple[Slot, ...]:
        out = []
        for key, label in SLOT_LABELS.items():
            vals = tuple(self.values[key].values())[: MAX_VALUES.get(key, 8)]
            if vals:
                out.append(Slot(key, label, vals))
        return tuple(out)


def _instrument(doc: CardDoc, sentences: list[str]) -> tuple[str, str] | None:
    """(zh instrument type, supporting sentence) from the document's own form."""
    if doc.kind == "order":
        head = doc.text[:3000]
        for rx, zh in _ORDER_CUES:
            if rx.search(head):
                sentence = next((s for s in sentences[1:] if rx.search(s)), sentences[0])
                return zh, sentence
        return None
    if doc.kind in _KIND_INSTRUMENT:
        return _KIND_INSTRUMENT[doc.kind], sentences[0]
    if doc.kind == "register":
        for rx, zh in _REGISTER_CUES:
            for s in sentences[:4]:
                if rx.search(s):
                    return zh, s
    return None


# Sub-agency -> its department: when both are named, the sub-agency is who acts.
_PARENT = {"agency:CBP": "agency:DHS", "agency:BIS": "agency:DOC", "agency:ITA": "agency:DOC",
           "agency:CHIPS-PO": "agency:DOC", "agency:NIST": "agency:DOC",
           "agency:OFAC": "agency:TREASURY", "agency:FDA": "agency:HHS"}


def _issuer(doc: CardDoc, sentences: list[str], matcher: TermMatcher) -> tuple[str, str] | None:
    if doc.kind in _WH_KINDS:
        return "白宮", sentences[0]
    if doc.kind == "register" and len(sentences) > 1:
        # The abstract's first sentence names who acts ("The Department of Commerce ...").
        agencies = [m for m in matcher.mentions(sentences[1]) if m.kind == "agency"]
        ids = {m.entity_id for m in agencies}
        for m in agencies:
            if m.entity_id in _PARENT.values() and any(
                    _PARENT.get(other) == m.entity_id for other in ids):
                continue
            return m.zh, sentences[1]
    return None


def _status(card: _Slots, doc: CardDoc, sentences: list[str], instrument: str | None) -> None:
    title = sentences[0]
    if instrument in _STATUS_BY_INSTRUMENT:
        status = _STATUS_BY_INSTRUMENT[instrument]
        if not (instrument == "事實說明" and not card.values["measure"]):
            card.add("status", status, instrument, doc, title)
    for rx, zh in ((_PAUSE, "暫緩"), (_AMEND, "修正"), (_REVOKE, "撤銷")):
        if rx.search(title):
            card.add("status", zh, rx.search(title).group(0), doc, title)
    for s in sentences[1:]:
        if _IN_FORCE.search(s):
            card.add("status", "已生效", _IN_FORCE.search(s).group(0), doc, s)
            break


def _stale(day: date, role: str, published: date | None) -> bool:
    """A deadline before the document was published, or an effective date long before it, is
    history the document recites (a rescinded policy's old deadline), not its own date."""
    if published is None:
        return False
    if role in ("comments", "deadline"):
        return day < published
    return role == "effective" and (published - day).days > 60


def _read_doc(card: _Slots, doc: CardDoc, matcher: TermMatcher, lead: bool,
              dates: bool = True) -> None:
    sentences = scope_sentences(doc)
    if not sentences:
        return
    if doc.country:
        zh = matcher.label(f"country:{doc.country}")
        if zh:
            card.add("country", zh, doc.country, doc, sentences[0])
    issuer = _issuer(doc, sentences, matcher)
    if issuer:
        card.add("issuer", issuer[0], issuer[0], doc, issuer[1])
    # The story's form and status are its lead document's: a merged member's EO must not
    # make a Federal Register notice look like an order.
    inst = _instrument(doc, sentences) if lead else None
    if inst:
        card.add("instrument", inst[0], inst[0], doc, inst[1])
    own = f"country:{doc.country}" if doc.country else ""
    # A Federal Register title says what the notice is about; its abstract then names related
    # proceedings in passing ("the companion antidumping investigation").
    measure_scope = 2 if doc.kind == "register" else FOCUS_SENTENCES + 1
    # Past the title and lead sentence, a measure named once is a passing mention (USMCA in
    # a list of exemptions, non-tariff barriers in a rationale).
    counts = Counter(m.entity_id for s in sentences for m in matcher.mentions(s))
    title_measure = any(m.kind in ("instrument", "law", "programme") and not m.generic
                        and not _names_countries(sentences[0], m)
                        for m in matcher.mentions(sentences[0]))
    for i, s in enumerate(sentences):
        focus = i < FOCUS_SENTENCES + 1
        for m in matcher.mentions(s) if focus else ():
            if m.kind in ("instrument", "law", "programme") and _names_countries(s, m):
                continue
            if m.kind in ("instrument", "law", "programme") and not is_legal_basis_id(m.entity_id):
                if m.generic:
                    card.add("terms", m.zh, m.surface, doc, s)
                    if i == 0:  # "Tariffs" in the title: what the document is about
                        card.add("measure", m.zh, m.surface, doc, s)
                elif i < measure_scope and (i == 0 or (i == 1 and not title_measure)
                                            or counts[m.entity_id] >= 2):
                    card.add("measure", m.zh, m.surface, doc, s)
            elif m.kind == "product" or (m.kind == "country" and m.entity_id != own):
                card.add("targets", m.zh, m.surface, doc, s, m.kind)
        if focus:
            for code in _HS.findall(s):
                card.add("targets", f"HS {code}", code, doc, s, "hs")
        for zh, _ in legal_bases(s):
            card.add("legal_basis", zh, zh, doc, s)
        recital = RECITAL if is_recital(s) else ""
        replaced = _replaced_amounts(s)
        for value, en in amounts_in(s):
            kind = replaced.get(value, recital)
            if kind in ("new", "old") or not value.endswith("%") or rate_context(s, en):
                card.add("amounts", value, en, doc, s, kind)
        for dm in date_mentions(s, doc.published) if dates else ():
            if _stale(dm.day, dm.role, doc.published):
                continue
            role = "簽署" if _SIGNED.search(s[:dm.start]) and dm.role == "mention" else \
                "期限至" if ends_a_period(dm) else _ROLE.get(dm.role)
            if role:
                card.add("dates", f"{role} {dm.day.isoformat()}", s[dm.start:dm.end], doc, s,
                         recital)
    if lead:
        _status(card, doc, sentences, inst[0] if inst else None)
        if doc.kind == "order" and not any(v.kind == "new" for v in card.values["amounts"].values()):
            _amendment(card, doc)


_ACTS = {"order", "register"}


def _another_act(doc: CardDoc, lead: CardDoc) -> bool:
    """Whether a member is an act of its own beside a lead act (another order or notice of the
    story, not a copy of the lead): its dates are that act's, not the lead's (a proclamation's
    exemption period is not the date of the executive order signed with it). A fact sheet or
    statement describes the acts: its dates are kept, and so are all members' when it leads."""
    def key(title: str) -> str:
        return " ".join(title.replace("\u2019", "'").casefold().split())
    return lead.kind in _ACTS and doc.kind in _ACTS and key(doc.title) != key(lead.title)


def _drop_generic_tariff(slots: _Slots) -> None:
    """"關稅" says nothing more when a specific duty (對等關稅, 反傾銷稅 …) is named."""
    measures = slots.values["measure"]
    if "關稅" in measures and SPECIFIC_DUTIES & set(measures):
        del measures["關稅"]


def _drop_passing_targets(slots: _Slots, docs: Sequence[CardDoc]) -> None:
    """With no measure, a country in the body is a passing mention (an ambassador's post, a
    holiday's origin); only targets in a title stay."""
    if slots.values["measure"]:
        return
    titles = {d.title.strip() for d in docs}
    slots.values["targets"] = {k: v for k, v in slots.values["targets"].items()
                               if v.cite.sentence in titles}


def _title_first(slots: _Slots, docs: Sequence[CardDoc]) -> None:
    """Measures and targets named in the lead title lead the slot (the headline uses them)."""
    if not docs:
        return
    title = docs[0].title
    for key in ("measure", "targets"):
        vals = slots.values[key]
        ordered = sorted(vals.items(), key=lambda kv: kv[1].cite.sentence != title
                         or kv[1].cite.doc_id != docs[0].doc_id)
        slots.values[key] = dict(ordered)


def build_card(docs: Sequence[CardDoc], matcher: TermMatcher, *, topics: Sequence[str] = ()
               ) -> Card:
    """The card of a story from its members, lead document first.

    Args:
        docs: the story's documents in the digest's order (the first is the lead); at most
            `MAX_DOCS` are read.
        matcher: gazetteer matcher (zhtw.terms.build_matcher()).
        topics: the story's zh-TW topic labels, for the headline of a story that names no
            measure.

    Returns:
        The filled slots and a zh-TW headline composed from them.
    """
    slots = _Slots()
    for i, doc in enumerate(docs[:MAX_DOCS]):
        _read_doc(slots, doc, matcher, lead=i == 0, dates=i == 0 or not _another_act(doc, docs[0]))
    _drop_generic_tariff(slots)
    _drop_passing_targets(slots, docs)
    _title_first(slots, docs)
    filled = slots.slots()
    terms = tuple(slots.values["terms"].values())[:2]
    headline, cites = compose_headline(filled, docs[0] if docs else None, topics, terms)
    return Card(slots=filled, headline=headline, headline_cites=cites)
