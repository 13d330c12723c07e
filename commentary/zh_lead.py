"""A document's zh-TW lead line over the sentences a section quotes from it, e.g.
美國白宮 2025-04-02 發布事實說明：取消中國大陸、香港微量進口免稅待遇，2025-05-02 起生效；
稅率/金額：貨值 30%、每件 25 美元等.

Who issued it (country, agency) and its rates and legal bases come from the 重點 card
(zhtw/card.py) of the title and the quoted sentences only; the action, the measure and whom it
concerns are read from one of those sentences (commentary/zh_sentence.py), and the countries
added to it only from the sentence that gives the effective date the line states.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from commentary.records import SourceDoc, Statement, ZhValue
from commentary.zh_sentence import (
    Composed,
    amount_phrase,
    find_action,
    legal_in,
    measures_in,
    places_in,
    verbatim,
    who_text,
)
from nlp.dates import date_mentions
from zhtw.card import build_card
from zhtw.records import Card, CardDoc
from zhtw.terms import Mention, TermMatcher

_RATE_CUE = re.compile(r"\b(tariffs?|dut(?:y|ies)|ad valorem|rates?|fees?|surcharges?|tax(?:es)?|"
                       r"per (?:item|package|parcel|shipment))\b", re.I)
LEAD_RATES = 2
_MAX_COUNTRIES, _MAX_PRODUCTS = 3, 2


def card_of(doc: SourceDoc, quotes: Sequence[Statement], matcher: TermMatcher) -> Card:
    """The 重點 card of a document read from its title and these quotes only."""
    text = "\n\n".join(q.text for q in quotes)
    return build_card([CardDoc(doc.doc_id, 0, doc.url, doc.title, text, doc.kind, doc.country,
                               doc.day)], matcher)


def metadata_of(card: Card, doc: SourceDoc, line: Composed | None = None) -> list[str]:
    """What a lead line takes from the source's registry entry, kind and date rather than its
    text (美國, 白宮, 事實說明, the publisher's agency, the publication day as the check names
    a date)."""
    out = [v.value for s in card.slots for v in s.values
           if s.key == "country" or (s.key in ("issuer", "instrument", "status")
                                     and v.en == v.value)]
    out += [v.value for v in (line.values if line else ()) if v.key == "issuer" and not v.sentence]
    if doc.day:
        out.append(f"{doc.day.year}年{doc.day.month}月{doc.day.day}日")
    return out


def _rates(card: Card, doc: SourceDoc, values: list[ZhValue]) -> tuple[list[str], bool]:
    """The card's rates and duty amounts as phrases (每件 25 美元), at most `LEAD_RATES`;
    True when more were left out."""
    slot = card.get("amounts")
    found = []
    for v in slot.values if slot else ():
        s = v.cite.sentence
        at = s.find(v.en)
        if at >= 0 and _RATE_CUE.search(s[max(0, at - 60):at + len(v.en) + 40]):
            phrase = amount_phrase(s, v.en, v.value, at, date_mentions(s, doc.day))[0]
            found.append((phrase, ZhValue("amounts", phrase, v.en, doc.doc_id, s)))
    values.extend(v for _, v in found[:LEAD_RATES])
    return [p for p, _ in found[:LEAD_RATES]], len(found) > LEAD_RATES


def _effective(sentences: Sequence[str], doc: SourceDoc) -> tuple[date, str, str] | None:
    """(day, English surface, sentence) of the first effective date on or after publication."""
    for s in sentences:
        for dm in date_mentions(s, doc.day):
            if dm.role == "effective" and (doc.day is None or dm.day >= doc.day):
                return dm.day, s[dm.start:dm.end], s
    return None


def _places(groups: Sequence[tuple[str, list[Mention]]], own: str, values: list[ZhValue],
            doc: SourceDoc) -> str:
    """Whom the line concerns: the countries and products of the given sentences, deduplicated
    and capped, each recorded with the sentence it was read from."""
    seen: dict[str, tuple[Mention, str]] = {}
    for sentence, found in groups:
        for m in places_in(found, own):
            seen.setdefault(m.zh, (m, sentence))
    countries = [x for x in seen.values() if x[0].kind == "country"][:_MAX_COUNTRIES]
    products = [x for x in seen.values() if x[0].kind == "product"][:_MAX_PRODUCTS]
    for m, sentence in countries + products:
        values.append(ZhValue("targets", m.zh, verbatim(sentence, m), doc.doc_id, sentence))
    return who_text([m for m, _ in countries + products])


def compose_lead(doc: SourceDoc, quotes: Sequence[Statement], matcher: TermMatcher,
                 form: str | None, *, head: bool = True, skip_effective: date | None = None
                 ) -> tuple[Composed, Card] | None:
    """The lead line of a document over its quoted sentences, with the card it was read from.

    Args:
        doc: the source.
        quotes: the statements a section cites from it (the line states nothing else).
        matcher: gazetteer matcher.
        form: the document's zh-TW form (行政命令, 聯邦公報最終規則) when known; else the card's.
        head: start with who issued what when (美國白宮 2025-04-02 發布事實說明：); without it
            the line is what the document does (a timeline event's body).
        skip_effective: an effective date the caller shows already (not repeated).

    Returns:
        None when the sentences name neither a measure nor a country the document concerns.
    """
    card = card_of(doc, quotes, matcher)
    values: list[ZhValue] = []
    sentences = [s for s in (doc.title, *(q.text for q in quotes)) if s.strip()]
    found = [(s, matcher.mentions(s)) for s in sentences]
    own = f"country:{doc.country}" if doc.country else ""
    action = next(((s, ms, a) for s, ms in found
                   if (a := find_action(s, measures_in(ms))) is not None), None)
    measure = next(((s, ms, measures_in(ms)[0]) for s, ms in found if measures_in(ms)), None)
    eff = _effective([action[0]] + sentences if action else sentences, doc)
    what = form or next(iter(card.values("instrument")), None) or "文件"
    if action:
        s, ms, act = action
        values += [ZhValue("action", act.verb, act.surface, doc.doc_id, s),
                   ZhValue("measure", act.measure.zh, verbatim(s, act.measure), doc.doc_id, s)]
        with_date = [(eff[2], matcher.mentions(eff[2]))] if eff else []
        body = act.phrase(_places([(s, ms), *with_date], own, values, doc))
    elif measure:
        s, ms, _ = measure
        named = measures_in(ms)[:2]
        values += [ZhValue("measure", m.zh, verbatim(s, m), doc.doc_id, s) for m in named]
        who = _places([(s, ms)], own, values, doc)
        what_about = f"{who}{'、'.join(m.zh for m in named)}"
        body = f"有關{what_about}之{what}" if head else f"涉及{what_about}"
    else:
        who = _places(found[:1], own, values, doc)  # the title's countries only
        if not who:
            return None
        body = f"發布{what}，涉及{who}" if head else f"涉及{who}"
    if head:
        country, issuer = card.values("country")[:1], card.values("issuer")[:1]
        if not issuer:  # the publisher the registry names (U.S. Trade Representative -> USTR)
            issuer = [m.zh for m in matcher.mentions(doc.publisher or "")
                      if m.kind in ("agency", "org")][:1]
        org = issuer[0] if issuer else ""
        if country and not org.startswith(country[0]):
            org = country[0] + org
        for v in (*country, *issuer):
            values.append(ZhValue("issuer", v, v, doc.doc_id, ""))
        day = f" {doc.day.isoformat()} " if doc.day else ""
        if org or day:
            verb = "" if body.startswith("發布") else "發布"
            body = f"{org}{day}發布{what}：{body}" if action else f"{org}{day}{verb}{body}"
    text = body.strip()
    if eff and eff[0] != skip_effective:
        text += f"，{eff[0].isoformat()} 起生效"
        values.append(ZhValue("dates", f"生效 {eff[0].isoformat()}", eff[1], doc.doc_id, eff[2]))
    if head:
        rates, more = _rates(card, doc, values)
        if rates:
            text += f"；稅率/金額：{'、'.join(rates)}{'等' if more else ''}"
        legal = list({zh: (zh, en, s) for s in sentences for zh, en in legal_in(s)}.values())[:2]
        if legal:
            text += f"；法律依據：{'、'.join(zh for zh, _, _ in legal)}"
            values += [ZhValue("legal_basis", zh, en, doc.doc_id, s) for zh, en, s in legal]
    return Composed(text, tuple(values)), card
