"""One English source sentence as a zh-TW line composed from what the sentence itself states:
the action on a measure, who signs what, the countries and products named, rates and amounts
with their qualifiers (每件, 以下, 逾), counts, dates with their role, legal bases, agencies.

Every value is read off the sentence (the gazetteer of zhtw/terms.py, the money and rate
reader of zhtw/amounts.py, the date roles of commentary/dates.py); the joining words come
from a fixed phrase book. Nothing is translated freely: a sentence that states too little for
a line gives none, and its English stands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from commentary.records import SourceDoc, ZhValue
from nlp.dates import DateMention, date_mentions
from zhtw.amounts import amounts_in
from zhtw.terms import LEGAL_BASES, Mention, TermMatcher, is_legal_basis_id

# English verb -> zh-TW action, only used right before the measure it acts on. Verb forms only
# ("eliminating", never "elimination": "suspended the elimination of" must not read 暫緩).
_VERBS = tuple((re.compile(rf"\b(?:{p})\b", re.I), zh) for p, zh in (
    (r"eliminat(?:e|es|ed|ing)|terminat(?:e|es|ed|ing)|clos(?:e|es|ed|ing)|end(?:s|ed|ing)?|"
     r"abolish(?:es|ed|ing)?", "取消"),
    (r"suspend(?:s|ed|ing)?", "暫停"),
    (r"paus(?:e|es|ed|ing)|delay(?:s|ed|ing)?|postpon(?:e|es|ed|ing)", "暫緩"),
    (r"revok(?:e|es|ed|ing)|rescind(?:s|ed|ing)?|repeal(?:s|ed|ing)?", "撤銷"),
    (r"impos(?:e|es|ed|ing)|lev(?:y|ies|ied|ying)", "課徵"),
    (r"increas(?:e|es|ed|ing)|rais(?:e|es|ed|ing)|hik(?:e|es|ed|ing)", "調升"),
    (r"reduc(?:e|es|ed|ing)|lower(?:s|ed|ing)?|cut(?:s|ting)?", "調降"),
    (r"extend(?:s|ed|ing)?", "延長"),
    (r"expand(?:s|ed|ing)?", "擴大"),
    (r"restor(?:e|es|ed|ing)|reinstat(?:e|es|ed|ing)", "恢復"),
    (r"modif(?:y|ies|ied|ying)|amend(?:s|ed|ing)?|adjust(?:s|ed|ing)?", "調整"),
    (r"implement(?:s|ed|ing)?", "實施"),
    (r"establish(?:es|ed|ing)?|launch(?:es|ed|ing)?|creat(?:e|es|ed|ing)", "設立"),
))
# Between the verb and the measure only such words may stand ("eliminating duty-free de
# minimis", "impose a 25% tariff"); anything else ("the elimination of") and the verb acts on
# something else.
_FILLER = re.compile(r"^\s*(?:(?:the|a|an|all|its|their|this|these|current|existing|further|"
                     r"new|additional|higher|lower|duty-free|ad valorem|\d+(?:\.\d+)?\s?%|"
                     r"percent)\s+)*$", re.I)
# What is said of a measure after it: "de minimis treatment … shall no longer be available",
# "the tariffs are suspended".
_AFTER = re.compile(r"\s*(?:treatment|exemptions?|tariffs?|duties)?"
                    r"(?:\s+under\s+\d+\s+U\.S\.C\.\s+[\w()]+)?\s*(?:…\s*)?"
                    r"(?:(?P<not>(?:shall|will|is|are) not (?:be )?(?:available|apply|applicable))|"
                    r"(?P<gone>(?:shall|will|is|are) no longer (?:be )?(?:available|apply|"
                    r"applicable|in effect))|(?:is|are|will be|shall be|has been|have been)\s+"
                    r"(?P<passive>eliminated|terminated|suspended|paused|revoked|rescinded|"
                    r"repealed|imposed|increased|reduced|extended))\b", re.I)
# What may follow a measure that a verb acts on: its head noun, a preposition, a verb or the
# end ("extending de minimis ineligibility" acts on the ineligibility, not on de minimis).
_HEAD_OK = re.compile(r"\s*(?:$|[,.;:)…]|(?:treatment|exemptions?|tariffs?|dut(?:y|ies)|rules?|"
                      r"regime|programs?|programmes?|provisions?|status|threshold|benefits?|for|"
                      r"on|from|to|and|or|of|in|that|which|with|under|by|at|as|is|are|was|were|"
                      r"will|shall|would|starting|beginning|effective)\b)", re.I)
# Who only may, should or plans to act has not acted: the line says so (建議, 擬) or, for a
# bare possibility, states no action at all.
_MODAL = ((re.compile(r"\b(?:may|might|could|would|consider(?:s|ing)?(?: whether to)?)\s+(?:\w+\s+)?$",
                      re.I), None),
          (re.compile(r"\b(?:should|recommend(?:s|ed|ing)?(?: that \w+)?|urg(?:e|es|ed)|"
                      r"call(?:s|ed)? for)\s+(?:\w+\s+)?$", re.I), "建議"),
          (re.compile(r"\b(?:plans?|intends?|seeks?|propos(?:es|ed)|aims?) to\s+$", re.I), "擬"),
          (re.compile(r"\b(?:will|shall|is to|are to)\s+(?:\w+\s+)?$", re.I), "將"))
_PASSIVE = {"eliminated": "取消", "terminated": "取消", "suspended": "暫停", "paused": "暫緩",
            "revoked": "撤銷", "rescinded": "撤銷", "repealed": "撤銷", "imposed": "課徵",
            "increased": "調升", "reduced": "調降", "extended": "延長"}
_ON_WHOM = {"課徵", "調升", "調降", "實施"}  # written 對{who}{verb}{measure}
_NEGATION = re.compile(r"\b(?:not|no|never|without|neither|nor)\b|n't\b", re.I)
_CLAUSE_BREAK = re.compile(r"[;:,()]")
# Regime names whose zh label does not say what is granted ("微量進口" is the regime; what is
# ended is its duty-free treatment).
_NOUN = {"微量進口": "微量進口免稅待遇"}
_PEOPLE = tuple((re.compile(p), zh) for p, zh in (
    (r"\bPresident (?:Donald J\. |Donald )?Trump\b", "川普總統"),
    (r"\bPresident (?:Joseph R\. |Joe )?Biden\b", "拜登總統"),
))
_SIGNED = re.compile(r"\bsign(?:ed|s)\s+(?:an?\s+|the\s+)?(Executive Orders?|Proclamations?|"
                     r"(?:Presidential )?Memorand(?:um|a)|bill|law|agreement)\b", re.I)
_SIGNED_ZH = {"executive order": "行政命令", "executive orders": "行政命令", "proclamation": "公告",
              "proclamations": "公告", "bill": "法案", "law": "法律", "agreement": "協定"}
_HS = re.compile(r"\b(?:HTSUS|HTS|HS)\s*(?:(?:sub)?headings?\s*)?(\d{4}(?:\.\d{2}){0,3})\b")
# Qualifiers of an amount, read from the words around it.
_PER_ITEM = re.compile(r"^\s*(?:per|a|each|for each)\s+(?:postal\s+)?(?:item|package|parcel|"
                       r"shipment|article)s?\b", re.I)
_OF_VALUE = re.compile(r"^\s*(?:of (?:their|its|the) (?:declared |customs )?value|ad valorem)\b",
                       re.I)
_BEFORE = tuple((re.compile(p + r"\s*$", re.I), form) for p, form in (
    (r"\bvalued? (?:at )?(?:or )?(?:under|below)|\bvalued? at or less than", "價值 {}以下"),
    (r"\bat or (?:under|below)|\bup to|\bnot (?:exceeding|more than)", "{}以下"),
    (r"\b(?:over|more than|exceeding|above|in excess of)", "逾 {}"),
    (r"\b(?:under|below|less than)", "低於 {}"),
    (r"\b(?:increas\w*|rais\w*|ris\w*|go(?:es)? up) to", "調升至{}"),
    (r"\b(?:reduc\w*|lower\w*|cut|decreas\w*|fall\w*) to", "調降至{}"),
))
_THEN = re.compile(r"\b(after|from|starting|beginning|effective|on or after|as of)\s+$", re.I)
_COUNT = re.compile(r"(?<![\w$€£¥.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
                    r"(?:\s*(thousand|million|billion|trillion))?(?![\w%])", re.I)
_COUNT_NOUN = tuple((re.compile(rf"^(?:\s+[\w-]+){{0,3}}?\s+(?:{p})\b", re.I), zh) for p, zh in (
    (r"shipments|packages|parcels|items|products|containers", "件"),
    (r"companies|firms|businesses|manufacturers", "家"), (r"jobs", "個工作機會"),
    (r"workers|people|employees|persons", "人"), (r"countries|economies", "國"),
    (r"tariff lines", "項稅目"),
))
_COUNT_QUALIFIER = tuple((re.compile(p + r"\s*$", re.I), zh) for p, zh in (
    (r"\b(?:over|more than|in excess of)", "逾"), (r"\b(?:nearly|almost)", "近"),
    (r"\b(?:about|approximately|around|roughly)", "約"), (r"\bat least", "至少"),
    (r"\bup to", "最多"),
))
_PERIOD = ((re.compile(r"\b(?:each|per|a) day\b|\bdaily\b", re.I), "每日"),
           (re.compile(r"\b(?:each|per|a) year\b|\bannually\b", re.I), "每年"))
_SCALE = {"thousand": (Decimal(1000), ""), "million": (Decimal(100), "萬"),
          "billion": (Decimal(10), "億"), "trillion": (Decimal(1), "兆")}
_SCALE_GAP = re.compile(r"(?<=\d) (?=[萬億兆])")
_DATE_ROLE = {"effective": "{} 起生效", "comments": "意見徵詢截止 {}", "deadline": "期限 {}"}


def legal_in(sentence: str) -> list[tuple[str, str]]:
    """(zh-TW, English surface) of each legal basis a sentence names, in order."""
    found = []
    for pattern, zh in LEGAL_BASES:
        m = re.search(pattern, sentence)
        if m:
            found.append((m.start(), zh, m.group(0)))
    return [(zh, en) for _, zh, en in sorted(found)]


@dataclass(frozen=True)
class Composed:
    """A composed zh-TW line and the values it states, each with its English surface."""

    text: str
    values: tuple[ZhValue, ...]


def tight(zh: str) -> str:
    """"35 億美元" -> "35億美元": a scale character written against its number, so the
    faithfulness check (zhtw.quantities) reads 3.5e9 and not 35."""
    return _SCALE_GAP.sub("", zh)


def _num(d: Decimal) -> str:
    s = format(d.normalize(), "f")
    whole, _, frac = s.partition(".")
    return f"{int(whole):,}" + (f".{frac}" if frac else "")


def amount_phrase(sentence: str, en: str, zh: str, start: int | None = None,
                  dates: list[DateMention] | None = None) -> tuple[str, DateMention | None]:
    """An amount with the qualifiers its sentence gives it: "$25 per item" -> 每件 25 美元,
    "valued at or under $800" -> 價值 800 美元以下, "30% of their value" -> 貨值 30%,
    "increasing to $50 per item after June 1, 2025" -> 調升至每件 50 美元（2025-06-01 後）.

    Returns:
        The phrase and the date mention it took (so it is not stated twice), if any.
    """
    at = sentence.find(en) if start is None else start
    if at < 0:
        return zh, None
    end = at + len(en)
    before, after = sentence[max(0, at - 40):at], sentence[end:end + 60]
    body = zh = tight(zh)
    if _PER_ITEM.search(after):
        body = f"每件 {zh}"
    elif _OF_VALUE.search(after) and zh.endswith("%"):
        body = f"貨值 {zh}"
    for rx, form in _BEFORE:
        if rx.search(before):
            body = form.format(body)
            break
    else:
        if re.match(r"\s*or (?:less|under|below)\b", after, re.I):
            body = f"{body}以下"
        elif re.match(r"\s*or (?:more|above)\b", after, re.I):
            body = f"{body}以上"
    taken = None
    for dm in dates or ():
        # Only a date right after the amount is its date ("$50 per item after June 1"); one
        # past another number belongs to that number.
        if end < dm.start <= end + 30 and not re.search(r"[;.$€£¥%\d]", sentence[end:dm.start]):
            cue = _THEN.search(sentence[end:dm.start])
            if cue:
                word = "後" if cue.group(1).lower() == "after" else "起"
                body, taken = f"{body}（{dm.day.isoformat()} {word}）", dm
            break
    return body, taken


def _counts(sentence: str, busy: list[tuple[int, int]]) -> list[tuple[str, str]]:
    """(zh, English) for counted things: "over 4 million de minimis shipments into the U.S.
    each day" -> 每日逾 400 萬件. A number needs a scale word or a counted noun."""
    out = []
    for m in _COUNT.finditer(sentence):
        if any(s < m.end() and m.start() < e for s, e in busy):
            continue
        noun = next(((rx.search(sentence[m.end():]), zh) for rx, zh in _COUNT_NOUN
                     if rx.search(sentence[m.end():])), (None, ""))
        if not m.group(2) and not noun[0]:
            continue
        try:
            value = Decimal(m.group(1).replace(",", ""))
        except InvalidOperation:
            continue
        mult, unit = _SCALE.get((m.group(2) or "").lower(), (Decimal(1), ""))
        if unit == "萬" and value * mult >= 10000:  # 134 million = 1.34億, not 13,400萬
            mult, unit = mult / 10000, "億"
        zh = f"{_num(value * mult)}{unit}" + (f" {noun[1]}" if noun[1] and not unit else noun[1])
        before = sentence[max(0, m.start() - 25):m.start()]
        qual = next((f"{q} " for rx, q in _COUNT_QUALIFIER if rx.search(before)), "")
        tail = sentence[m.end():m.end() + 60]
        period = next((p for rx, p in _PERIOD if rx.search(tail)), "")
        out.append((f"{period}{qual}{zh}", m.group(0)))
    return out


