"""Legal instruments named in a document: executive orders, proclamations, Federal Register
document numbers and citations, CBP CSMS messages, HTS headings, and what a document does
to an earlier instrument ("amends / supersedes / suspends / revokes EO N").

Everything here is plain regular expressions over the text as crawled (markdown emphasis
and line wrapping tolerated), so the same reference always gets the same canonical label:
``EO 14195``, ``Proclamation 10896``, ``FR 2025-05678``, ``90 FR 9113``,
``CBP CSMS 64649265``, ``HTS 9903.01.24``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from nlp.dates import find_dates

_SP = r"[\s*_]+"  # words may be wrapped or wrapped in markdown emphasis
_EO = re.compile(
    r"\b(?:Executive" + _SP + r"Orders?|E\.\s?O\.|EOs?)" + r"[\s*_]*(?:No(?:s)?\.\s*|Numbers?\s+)?"
    r"((?:1[0-4]\d{3})(?:\s*(?:,\s*(?:and\s+)?|and\s+|or\s+)1[0-4]\d{3})*)\b"
)
_PROCLAMATION = re.compile(
    r"\bProclamations?" + r"[\s*_]*(?:No(?:s)?\.\s*)?"
    r"((?:\d{4,5})(?:\s*(?:,\s*(?:and\s+)?|and\s+|or\s+)\d{4,5})*)\b"
)
_NUMBER = re.compile(r"\d{4,5}")
_FR_DOC = re.compile(r"(?<![\d-])(20[0-3]\d-\d{5})(?![\d-])")
_FR_DOC_CUE = re.compile(r"(FR\s+Doc\.?|document\s+(?:number|no\.?)|federalregister\.gov/"
                         r"(?:documents|d|public-inspection)/)[^\n]{0,40}$", re.IGNORECASE)
_FR_CITE = re.compile(r"\b(\d{2,3})\s+FR\s+(\d{3,6})\b")
_CSMS = re.compile(r"\bCSMS\s*(?:#|No\.?|Number|Message)?\s*#?\s*(\d{8})\b", re.IGNORECASE)
_HTS = re.compile(
    r"\b(?:HTSUS|HTS|heading|headings|subheading|subheadings)\s+(?:No\.\s*)?"
    r"(\d{4}\.\d{2}(?:\.\d{2}(?:\.\d{2})?)?)\b"
)
_CHAPTER99 = re.compile(r"\b(99\d{2}\.\d{2}\.\d{2})\b")
# "Executive Order 14195 of February 1, 2025 (Imposing Duties ...)" - the cited title
_CITED_TAIL = re.compile(
    r"[\s*_]*(?:,\s*)?(?:of\s+((?:January|February|March|April|May|June|July|August|September|"
    r"October|November|December)\s+\d{1,2},?\s+\d{4}))?,?\s*(?:\(([^()]{8,300})\))?"
)
# "the Executive Order of February 1, 2025 (Imposing Duties ...)": an order cited by date
# and title (how an order signed days ago is cited before it has its number)
_BY_TITLE = re.compile(
    r"\b(Executive" + _SP + r"Order|Proclamation)" + _SP + r"of" + _SP +
    r"((?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\s+\d{1,2},?\s+\d{4}),?\s*\(([^()]{8,300})\)"
)

# "the Executive Order of February 1, 2025, are amended": cited by its date alone
_BY_DATE = re.compile(
    r"\b(Executive" + _SP + r"Order|Proclamation)" + _SP + r"of" + _SP +
    r"((?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\s+\d{1,2},?\s+\d{4})(?!,?\s*\()"
)

_MONTH_DAY_ORDER = re.compile(
    r"\bthe\s+(January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\s+(\d{1,2})(?:,\s+(\d{4}))?\s+Order\b")

RELATION_VERBS = ("amends", "supersedes", "suspends", "revokes", "modifies", "adjusts", "implements")
_RELATION = (
    ("revokes", re.compile(r"\b(hereby\s+revoke[sd]?|is\s+(?:hereby\s+)?revoked|are\s+(?:hereby\s+)?"
                           r"revoked|rescind(?:s|ed)?|is\s+(?:hereby\s+)?rescinded|terminat(?:e|es|ed)"
                           r"\s+(?:the\s+)?(?:tariffs?|duties|action)s?\s+(?:imposed\s+)?(?:by|in|under))",
                           re.IGNORECASE)),
    ("supersedes", re.compile(r"\b(supersede[sd]?|is\s+(?:hereby\s+)?superseded|in\s+lieu\s+of)\b",
                              re.IGNORECASE)),
    ("suspends", re.compile(r"\b(hereby\s+suspend(?:s|ed)?|is\s+(?:hereby\s+)?suspended|are\s+"
                            r"(?:hereby\s+)?suspended|(?:shall|will)\s+be\s+suspended|paus(?:e|es|ed|ing)|"
                            r"(?:further\s+)?extended\s+until|extend\s+the\s+suspension)\b",
                            re.IGNORECASE)),
    ("amends", re.compile(r"\b(hereby\s+amend(?:s|ed)?|is\s+(?:hereby\s+)?(?:further\s+)?amended|are\s+"
                          r"(?:hereby\s+)?(?:further\s+)?amended|shall\s+replace|amendments?\s+to|"
                          r"(?:is|are)\s+(?:hereby\s+)?(?:modified|replaced))\b", re.IGNORECASE)),
    ("modifies", re.compile(r"\b(hereby\s+modif(?:y|ies|ied)|modif(?:y|ying)\s+(?:the\s+)?(?:rates?|"
                            r"scope|duties|tariffs?))\b", re.IGNORECASE)),
    # links the order to the measure it adjusts, but says nothing about what kind of act it is
    ("adjusts", re.compile(r"\badjust\s+the\s+(?:tariffs?|duties|rates?)\s+imposed\b", re.IGNORECASE)),
    ("implements", re.compile(r"\b(implement(?:s|ing|ation\s+of)|to\s+effectuate|pursuant\s+to)\b",
                              re.IGNORECASE)),
)
# "In Executive Order 14226 ..., I paused ...": the President recounting an earlier act
_RECOUNTED = re.compile(r"\bI\s+(?:paused|suspended|raised|imposed|declared|amended|modified|"
                        r"increased|reduced|revoked|terminated)\b")
_HYPOTHETICAL = re.compile(r"\b(whether|recommend\w*|review|consider\w*|should|could|would|may)\b",
                           re.IGNORECASE)
# "as amended by EO N" names an earlier amendment, not what this document does
_AS_AMENDED = re.compile(r"\bas\s+(?:further\s+)?(?:amended|modified|superseded|extended)\s+by\b",
                         re.IGNORECASE)


@dataclass(frozen=True)
class InstrumentRef:
    """One instrument named in a text.

    Attributes:
        kind: "EO" | "Proclamation" | "FR" (document number) | "FR cite" | "CBP CSMS" | "HTS".
        number: the number as written ("14195", "2025-05678", "90 FR 9113", "9903.01.24").
        label: the canonical label ("EO 14195", "FR 2025-05678", ...).
        start: offset of the reference in the searched text.
        end: end offset (after the cited date and title, when there are).
        title: the title cited with it, "(Imposing Duties ...)", if any.
        signed: the date cited with it ("of February 1, 2025"), if any.
    """

    kind: str
    number: str
    label: str
    start: int
    end: int
    title: str | None = None
    signed: date | None = None


@dataclass(frozen=True)
class TitleCitation:
    """An order cited by date and title only ("the Executive Order of February 1, 2025
    (Imposing Duties ...)")."""

    kind: str  # "EO" | "Proclamation"
    signed: date
    title: str
    start: int
    end: int


@dataclass(frozen=True)
class Relation:
    """What a sentence of a document does to an earlier instrument."""

    verb: str  # one of RELATION_VERBS
    target: str  # canonical label of the instrument acted on, e.g. "EO 14195"
    sentence: str


def label(kind: str, number: str) -> str:
    """Canonical label of an instrument ("EO" + "14195" -> "EO 14195")."""
    if kind == "FR cite":
        return number
    return f"{kind} {number}"


def _date_of(text: str | None) -> date | None:
    if not text:
        return None
    found = find_dates(text)
    return found[0][0] if found else None


def _numbered(pattern: re.Pattern, kind: str, text: str) -> Iterable[InstrumentRef]:
    for m in pattern.finditer(text):
        numbers = _NUMBER.findall(m.group(1))
        tail = _CITED_TAIL.match(text, m.end())
        title = tail.group(2).strip() if tail and tail.group(2) and len(numbers) == 1 else None
        signed = _date_of(tail.group(1)) if tail and len(numbers) == 1 else None
        if title and not title[:1].isupper():
            title = None  # "(as amended)", "(a)": not a title
        end = tail.end() if tail and (title or signed) else m.end()
        for n in numbers:
            yield InstrumentRef(kind, n, label(kind, n), m.start(), end, title, signed)


def find_instruments(text: str) -> list[InstrumentRef]:
    """Every instrument reference in a text, in order of appearance.

    FR document numbers (``2025-05678``) count only next to a cue ("FR Doc.", "document
    number", a federalregister.gov URL): a bare ``2025-12345`` is too often something else.
    """
    out: list[InstrumentRef] = []
    out.extend(_numbered(_EO, "EO", text))
    out.extend(_numbered(_PROCLAMATION, "Proclamation", text))
    for m in _FR_DOC.finditer(text):
        if _FR_DOC_CUE.search(text[max(0, m.start() - 60):m.start()]):
            out.append(InstrumentRef("FR", m.group(1), label("FR", m.group(1)), m.start(), m.end()))
    for m in _FR_CITE.finditer(text):
        cite = f"{m.group(1)} FR {m.group(2)}"
        out.append(InstrumentRef("FR cite", cite, cite, m.start(), m.end()))
    for m in _CSMS.finditer(text):
        out.append(InstrumentRef("CBP CSMS", m.group(1), label("CBP CSMS", m.group(1)),
                                 m.start(), m.end()))
    seen_hts: set[str] = set()
    for pattern in (_HTS, _CHAPTER99):
        for m in pattern.finditer(text):
            if m.group(1) in seen_hts:
                continue
            seen_hts.add(m.group(1))
            out.append(InstrumentRef("HTS", m.group(1), label("HTS", m.group(1)), m.start(), m.end()))
    return sorted(out, key=lambda r: (r.start, r.label))


# Cheap test before the regular expressions (most documents name no order at all); valid in
# RE2 too, so the store can apply it before sending a text over.
ORDER_CUE = re.compile(r"Executive[\s*_]+Orders?|Proclamations?|E\.\s?O\.|\bEOs?\b")
NAMED_ORDER_CHARS = 20000  # how far into a document story links look for orders


def orders_named(text: str) -> frozenset[str]:
    """The executive orders and proclamations a text names ("EO 14230", "Proclamation
    10896"); story clustering passes a title and the first ``NAMED_ORDER_CHARS`` of a text."""
    if not ORDER_CUE.search(text):
        return frozenset()
    # find_instruments' EO and proclamation patterns without the cited dates and titles
    # (what costs there, and what a story link does not need)
    return frozenset(label(kind, n) for pattern, kind in ((_EO, "EO"), (_PROCLAMATION, "Proclamation"))
                     for m in pattern.finditer(text) for n in _NUMBER.findall(m.group(1)))


def title_citations(text: str, year: int | None = None) -> list[TitleCitation]:
    """Orders and proclamations cited by their date and title, without a number (the title
    is "" for one cited by its date alone: "the Executive Order of February 1, 2025", or
    "the January 3 Order" - in ``year``, when given)."""
    out = []
    if year:
        for m in _MONTH_DAY_ORDER.finditer(text):
            signed = _date_of(f"{m.group(1)} {m.group(2)}, {m.group(3) or year}")
            if signed is not None:
                out.append(TitleCitation("EO", signed, "", m.start(), m.end()))
    for m in _BY_DATE.finditer(text):
        signed = _date_of(m.group(2))
        if signed is not None:
            kind = "EO" if m.group(1).lower().startswith("executive") else "Proclamation"
            out.append(TitleCitation(kind, signed, "", m.start(), m.end()))
    for m in _BY_TITLE.finditer(text):
        signed = _date_of(m.group(2))
        if signed is None or not m.group(3)[:1].isupper():
            continue
        kind = "EO" if m.group(1).lower().startswith("executive") else "Proclamation"
        out.append(TitleCitation(kind, signed, m.group(3).strip(), m.start(), m.end()))
    return out


def title_key(title: str) -> str:
    """A title reduced to comparable words: "Imposing Duties To Address the Flow of Illicit
    Drugs Across Our Northern Border" and its lower-case, curly-quoted or run-together copies
    give the same key."""
    s = title.lower().replace("’", "'").replace("‘", "'")
    s = re.sub(r"[^a-z0-9' ]+", " ", s)
    words = [w.strip("'") for w in s.split()]
    stop = {"the", "a", "an", "of", "to", "and", "for", "in", "on", "with", "by", "our", "its",
            "as", "from", "into", "that", "at"}
    return " ".join(w for w in words if w and w not in stop)


def relations(sentence: str) -> list[Relation]:
    """What a sentence does to the EOs and proclamations it names (amends, suspends, ...).

    The instrument acted on is the one named closest after the verb (or before a passive
    "is hereby amended"); instruments named after "as amended by" are history, not targets.
    """
    refs = [r for r in find_instruments(sentence) if r.kind in ("EO", "Proclamation")]
    if not refs or _RECOUNTED.search(sentence):
        return []
    history = [m.end() for m in _AS_AMENDED.finditer(sentence)]

    def is_history(r: InstrumentRef) -> bool:
        return any(0 <= r.start - h <= 25 for h in history)

    targets = [r for r in refs if not is_history(r)]
    if not targets:
        return []
    out: list[Relation] = []
    for verb, pattern in _RELATION:
        for m in pattern.finditer(sentence):
            if _HYPOTHETICAL.search(sentence[:m.start()]):
                continue  # "shall review whether EO 14105 should be ... rescinded": not an act
            after = [r for r in targets if r.start >= m.end()]
            before = [r for r in targets if r.end <= m.start()]
            if m.group(0).lower().startswith("amendment"):
                # "Amendments to Executive Order 14195" - not "amendments to those tariffs: (a) ..."
                before = []
                after = [r for r in after if r.start - m.end() < 6]
            target = after[0] if after and after[0].start - m.end() < 120 else (
                before[-1] if before and m.start() - before[-1].end < 120 else None)
            if target is None:
                continue
            rel = Relation(verb, target.label, sentence)
            if rel not in out:
                out.append(rel)
        if out and verb != "implements":
            break  # the strongest verb of the sentence decides
    return out
