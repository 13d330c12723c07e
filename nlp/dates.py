"""Dates in source sentences: what a date is for (effective, deadline, comments) and how
certain the measure is (announced / proposed / signed / in force)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

MONTHS = {m: i for i, m in enumerate(
    ("january february march april may june july august september october november december")
    .split(), 1)}
_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
         "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_MONTH_RE = r"(January|February|March|April|May|June|July|August|September|October|November|" \
            r"December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_DATE_PATTERNS = (
    re.compile(_MONTH_RE + r"\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b"),  # May 2, 2025
    re.compile(r"\b(\d{1,2})\s+" + _MONTH_RE + r",?\s+(\d{4})\b"),  # 2 May 2025
    re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"),  # 2025-05-02
    re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日"),  # 2025年5月2日
)
# "August 29" without a year: read against the source's own date
_NO_YEAR = re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|"
                      r"November|December)\s+(\d{1,2})(?:st|nd|rd|th)?\b(?!,?\s*\d)")
_EFFECTIVE_CUE = re.compile(
    r"(effective|take[sn]? effect|took effect|go(?:es)? into effect|went into effect|"
    r"enter(?:s|ed)? into force|in force|on or after|beginning|starting|as of|"
    r"no longer (?:be )?available|shall apply|will apply|apply with respect|entered for consumption)",
    re.IGNORECASE,
)
_COMMENT_CUE = re.compile(
    r"(comments?\b[^.]{0,80}?\b(?:due|received|submitted|accepted)|comment period|"
    r"written comments|request(?:s|ing)? (?:for )?(?:public )?comments?)",
    re.IGNORECASE,
)
_DEADLINE_CUE = re.compile(
    r"(no later than|not later than|on or before|deadline|due (?:on|by)|by no later|until|"
    r"expires?|submit)", re.IGNORECASE,
)
# A time-limited exemption ("exempt from compliance with the Rule for a period of 2 years ...
# i.e., for the period beginning July 8, 2027", "exempt ... until July 8, 2027"): the period's
# bounds say when the exemption runs, not when the act takes effect or what is due. An
# exemption with its own effective date ("exempt from the duties, effective April 5") keeps it.
_EXEMPT = re.compile(r"\bexempt(?:s|ed)?\b", re.IGNORECASE)
_PERIOD = re.compile(r"\b(?:for|during)\s+(?:a|the)\s+(?:\S+\s+)?period\b|\bperiod\s+of\b|"
                     r"\buntil\b|\bconcluding\b", re.IGNORECASE)
_EXEMPT_REACH = 240  # how far before a date an exemption's period is read
_RELATIVE = re.compile(r"\bwithin (\d{1,3}|thirty|sixty|ninety|one hundred (?:and )?(?:twenty|eighty)) "
                       r"days\b", re.IGNORECASE)
_REPORT_CUE = re.compile(r"\b(report|recommendations?|review|assess(?:ment)?)\b", re.IGNORECASE)
_PROPOSED = re.compile(
    r"\b(propos(?:e|es|ed|ing|al)|proposed rule|notice of proposed rulemaking|draft|"
    r"would (?:impose|require|establish|apply)|consider(?:s|ing)?|seek(?:s|ing)? comment|"
    r"request for (?:comments|information))\b", re.IGNORECASE,
)
_SIGNED = re.compile(
    r"\b(signed|hereby (?:ordered|proclaim|order|determine)|it is hereby ordered|"
    r"executive order|proclamation|shall|issued|final rule|ordered|imposed|suspended|"
    r"implement(?:s|ed|ation))\b", re.IGNORECASE,
)
_IN_FORCE = re.compile(r"\b(took effect|went into effect|is (?:now )?in effect|entered into force|"
                       r"effective immediately|are now in effect|remain(?:s)? in effect)\b",
                       re.IGNORECASE)



def date_only_day(at: datetime) -> date:
    """The day of a date-only value stored as an instant: 00:00 in the publisher's zone as UTC
    (16:00Z the day before for Taipei, 05:00Z for Washington); noon after it is on that day in
    UTC for every zone within 12 hours of UTC. A naive value is its own day."""
    if at.tzinfo is None:
        return at.date()
    return (at.astimezone(UTC) + timedelta(hours=12)).date()

@dataclass(frozen=True)
class DateMention:
    """A date found in a sentence and what it is for."""

    day: date
    role: str  # effective | comments | deadline | mention
    start: int
    end: int
    # the words that gave a deadline its role, lower case: "until" / "expires" end a period
    # (an enforcement delay "extended until June 19"), "no later than" / "submit" set a due date
    cue: str = ""


def _month(name: str) -> int | None:
    key = name.lower().rstrip(".")
    return MONTHS.get(key) or _ABBR.get(key)


def find_dates(text: str, ref: date | None = None) -> list[tuple[date, int, int]]:
    """Every calendar date written in the text, as (date, start, end), in order.

    Args:
        text: any text.
        ref: the source's own date; with it, "August 29" (no year) is read as the date
            nearest to it (within half a year).
    """
    found: list[tuple[date, int, int]] = []
    for i, pattern in enumerate(_DATE_PATTERNS):
        for m in pattern.finditer(text):
            g = m.groups()
            try:
                if i == 0:
                    d = date(int(g[2]), _month(g[0]) or 0, int(g[1]))
                elif i == 1:
                    d = date(int(g[2]), _month(g[1]) or 0, int(g[0]))
                else:
                    d = date(int(g[0]), int(g[1]), int(g[2]))
            except ValueError:
                continue
            if not any(s <= m.start() < e for _, s, e in found):
                found.append((d, m.start(), m.end()))
    if ref is not None:
        for m in _NO_YEAR.finditer(text):
            if any(s <= m.start() < e for _, s, e in found):
                continue
            options = []
            for year in (ref.year - 1, ref.year, ref.year + 1):
                try:
                    options.append(date(year, _month(m.group(1)) or 0, int(m.group(2))))
                except ValueError:
                    continue
            if options:
                d = min(options, key=lambda x: abs((x - ref).days))
                if abs((d - ref).days) <= 183:
                    found.append((d, m.start(), m.end()))
    return sorted(found, key=lambda x: x[1])


def date_mentions(sentence: str, ref: date | None = None) -> list[DateMention]:
    """Dates of a sentence with their role, from the cue words just before each date
    (`ref`: the source's date, for dates written without a year)."""
    out = []
    prev_end = 0
    for d, start, end in find_dates(sentence, ref):
        window = sentence[max(prev_end, start - 120):start]
        lead_in = sentence[max(prev_end, start - _EXEMPT_REACH):start]
        prev_end = end
        if _COMMENT_CUE.search(window) or _COMMENT_CUE.search(sentence[end:end + 60]):
            role = "comments"
        elif _bounds_an_exemption(lead_in):
            role = "mention"
        elif _EFFECTIVE_CUE.search(window):
            role = "effective"
        elif _DEADLINE_CUE.search(window):
            role = "deadline"
        else:
            role = "mention"
        cue = ""
        if role == "deadline":
            cue = " ".join(list(_DEADLINE_CUE.finditer(window))[-1].group(0).lower().split())
        out.append(DateMention(d, role, start, end, cue))
    return out


def _bounds_an_exemption(lead_in: str) -> bool:
    """Whether the words before a date put it at a bound of an exemption's period: an
    exemption cue, then a period cue after it ("exempt from ... for a period of 2 years ...
    for the period beginning", "exempt from ... until")."""
    m = _EXEMPT.search(lead_in)
    return bool(m) and bool(_PERIOD.search(lead_in, m.end()))


def ends_a_period(mention: DateMention) -> bool:
    """Whether a deadline date is the end of a period ("extended until June 19, 2025", "expires
    on"), not a date by which something is due ("no later than", "submit ... by")."""
    return mention.role == "deadline" and mention.cue in ("until", "expire", "expires")


def effective_dates(sentence: str, ref: date | None = None) -> list[date]:
    """Dates the sentence gives as when a measure applies."""
    return [m.day for m in date_mentions(sentence, ref) if m.role == "effective"]


def relative_deadline(sentence: str) -> str | None:
    """The "within N days" phrase of a sentence (a deadline relative to the act), if any."""
    m = _RELATIVE.search(sentence)
    return m.group(0) if m else None


def is_report_duty(sentence: str) -> bool:
    """Whether a sentence orders a report or review (something to watch for)."""
    return bool(_REPORT_CUE.search(sentence)) and bool(re.search(r"\b(shall|will|must)\b", sentence))


def certainty(sentence: str, doc_kind: str, effective: date | None, as_of: date) -> str:
    """Certainty of what a sentence states, from its wording and the kind of source.

    Args:
        sentence: the source sentence.
        doc_kind: the source's kind (order, register, fact-sheet, statement, article, other).
        effective: the effective date the source gives, if any.
        as_of: the draft's reference date; a signed measure whose effective date has
            passed is in force.

    Returns:
        One of ``records.CERTAINTY``.
    """
    if _IN_FORCE.search(sentence):
        return "in force"
    if _PROPOSED.search(sentence) and doc_kind != "order":
        return "proposed"
    signed = doc_kind in ("order", "register") or bool(re.search(r"\bsigned\b", sentence, re.I))
    if not signed and doc_kind in ("fact-sheet", "statement") and _SIGNED.search(sentence):
        signed = bool(re.search(r"\b(signed|executive order|proclamation|ordered)\b", sentence, re.I))
    if signed:
        if effective is not None and effective <= as_of:
            return "in force"
        return "signed"
    return "announced"