@dataclass(frozen=True)
class Action:
    """What a sentence does to a measure: 取消 (eliminating …), or 不再適用 (… no longer
    available)."""

    verb: str
    measure: Mention
    surface: str  # the English words the verb was read from
    mood: str = ""  # 將 (will), 擬 (plans to), 建議 (should): not (yet) done

    def phrase(self, who: str) -> str:
        """取消中國大陸微量進口免稅待遇 / 對中國大陸課徵關稅 / 中國大陸微量進口免稅待遇不再適用."""
        noun = _NOUN.get(self.measure.zh, self.measure.zh)
        if self.verb in ("不再適用", "不適用"):
            return f"{who}{noun}{self.verb}"
        verb = f"{self.mood}{self.verb}"
        return f"{self.mood}對{who}{self.verb}{noun}" if who and self.verb in _ON_WHOM \
            else f"{verb}{who}{noun}"


def verbatim(sentence: str, m: Mention) -> str:
    """A mention's words as the sentence writes them (the matcher reads ’ as ')."""
    return sentence[m.start:m.start + len(m.surface)]


def measures_in(found: list[Mention]) -> list[Mention]:
    """The measures a sentence names, the generic 關稅 dropped beside a named one."""
    measures = _unique([m for m in found if m.kind in ("instrument", "law", "programme")
                        and not is_legal_basis_id(m.entity_id)])
    return [m for m in measures if m.zh != "關稅"] or measures if len(measures) > 1 else measures


