"""A zh-TW headline composed from a card's slots, e.g.
【美國・行政命令】取消中國大陸、香港微量進口免稅待遇，2025-05-02 起生效.

Only slot values (each cited) and a fixed phrase book go in; the action verb is read off the
lead document's title or first sentence. Nothing is translated freely.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from zhtw.amounts import rate_context
from zhtw.records import CardDoc, Slot, SlotValue
from zhtw.terms import SPECIFIC_DUTIES

# English verb in the title or lead sentence -> zh-TW action; first listed wins on ties.
_ACTIONS = (
    # "Extending the TikTok Enforcement Delay": a delay made longer, not a new pause
    (re.compile(r"\bextend\w*\b[^.;]{0,80}\b(delay|pause|suspension)\b", re.I), "延長暫緩"),
    (re.compile(r"\b(eliminat\w*|clos(?:e|es|ed|ing)|end(?:s|ed|ing)?|terminat\w*)\b", re.I),
     "取消"),
    (re.compile(r"\b(suspend\w*)\b", re.I), "暫停"),
    (re.compile(r"\b(paus\w*|delay\w*)\b", re.I), "暫緩"),
    (re.compile(r"\b(revok\w*|rescind\w*|repeal\w*)\b", re.I), "撤銷"),
    (re.compile(r"\b(increas\w*|rais(?:e|es|ed|ing))\b", re.I), "調升"),
    (re.compile(r"\b(reduc\w*|lower\w*|cut(?:s|ting)?)\b", re.I), "調降"),
    (re.compile(r"\b(extend\w*|extension)\b", re.I), "延長"),
    (re.compile(r"\b(impos\w*|levy\w*|regulating imports)\b", re.I), "課徵"),
    # not "apply": "… as Applied to Low-Value Imports" names what an order changes, not an act
    (re.compile(r"\b(proceed\w*|implement\w*)\b", re.I), "實施"),
    (re.compile(r"\b(adjust\w*)\b", re.I), "調整"),
    (re.compile(r"\b(amend\w*|modif\w*)\b", re.I), "修正"),
    (re.compile(r"\b(initiat\w*|investigat\w*)\b", re.I), "展開調查"),
    (re.compile(r"\b(expand\w*|expansion)\b", re.I), "擴大"),
    (re.compile(r"\b(establish\w*|launch\w*|creat(?:e|es|ed|ing))\b", re.I), "設立"),
)
_DUTIES = SPECIFIC_DUTIES | {"關稅"}
# Measures whose zh label names a regime, not what is taken away or granted.
_NOUN = {"微量進口": "微量進口免稅待遇"}
# When the card names no measure, the act's title may still name what it acts on in words the
# gazetteer leaves generic ("Further Amendment to Duties Addressing ... the People's Republic of
# China"): a fixed book of those trade nouns, first match wins.
_TITLE_NOUNS = (
    (re.compile(r"\bexport controls?\b", re.I), "出口管制"),
    (re.compile(r"\bduties\b|\btariffs?\b|\bdut(?:y|ies) rates?\b", re.I), "關稅"),
    (re.compile(r"\bsanctions?\b", re.I), "制裁"),
    (re.compile(r"\bforeign investments?\b|\binvestment restrictions?\b", re.I), "外國投資"),
)
_HAN = re.compile(r"[\u4e00-\u9fff]")
_KANA_HANGUL = re.compile(r"[\u3040-\u30ff\uac00-\ud7af]")
_DEMONYM = re.compile(r"(?:ian|ean|ese|ish|lan|can)$")  # Venezuelan, Korean (not Taiwan, Japan)
_NOT_LEVIED = {"制裁", "出口管制", "外國投資"}
_PUBLICATION = {"register": "聯邦公報", "order": "白宮", "fact-sheet": "白宮",
                "statement": "白宮", "article": "白宮"}


def _values(slots: Sequence[Slot], key: str) -> list:
    return next((list(s.values) for s in slots if s.key == key), [])


# Federal Register titles are templates ("…; Suspended Investigation", "Extension of Target
# Date"): only these forms say what the notice itself does.
_REGISTER_ACTIONS = (
    (re.compile(r"\b(Institution|Initiation) of\b.*\b(Investigations?|Reviews?)\b"), "展開調查"),
    (re.compile(r"\bImplementation of Additional Duties\b|\bImposition of\b", re.I), "課徵"),
)
# A Federal Register document whose title opens on what it is, an agency statement, or on its
# withdrawal ("Policy Statement on No-Action Letters", "Rescission of Policy Statement on ...",
# "Withdrawal of Commission Guidance"): 發布/撤銷 + the form, for a notice the card's instrument
# cues leave without a type (not 「發布文件」).
_REGISTER_FORM = re.compile(
    r"^\W*(?P<undo>(?:Rescission|Withdrawal|Revocation|Repeal) of (?:the |a |an )?(?:[A-Z]\w+ )?)?"
    r"(?:Final |Interim |Updated |Revised |Draft |General )?(?P<form>Policy Statement|Statement of "
    r"Policy|Interpretive Rule|Guidance)\b", re.I)
_FORMS = {"policy statement": "政策聲明", "statement of policy": "政策聲明",
          "interpretive rule": "解釋性規則", "guidance": "指引"}
# What such a document is about, in the energy topic's terms (nlp/taxonomy.yaml: natural gas,
# LNG, coal, oil, electricity); the gazetteer has no product for them. First match wins.
_SUBJECT_NOUNS = (
    (re.compile(r"\bexport\w*\b[^.;]{0,40}\b(?:natural gas|LNG)\b|\b(?:natural gas|LNG) "
                r"exports?\b", re.I), "天然氣出口"),
    (re.compile(r"\bnatural gas\b|\bLNG\b|\bliquefied natural gas\b", re.I), "天然氣"),
    (re.compile(r"\bcoal\b", re.I), "煤炭"),
    (re.compile(r"\bcrude oil\b|\bpetroleum\b", re.I), "石油"),
    (re.compile(r"\belectricity\b|\bpower grid\b", re.I), "電力"),
)


# What a trade-remedy notice of the Federal Register is, from its fixed title forms (the stage
# of the proceeding, in BOFT's terms: 初步/最終裁定, 行政複查, 落日複查); {who} is the
# countries and products the title names ("臺灣鋼鐵"). First match wins.
_AD = r"(?:Antidumping|Anti-Dumping)"
_CVD = r"Countervailing"
_LTFV = r"Determinations? of Sales at Less[- ]Than[- ]Fair[- ]Value"
_REVIEW = r"Results(?: and (?:Partial )?Rescission)? of (?:the )?{duty} Duty Administrative Review"
_SUNSET = (r"\bFinal Results of (?:the )?(?:Expedited )?(?:\w+ )?(?:Five-Year )?\(?Sunset\)? "
           r"Reviews?\b.*\b{duty}|\b{duty} Duty Orders?\b.*\bFinal Results of (?:the )?"
           r"(?:Expedited )?(?:\w+ )?(?:Five-Year )?\(?Sunset\)? Reviews?")
_REGISTER_STAGES = tuple((re.compile(rx), zh) for rx, zh in (
    (r"\bInstitution of (?:a )?Five-Year Reviews?|\bInitiation of Five-Year \(Sunset\) Reviews?",
     "對{who}展開落日複查"),
    (rf"\bPreliminary Affirmative {_LTFV}", "對{who}作出傾銷初步肯定裁定"),
    (rf"\bFinal Affirmative {_LTFV}", "對{who}作出傾銷最終肯定裁定"),
    (rf"\bPreliminary Negative {_LTFV}", "對{who}作出傾銷初步否定裁定"),
    (rf"\bFinal Negative {_LTFV}", "對{who}作出傾銷最終否定裁定"),
    (r"\bPreliminary Affirmative Countervailing Duty Determination", "對{who}作出平衡稅初步肯定裁定"),
    (r"\bFinal Affirmative Countervailing Duty Determination", "對{who}作出平衡稅最終肯定裁定"),
    (r"\bPreliminary Negative Countervailing Duty Determination", "對{who}作出平衡稅初步否定裁定"),
    (r"\bFinal Negative Countervailing Duty Determination", "對{who}作出平衡稅最終否定裁定"),
    (r"\bPreliminary " + _REVIEW.format(duty=_AD), "{who}反傾銷稅行政複查初步結果"),
    (r"\bFinal " + _REVIEW.format(duty=_AD), "{who}反傾銷稅行政複查最終結果"),
    (r"\bPreliminary " + _REVIEW.format(duty=_CVD), "{who}平衡稅行政複查初步結果"),
    (r"\bFinal " + _REVIEW.format(duty=_CVD), "{who}平衡稅行政複查最終結果"),
    (rf"\bRescission of {_AD} Duty Administrative Review", "撤銷{who}反傾銷稅行政複查"),
    (rf"\bRescission of {_CVD} Duty Administrative Review", "撤銷{who}平衡稅行政複查"),
    (rf"\bContinuation of (?:the )?{_AD} (?:and Countervailing )?Duty Orders?", "{who}反傾銷稅命令繼續有效"),
    (rf"\bContinuation of (?:the )?{_CVD} Duty Orders?", "{who}平衡稅命令繼續有效"),
    (rf":\s*{_AD} and {_CVD} Duty Orders?\s*$", "對{who}發布反傾銷稅及平衡稅命令"),
    (rf":\s*(?:Amended )?{_AD} Duty Orders?\s*$", "對{who}發布反傾銷稅命令"),
    (rf":\s*(?:Amended )?{_CVD} Duty Orders?\s*$", "對{who}發布平衡稅命令"),
    (_SUNSET.format(duty=_AD), "{who}反傾銷稅落日複查最終結果"),
    (_SUNSET.format(duty=_CVD), "{who}平衡稅落日複查最終結果"),
))


def _register_stage(lead: CardDoc | None, who: str) -> str | None:
    """The zh-TW phrase of a trade-remedy notice's stage, from its title, or None."""
    if lead is None or lead.kind != "register":
        return None
    for rx, phrase in _REGISTER_STAGES:
        if rx.search(lead.title):
            return phrase.format(who=who) if who else phrase.replace("對{who}", "").replace("{who}", "")
    return None


