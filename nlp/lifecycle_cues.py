"""The cue words of lifecycle extraction: what kind of act a title or an operative sentence
states (pause, rate change, amendment, revocation), what a Federal Register title or abstract
says the document is (proposed rule, request for comments, final rule, initiation,
suspension), and which dates are effective dates. Pure functions over strings; used by
nlp.lifecycle_docs."""

from __future__ import annotations

import re
from datetime import date, timedelta

from nlp.dates import find_dates

# --- presidential acts -------------------------------------------------------------------
ACT_TITLE = (
    ("suspended", re.compile(r"^\s*(suspending|pausing|temporar(?:y|ily)\s+suspen|(?:further\s+)?"
                             r"extending\s+the\s+\w+(?:\s+\w+)?\s+(?:delay|suspension|pause))",
                             re.IGNORECASE)),
    ("revoked", re.compile(r"^\s*(revoking|rescinding|rescission|terminating|revocation)", re.IGNORECASE)),
    ("rates_changed", re.compile(r"^\s*(further\s+)?modifying\s+(?:the\s+)?(?:\w+\s+){0,2}(rates?|duties)\b",
                                 re.IGNORECASE)),
    ("amended", re.compile(r"^\s*((further\s+)?amendments?\s+to|(further\s+)?amending|(further\s+)?"
                           r"modifying|adjusting\s+and\s+amending)\b", re.IGNORECASE)),
)
# what an operative sentence of an order does (a recital of earlier acts is left out)
BODY = (
    ("suspended", re.compile(
        r"\b(shall\s+be\s+paused|is\s+(?:hereby\s+)?paused|(?:is|are)\s+(?:hereby\s+)?suspended|"
        r"hereby\s+suspend|temporarily\s+suspend|suspend,?\s+for\s+a\s+period|suspend\s+for\s+a\s+"
        r"period|(?:further\s+)?extended\s+until|extend\s+the\s+suspension|continue\s+the\s+"
        r"suspension|shall\s+continue\s+to\s+be\s+suspended|(?:shall|will)\s+not\s+take\s+effect\s+"
        r"until)\b", re.IGNORECASE)),
    # a benefit kept "until notification" pauses its end - unless the order does more (then it
    # is restating the pause an earlier order made)
    ("suspended?", re.compile(r"\b(?:shall|will)\s+cease\s+to\s+be\s+available[^.]{0,120}\bupon\s+"
                              r"notification\b", re.IGNORECASE)),
    ("rates_changed", re.compile(
        r"\b(?:increas|rais|reduc|decreas|lower)\w*\b[^.;]{0,220}?\bfrom\s+\$?\d+(?:\.\d+)?\s*"
        r"(?:percent|%|dollars)[^.;]{0,80}?\bto\s+\$?\d|\b(?:striking|deleting)\s+(?:the\s+words\s+)?"
        r"[“\"]\$?\d+(?:\.\d+)?\s*(?:percent|%)[”\"][^.]{0,160}?\binserting\b[^.]{0,80}?[“\"]\$?\d|"
        r"\bshall\s+instead\s+be\s+subject\s+to\s+an\s+additional\s+ad\s+valorem\s+rate",
        re.IGNORECASE)),
    ("revoked", re.compile(r"\b(is|are)\s+hereby\s+revoked\b", re.IGNORECASE)),
)
_RECITAL = re.compile(
    r"^(?:in|on|through|by|as\s+noted\s+in|since)\s+(?:executive\s+order|proclamation|the\s+"
    r"executive\s+order|(?:january|february|march|april|may|june|july|august|september|october|"
    r"november|december)\s+\d)|\bI\s+(?:raised|imposed|declared|paused|suspended|increased|"
    r"determined\s+that\s+it\s+was|found|directed|issued|provided)\b|\b(?:announced|retaliat)",
    re.IGNORECASE)
_OPERATIVE = re.compile(r"\b(shall|hereby|is\s+(?:further\s+)?(?:amended|suspended|extended)|"
                        r"are\s+(?:hereby\s+)?(?:amended|suspended)|necessary\s+and\s+appropriate\s+"
                        r"to)\b", re.IGNORECASE)


def is_recital(sentence: str) -> bool:
    """Whether a sentence of an order recounts an earlier act ("In Executive Order 14200 ...,
    I paused ...") rather than doing something."""
    return bool(_RECITAL.search(sentence)) or not _OPERATIVE.search(sentence)


def title_kind(title: str) -> str:
    """The act a presidential document's title names (default "signed")."""
    for kind, pattern in ACT_TITLE:
        if pattern.search(title):
            return kind
    return "signed"


def body_kinds(sentences: tuple[str, ...], limit: int = 80) -> list[tuple[str, str]]:
    """(kind, sentence) of the strong acts (pause, rate change, revocation) an order's
    operative sentences perform, first sentence per kind."""
    out: dict[str, str] = {}
    for s in sentences[:limit]:
        if is_recital(s):
            continue
        for kind, pattern in BODY:
            if kind not in out and pattern.search(s):
                out[kind] = s
    weak = out.pop("suspended?", None)
    if weak and not out:
        out["suspended"] = weak
    return list(out.items())