def places_in(found: list[Mention], own: str) -> list[Mention]:
    """Countries then products a sentence names (not the source's own country): who a
    measure is about, written as the card's headline writes it (加拿大、墨西哥鋼鐵)."""
    places = _unique([m for m in found if m.kind == "product"
                      or (m.kind == "country" and m.entity_id != own)])
    return [m for m in places if m.kind == "country"] + [m for m in places if m.kind == "product"]


def who_text(places: list[Mention]) -> str:
    """加拿大、墨西哥鋼鐵: countries joined, then products."""
    countries = "、".join(m.zh for m in places if m.kind == "country")
    return countries + "、".join(m.zh for m in places if m.kind == "product")


def find_action(sentence: str, measures: list[Mention]) -> Action | None:
    """The action a sentence takes on one of its measures: a verb right before it (only
    filler words between, not negated), or what is said right after it (no longer available,
    is suspended)."""
    for m in measures:
        for rx, zh in _VERBS:
            for v in rx.finditer(sentence, 0, m.start):
                if not _FILLER.match(sentence[v.end():m.start]) or \
                        not _HEAD_OK.match(sentence, m.start + len(m.surface)):
                    continue
                if _NEGATION.search(sentence[max(0, v.start() - 25):v.start()]):
                    continue
                before = sentence[max(0, v.start() - 40):v.start()]
                mood = next((zh for rx, zh in _MODAL if rx.search(before)), "")
                if mood is None:
                    continue
                return Action(zh, m, v.group(0), mood)
        after = _AFTER.match(sentence, m.start + len(m.surface))
        if after and not _NEGATION.search(sentence[max(0, m.start - 25):m.start]):
            if after.group("gone") or after.group("not"):
                gone = after.group("gone") or after.group("not")
                return Action("不再適用" if after.group("gone") else "不適用", m, gone)
            return Action(_PASSIVE[after.group("passive").lower()], m, after.group("passive"))
    return None