def _action(lead: CardDoc | None, first_sentence: str) -> str | None:
    if lead is None:
        return None
    if lead.kind == "register":
        return next((zh for rx, zh in _REGISTER_ACTIONS if rx.search(lead.title)), None)
    for text in (lead.title, first_sentence):
        for rx, zh in _ACTIONS:
            if rx.search(text or ""):
                return zh
    return None


def _phrase(action: str | None, measure: str | None, who: str, rate: str | None) -> str:
    noun = _NOUN.get(measure or "", measure or "")
    if rate and measure in _DUTIES:
        noun = f"{noun}（{rate}）"
    if action == "課徵" and noun in _NOT_LEVIED:
        action = "實施"  # sanctions and controls are imposed, not levied
    if action in ("課徵", "實施"):
        return f"對{who}{action}{noun}" if who else f"{action}{noun}"
    if action == "展開調查":
        return f"對{who}{noun}展開調查" if who else f"就{noun}展開調查"
    if action == "設立":
        return f"設立{noun}"
    if action == "延長暫緩":
        return f"延長{who}{noun}之暫緩執行"
    return f"{action}{who}{noun}"


def compose_headline(slots: Sequence[Slot], lead: CardDoc | None, topics: Sequence[str] = (),
                     terms: Sequence[SlotValue] = ()) -> tuple[str, tuple[int, ...]]:
    """The headline and the citation numbers of the slot values it uses.

    Args:
        slots: the card's filled slots.
        lead: the story's lead document (its title gives the action verb).
        topics: zh-TW topic labels, used when the card names no measure.
        terms: generic policy words (關稅) the card does not list, each cited; the headline
            falls back on them when no specific measure is named.
    """
    used = []

    def take(key: str, limit: int = 1) -> list[str]:
        vals = _values(slots, key)[:limit]
        used.extend(v.cite.n for v in vals)
        return [v.value for v in vals]

    country = take("country")
    instrument = take("instrument")
    kind_label = instrument[0] if instrument else _PUBLICATION.get(lead.kind if lead else "", "")
    tag = "・".join(x for x in (*(country[:1]), kind_label) if x)
    head = f"【{tag}】" if tag else ""
    if lead is not None and lead.country == "TW" and _HAN.search(lead.title) \
            and not _KANA_HANGUL.search(lead.title):
        # Taiwan's own release (總統府, 行政院 …) is titled in zh-TW already: its title says what
        # the composed phrases could only approximate (「臺灣・發布文件，主題：…」 before)
        used.append(lead.n)
        return head + " ".join(lead.title.split()), tuple(sorted(set(used)))
    measures = _values(slots, "measure") or list(terms[:1])
    targets = _values(slots, "targets")
    # a demonym in the title that the act is not on is a passing mention ("Tariffs on Countries
    # Importing Venezuelan Oil": not tariffs on Venezuela)
    countries = [v for v in targets if v.kind == "country" and not (
        lead is not None and v.cite.sentence == lead.title and _DEMONYM.search(v.en)
        and not _acted_on(lead.title, v.en))][:3]
    products = [v for v in targets if v.kind == "product"][:2]
    who = "".join(x for x in ("、".join(v.value for v in countries),
                                "、".join(v.value for v in products)) if x)
    rate = _rate(_values(slots, "amounts"))
    first_sentence = next((v.cite.sentence for v in measures[:1]), "")
    action = _action(lead, first_sentence)
    stage = _register_stage(lead, who)
    if stage and lead is not None:
        used.extend(v.cite.n for v in (*countries, *products))
        used.append(lead.n)  # the title states the stage
        body = stage
    elif not measures and action and lead is not None and (noun := _title_noun(lead.title)):
        # only a country the title puts the act on ("... in the People's Republic of China"),
        # not one it names in passing ("Tariffs on Countries Importing Venezuelan Oil")
        named = [v for v in countries if _acted_on(lead.title, v.en)]
        used.extend(v.cite.n for v in named)
        used.append(lead.n)  # the title names what is acted on
        body = _phrase(action, noun, "、".join(v.value for v in named), rate)
    elif measures:
        used.extend(v.cite.n for v in (measures[0], *countries, *products))
        if action:
            body = _phrase(action, measures[0].value, who, rate)
        else:
            subject = f"{who}{_NOUN.get(measures[0].value, measures[0].value)}"
            body = f"有關{subject}之{instrument[0] if instrument else '文件'}"
    else:
        issuer = take("issuer")
        what, verb, subject = kind_label if instrument else "文件", "發布", None
        form = None if instrument or lead is None or lead.kind != "register" \
            else _REGISTER_FORM.search(lead.title)
        if form:
            # "Rescission of Policy Statement on ... To Export Natural Gas": 撤銷有關天然氣出口之
            # 政策聲明 (the title names the form, the act and what it is about)
            used.append(lead.n)
            what, verb = _FORMS[form["form"].lower()], "撤銷" if form["undo"] else "發布"
            subject = _first(_SUBJECT_NOUNS, lead.title)
        body = f"{issuer[0] if issuer else ''}{verb}{f'有關{subject}之' if subject else ''}{what}"
        if who:
            body += f"，涉及{who}"
            used.extend(v.cite.n for v in (*countries, *products))
        elif topics and not subject:
            body += f"，主題：{'、'.join(topics[:2])}"
    body += _date_phrase(_values(slots, "dates"), action, used)
    return head + body, tuple(sorted(set(used)))