_ORDINALS = {w: i for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
    "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth".split(), 1)}
_ORDINALS.update({f"twenty-{w}": 20 + i for w, i in list(_ORDINALS.items())[:9]})
_ORDINALS.update({"thirtieth": 30, "thirty-first": 31})
_WITNESS = re.compile(r"set\s+my\s+hand\s+this\s+([a-z-]+)\s+day\s+of\s+([A-Z][a-z]+),\s+in\s+the\s+"
                      r"year\s+of\s+our\s+Lord\s+two\s+thousand\s+([a-z-]+)", re.IGNORECASE)
_YEARS = {"twenty-four": 2024, "twenty-five": 2025, "twenty-six": 2026, "twenty-seven": 2027}


def witness_date(text: str) -> date | None:
    """A proclamation's signing date from "set my hand this tenth day of February, in the year
    of our Lord two thousand twenty-five"."""
    m = _WITNESS.search(text[-3000:] if text else "")
    if not m:
        return None
    day, year = _ORDINALS.get(m.group(1).lower()), _YEARS.get(m.group(3).lower())
    found = find_dates(f"{m.group(2)} {day or 0}, {year or 0}") if day and year else []
    return found[0][0] if found else None


# --- Federal Register documents --------------------------------------------------------
FR_KINDS = (
    ("announced", re.compile(r"\b(initiation\s+of|institution\s+of)\b", re.IGNORECASE), "title"),
    ("proposed", re.compile(r"\b(proposed\s+rule(?!\s+change)|notice\s+of\s+proposed\s+rulemaking|"
                            r"proposed\s+(?:action|modification)s?|notice\s+of\s+filing\s+of\s+(?:a\s+)?"
                            r"proposed\s+rule\s+change|preliminary\s+(?:\w+\s+){0,4}?determination|"
                            r"preliminary\s+results)\b", re.IGNORECASE), "title"),
    ("proposed", re.compile(r"\b(this\s+document\s+proposes|propos(?:es|ing)\s+to\s+\w+|is\s+"
                            r"proposing|proposed\s+rule)\b", re.IGNORECASE), "abstract"),
    ("comment_requested", re.compile(r"\b(request(?:s|ing)?\s+for\s+(?:public\s+)?(?:comments?|"
                                     r"information|input)|notice\s+of\s+inquiry)\b", re.IGNORECASE),
     "title"),
    ("comment_requested", re.compile(r"\b(?:requests?|invites?|solicits?|seeks?|seeking)\s+(?:written\s+|public\s+)"
                                     r"*comments?\b|opening\s+of\s+a\s+public\s+comment\s+docket",
                                     re.IGNORECASE), "abstract"),
    ("final", re.compile(r"\b(final\s+rule|interim\s+final\s+rule|final\s+(?:affirmative\s+|negative\s+)?"
                         r"determination|(?:antidumping|countervailing)\s+duty\s+orders?$|continuation\s+"
                         r"of\s+(?:the\s+)?(?:antidumping|countervailing)|^notice\s+of\s+(?:action|"
                         r"determination)\b|additions?\s+(?:and\s+\w+\s+)?(?:of\s+entities\s+)?to\s+"
                         r"(?:and\s+\w+\s+\w+\s+)?the\s+entity\s+list|revisions?\s+to\s+the\s+entity\s+list)",
                         re.IGNORECASE), "title"),
    ("final", re.compile(r"\b(this\s+final\s+rule|in\s+this\s+(?:final\s+)?rule,|is\s+issuing\s+"
                         r"(?:a|this)\s+final\s+rule)", re.IGNORECASE), "abstract"),
    ("revoked", re.compile(r"\b(revocation\s+of\s+(?:the\s+)?(?:antidumping|countervailing)|"
                           r"rescission\s+of\s+(?:the\s+)?(?:order|rule))\b", re.IGNORECASE), "title"),
    ("suspended", re.compile(r"\b(is\s+suspending|are\s+suspended|hereby\s+suspends?)\b", re.IGNORECASE),
     "abstract"),
)
_PRELIMINARY = re.compile(r"\bpreliminary\b", re.IGNORECASE)
_CORRECTION = re.compile(r"\bcorrect(?:s|ion)\b", re.IGNORECASE)
_INITIATED = re.compile(r"\bon\s+(\w+\s+\d{1,2},\s+\d{4}),?\s+(?:the\s+)?[^,;]{0,80}?\binitiated\s+"
                        r"(?:an?|the)\s+investigation|\bannounced\s+on\s+(\w+\s+\d{1,2},\s+\d{4})",
                        re.IGNORECASE)