def _unique(mentions: list[Mention]) -> list[Mention]:
    seen: dict[str, Mention] = {}
    for m in mentions:
        seen.setdefault(m.zh, m)
    return list(seen.values())


def compose_sentence(sentence: str, doc: SourceDoc, matcher: TermMatcher,
                     skip_days: frozenset[date] = frozenset()) -> Composed | None:
    """The zh-TW line of one English source sentence, or None when it states too little
    (nothing but the measure or a country) for a line worth reading.

    Args:
        sentence: the quote as the draft shows it (its values are read from exactly this).
        doc: its source (its own country is not listed as a target; its date dates "June 1").
        matcher: the gazetteer matcher (zhtw.terms.build_matcher()).
        skip_days: dates the caller shows already (a timeline event's own day).
    """
    values: list[ZhValue] = []

    def note(key: str, value: str, en: str) -> str:
        values.append(ZhValue(key, value, en, doc.doc_id, sentence))
        return value

    found = matcher.mentions(sentence)
    own = f"country:{doc.country}" if doc.country else ""
    measures = measures_in(found)
    places = places_in(found, own)
    agencies = _unique([m for m in found if m.kind in ("agency", "org")])
    dates = [d for d in date_mentions(sentence, doc.day) if d.day not in skip_days]
    head: list[str] = []
    person = next(((rx.search(sentence), zh) for rx, zh in _PEOPLE if rx.search(sentence)), None)
    signed = _SIGNED.search(sentence)
    if signed and _NEGATION.search(sentence[max(0, signed.start() - 25):signed.start()]):
        signed = None
    action = find_action(sentence, measures)
    if person and (signed or action):
        head.append(note("person", person[1], person[0].group(0)))
    if signed:
        kind = signed.group(1).lower()
        zh = _SIGNED_ZH.get(kind, "備忘錄" if "memorand" in kind else "文件")
        head.append(f"簽署{note('instrument', zh, signed.group(0))}")
    clauses: list[str] = []
    if action:
        note("action", action.verb, action.surface)
        note("measure", action.measure.zh, verbatim(sentence, action.measure))
        for p in places:
            note("targets", p.zh, verbatim(sentence, p))
        head.append(("，" if signed else "") + action.phrase(who_text(places)))
    else:
        if measures:
            clauses.append("措施：" + "、".join(note("measure", m.zh, verbatim(sentence, m)) for m in measures))
        if places:
            clauses.append("涉及：" + "、".join(note("targets", p.zh, verbatim(sentence, p)) for p in places))
    if agencies:
        clauses.append("相關機關：" + "、".join(note("issuer", a.zh, verbatim(sentence, a)) for a in agencies))
    legal = [note("legal_basis", zh, en) for zh, en in legal_in(sentence)]
    if legal:
        clauses.append("法律依據：" + "、".join(legal))
    busy, phrases, cursor = [], [], 0
    for zh, en in amounts_in(sentence):
        at = sentence.find(en, cursor)
        cursor = at + len(en) if at >= 0 else cursor
        phrase, took = amount_phrase(sentence, en, zh, at, dates)
        busy.append((at, at + len(en)))
        if took:
            dates = [d for d in dates if d is not took]
        phrases.append(note("amounts", phrase, en))
    if phrases:
        clauses.append("稅率/金額：" + "、".join(phrases))
    busy += [(d.start, d.end) for d in date_mentions(sentence, doc.day)]
    busy += [(m.start(), m.end()) for m in _HS.finditer(sentence)]
    counts = [note("count", zh, en) for zh, en in _counts(sentence, busy)]
    if counts:
        clauses.append("數量：" + "、".join(counts))
    for dm in dates:
        day = dm.day.isoformat()
        if dm.role == "effective" and head:
            head.append(f"，{note('dates', _DATE_ROLE['effective'].format(day), sentence[dm.start:dm.end])}")
            continue
        form = _DATE_ROLE.get(dm.role, "日期 {}")
        clauses.append(note("dates", form.format(day), sentence[dm.start:dm.end]))
    codes = [note("targets", f"HS {c}", c) for c in dict.fromkeys(_HS.findall(sentence))]
    if codes:
        clauses.append("稅則號別：" + "、".join(codes))
    informative = head or phrases or counts or dates or legal or codes
    if not informative:
        return None
    text = "；".join(x for x in ("".join(head), *clauses) if x)
    return Composed(text, tuple(values))