def _acted_on(title: str, surface: str) -> bool:
    """Whether the title names `surface` as what the act is on or from ("Duties ... in the
    People's Republic of China", "Imports from Mexico")."""
    straight = title.replace("\u2019", "'")  # the matcher's surfaces have straight quotes
    return bool(surface) and bool(re.search(
        rf"\b(?:from|on|in|of|against|with)\s+(?:the\s+)?{re.escape(surface)}", straight, re.I))


def _title_noun(title: str) -> str | None:
    """The trade noun of `_TITLE_NOUNS` a title names, if any."""
    return _first(_TITLE_NOUNS, title)


def _first(book: Sequence[tuple[re.Pattern[str], str]], text: str) -> str | None:
    """The zh-TW phrase of the first pattern of `book` that `text` matches, if any."""
    return next((zh for rx, zh in book if rx.search(text)), None)


# A period that ends on the date reads on from these actions: 延長…暫緩執行至 2025-06-19.
_RUNS_UNTIL = ("延長暫緩", "延長", "暫停", "暫緩")


def _date_phrase(dates: Sequence[SlotValue], action: str | None, used: list[int]) -> str:
    """What the headline says of the card's dates, by their role (zhtw.card): an effective
    date, else the public's comment deadline (截止), else the end of a period (期限至: an
    enforcement delay "extended until"), else a due date (期限: "shall report no later than")."""
    by_role: dict[str, SlotValue] = {}
    for v in dates:
        if v.kind != _RECITAL:  # a recital's date is another act's ("effective May 2")
            by_role.setdefault(v.value.split()[0], v)
    if "生效" in by_role:
        v, text = by_role["生效"], "，{} 起生效"
    elif "截止" in by_role:
        v, text = by_role["截止"], "，{} 前提出意見或資料"
    elif "期限至" in by_role:
        v, text = by_role["期限至"], "至 {}" if action in _RUNS_UNTIL else "，期限至 {}"
    elif "期限" in by_role:
        v, text = by_role["期限"], "，期限 {}"
    else:
        return ""
    used.append(v.cite.n)
    return text.format(v.value.split()[1])



_DUTY_WORD = re.compile(r"\b(tariffs?|dut(?:y|ies)|ad valorem)\b", re.I)


_RECITAL = "recital"  # zhtw.card.RECITAL (the card imports this module)


def _rate(amounts: Sequence[SlotValue]) -> str | None:
    """The duty rate the headline names: the rate an amendment inserts ("new"), else one the
    act states; never the rate an amendment deletes ("old") nor one a recital recounts (the
    other side's retaliation: no rate is better than a wrong one)."""
    for wanted in ("new", ""):
        found = next((v.value for v in amounts if v.kind == wanted
                      and (wanted == "new" or _is_duty_rate(v))), None)
        if found:
            return found
    return None


def _is_duty_rate(value) -> bool:
    """A percentage stated within a few words of "tariff"/"duty" (not a poll or a share)."""
    return value.value.endswith("%") and rate_context(value.cite.sentence, value.en, _DUTY_WORD,
                                                      60, 40)