# "On January 3, 2025, ..., then-President Biden issued an order titled ...": the order
# an act goes on from, recounted with its date
_ISSUED = re.compile(r"^(?:\([a-z0-9]{1,3}\)\s*)?On\s+(\w+\s+\d{1,2},\s+\d{4}),\s+(?:[^,]{0,60},\s+)?(?:then-)?President\s+"
                     r"[A-Z]\w+\s+issued\s+an?\s+(?:order|executive\s+order|proclamation)\b")


def fr_kinds(title: str, abstract: str) -> list[tuple[str, str]]:
    """(kind, cue text) of what a Federal Register document is, from its title and the first
    sentences of its abstract; a correction notice is none of them."""
    head = abstract[:700]
    if _CORRECTION.search(head[:300]) or _CORRECTION.search(title):
        return []
    out: dict[str, str] = {}
    for kind, pattern, where in FR_KINDS:
        text = title if where == "title" else head
        if kind not in out and pattern.search(text):
            out[kind] = title
    if "proposed" in out and _PRELIMINARY.search(title):
        out.pop("final", None)  # "Preliminary ...; Alignment of Final Determination": procedure
    return list(out.items())


def initiated_on(sentences: tuple[str, ...]) -> tuple[date, str] | None:
    """The date an investigation was initiated or an action announced, from "On April 22,
    2025, the Secretary of Commerce initiated an investigation" / "... announced on December
    10, 2025"."""
    for s in sentences[:3]:
        m = _INITIATED.search(s)
        if m:
            found = find_dates(m.group(1) or m.group(2))
            if found:
                return found[0][0], s
    return None


def issued_on(sentences: tuple[str, ...], limit: int = 40) -> list[tuple[date, str]]:
    """The orders an act recounts as issued on a date by a President ("On January 3, 2025,
    ... then-President Biden issued an order titled ...")."""
    out = []
    for s in sentences[:limit]:
        m = _ISSUED.search(s)
        if m:
            found = find_dates(m.group(1))
            if found:
                out.append((found[0][0], s))
    return out


# --- effective dates ---------------------------------------------------------------------
EFFECTIVE = re.compile(
    r"\b(effective|take[sn]?\s+effect|took\s+effect|go(?:es)?\s+into\s+effect|went\s+into\s+"
    r"effect|shall\s+(?:apply|be\s+effective)|on\s+or\s+after|beginning(?:\s+on)?|starting(?:\s+on)?|"
    r"enter(?:s|ed)?\s+into\s+force|been\s+in\s+effect\s+since)\b", re.IGNORECASE)
_NOT_EFFECTIVE = re.compile(r"\b(until|through|no\s+later\s+than|not\s+later\s+than|within|"
                            r"before|prior\s+to|ending|expir\w*|by|(?:order|proclamation|memorandum|"
                            r"notice)\s+(?:of|dated))\s*$", re.IGNORECASE)
_POSTPONED = re.compile(r"\bnot\s+take\s+effect\s+until\s*$", re.IGNORECASE)
_DISCRETION = re.compile(r"^[^.;]{0,40}?\b(may|could|would|might)\b", re.IGNORECASE)
_DAYS_AFTER = re.compile(r"\b(effective|on\s+or\s+after)\b[^.;]{0,120}?\b(\d{1,3}|seven|fourteen|"
                         r"twenty-one|thirty)\s+days\s+after\s+the\s+date\s+of\s+this\s+(?:order|"
                         r"proclamation)", re.IGNORECASE)
_RETROACTIVE = re.compile(r"\bretroactive(?:ly)?\b", re.IGNORECASE)
_NUMBER_WORDS = {"seven": 7, "fourteen": 14, "twenty-one": 21, "thirty": 30}


def effective_dates(sentence: str, start: date, back_days: int = 1) -> list[date]:
    """The effective dates a sentence states: a date after an effect cue ("effective ... on
    May 2, 2025", "on or after"), not after "until" / "no later than" / "Order of" (a
    postponement "will not take effect until March 4" counts), not followed by "may" (a
    discretionary date), no earlier than ``back_days`` before ``start`` (earlier dates are
    history); "7 days after the date of this order" is ``start`` + 7."""
    out: list[date] = []
    cues = [m.end() for m in EFFECTIVE.finditer(sentence)]
    for day, d_start, d_end in find_dates(sentence):
        before = sentence[max(0, d_start - 25):d_start]
        postponed = bool(_POSTPONED.search(sentence[max(0, d_start - 40):d_start]))
        near = [c for c in cues if 0 <= d_start - c <= 90]
        if not postponed:
            if not near or find_dates(sentence[near[-1]:d_start]) or _NOT_EFFECTIVE.search(before):
                continue
        if _DISCRETION.search(sentence[d_end:]):
            continue
        back = 400 if _RETROACTIVE.search(sentence) else back_days
        if -back <= (day - start).days <= 400 and day not in out:
            out.append(day)
    m = _DAYS_AFTER.search(sentence)
    if m:
        word = m.group(2).lower()
        n = int(word) if word.isdigit() else _NUMBER_WORDS.get(word, 0)
        if n:
            day = start + timedelta(days=n)
            if day not in out:
                out.append(day)
    return out
