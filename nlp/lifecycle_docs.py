"""What one document is for a measure's lifecycle: its type (executive order, proclamation,
memorandum, fact sheet, Federal Register proposed rule / request for comments / final rule /
notice, news), its signing and publication dates, its sentences, and the effective dates it
states. Used by nlp.lifecycle.

The snapshot's Federal Register records have no type field, so the type comes from title and
abstract cues; a presidential action's type from its text ("it is hereby ordered", "do
hereby proclaim", "MEMORANDUM FOR").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from briefs.sentences import clean_markdown, split_sentences
from nlp.dates import find_dates

_EASTERN = ZoneInfo("America/New_York")
_FR_NUMBER = re.compile(r"(?<![\d-])(20\d{2}-\d{5})(?![\d-])")

_PROCLAIM = re.compile(r"do\s+hereby\s+proclaim|\bA\s+PROCLAMATION\b", re.IGNORECASE)
_ORDER = re.compile(r"by\s+the\s+authority\s+vested\s+in\s+me\s+as\s+President|"
                    r"it\s+is\s+hereby\s+ordered|hereby\s+(?:determine\s+and\s+)?order\b|"
                    r"I\s+hereby\s+find\s+and\s+order", re.IGNORECASE)
_MEMO = re.compile(r"\bMEMORANDUM\s+FOR\b")
_SIGNED_AT = re.compile(r"THE\s+WHITE\s+HOUSE,?\s*\n?\s*([A-Z][a-z]+\s+\d{1,2},\s+\d{4})")

# Federal Register document types from title / abstract cues
_FR_COMMENT = re.compile(
    r"\b(request(?:s|ing)?\s+for\s+(?:public\s+)?(?:comments?|information|input)|notice\s+of\s+"
    r"inquiry|invit(?:es|ing)\s+(?:public\s+)?comments?|solicit(?:s|ing)\s+(?:public\s+)?comments?|"
    r"seek(?:s|ing)\s+(?:public\s+)?comments?|notice\s+of\s+request\s+for\s+public\s+comments?|"
    r"public\s+comments?\s+(?:and|on)|request\s+for\s+public\s+comment)\b", re.IGNORECASE)
_FR_PROPOSED = re.compile(
    r"\b(proposed\s+rule|notice\s+of\s+proposed\s+rulemaking|propos(?:es|ing)\s+to\s+(?:amend|"
    r"revise|add|establish|adopt|remove|require|impose)|is\s+proposing|preliminary\s+(?:affirmative"
    r"\s+|negative\s+)?determination|preliminary\s+results)\b", re.IGNORECASE)
_FR_FINAL = re.compile(
    r"\b(final\s+rule|interim\s+final\s+rule|final\s+(?:affirmative\s+|negative\s+)?"
    r"determination|final\s+results|(?:antidumping|countervailing)\s+duty\s+orders?\b(?!\s+"
    r"administrative)|continuation\s+of\s+(?:the\s+)?(?:antidumping|countervailing)|additions?\s+"
    r"(?:of\s+entities\s+)?to\s+the\s+entity\s+list|amends?\s+the\s+export\s+administration\s+"
    r"regulations)\b", re.IGNORECASE)
_FR_ANNOUNCED = re.compile(r"\b(initiation\s+of|institution\s+of|notice\s+of\s+(?:request\s+for\s+"
                           r")?(?:investigation|initiation))\b", re.IGNORECASE)
_FR_REVOKED = re.compile(r"\b(revocation\s+of\s+(?:the\s+)?(?:antidumping|countervailing)|"
                         r"rescission\s+of\s+(?:the\s+)?(?:order|rule))\b", re.IGNORECASE)
_FR_IMPLEMENT = re.compile(r"\b(notice\s+of\s+implementation|implementation\s+of|implementing|"
                           r"to\s+effectuate)\b", re.IGNORECASE)
# an FR record with no abstract whose title has none of the agency cues: a presidential
# document reprinted in the Register (the White House page is the act)
_FR_AGENCY_TITLE = re.compile(
    r"(notice|rule|determination|investigation|review|results|order\b|request|meeting|"
    r"regulation|collection|submission|application|petition|amendment|list|program|"
    r"standards?|approval|exemption|hearing|decision|permit|information|designation|"
    r"schedul|correction|agreement|settlement|guidance|availability|policy|plan|"
    r"assessment|statement|report|proposed|final|interim|extension|withdrawal)", re.IGNORECASE)

_ACT_TITLE = (
    ("suspended", re.compile(r"^\s*(suspending|pausing|temporar(?:y|ily)\s+suspen)", re.IGNORECASE)),
    ("revoked", re.compile(r"^\s*(revoking|rescinding|rescission|terminating|revocation)", re.IGNORECASE)),
    ("rates_changed", re.compile(r"^\s*(further\s+)?modifying\b.*\b(rates?|duties|tariffs?)\b", re.IGNORECASE)),
    ("amended", re.compile(r"^\s*((further\s+)?amendments?\s+to|(further\s+)?amending|(further\s+)?"
                           r"modifying|adjusting\s+and\s+amending)\b", re.IGNORECASE)),
)

# effective dates: a cue, then (within the same clause) the date
_EFFECTIVE = re.compile(
    r"\b(effective|take[sn]?\s+effect|took\s+effect|go(?:es)?\s+into\s+effect|went\s+into\s+"
    r"effect|shall\s+(?:apply|be\s+effective)|on\s+or\s+after|beginning(?:\s+on)?|starting(?:\s+on)?|"
    r"enter(?:s|ed)?\s+into\s+force)\b", re.IGNORECASE)
_NOT_EFFECTIVE = re.compile(r"\b(until|through|no\s+later\s+than|not\s+later\s+than|within|"
                            r"before|prior\s+to|ending|expir\w*|by)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class DocInfo:
    """One document as lifecycle extraction sees it."""

    doc_id: str
    title: str
    kind: str  # eo | proclamation | memorandum | fact_sheet | fr_presidential | fr_proposed |
    #            fr_comment | fr_final | fr_notice | fr_other | statement | news | other
    published: date
    signed: date | None
    sentences: tuple[str, ...]
    fr_number: str | None
    act_kind: str | None  # the event the document itself is (None: it only reports)
    act_sentence: str


def published_date(doc: object) -> date:
    """The source's own date of a document: a date-only record's date as given; a UTC instant
    from a US government source on the US Eastern clock (the date printed on the page)."""
    at: datetime | None = getattr(doc, "published_at", None) or getattr(doc, "first_seen_at", None)
    if at is None:
        return date.min
    if getattr(doc, "published_precision", None) == "date" or at.tzinfo is None:
        return at.date()
    offset = at.utcoffset()
    if offset and offset.total_seconds() != 0:
        return at.date()  # the source's own offset is kept
    url = getattr(doc, "url", None) or ""
    if ".gov/" in url or url.endswith(".gov"):
        return at.astimezone(_EASTERN).date()
    return at.astimezone(UTC).date()


def doc_sentences(title: str, text: str, limit: int = 400) -> tuple[str, ...]:
    """The document's sentences (markdown cleaned, soft wraps joined), at most ``limit``."""
    out: list[str] = []
    for paragraph in clean_markdown(text or ""):
        for s in split_sentences(paragraph):
            if len(s) >= 12:
                out.append(s)
            if len(out) >= limit:
                return tuple(out)
    return tuple(out)


def signed_date(text: str) -> date | None:
    """The date under "THE WHITE HOUSE," at the end of an order or memorandum."""
    tail = text[-600:] if text else ""
    m = _SIGNED_AT.search(tail)
    if not m:
        return None
    found = find_dates(m.group(1))
    return found[0][0] if found else None


def _fr_number(doc: object) -> str | None:
    for value in (getattr(doc, "doc_number", None), getattr(doc, "url", None)):
        m = _FR_NUMBER.search(value or "")
        if m:
            return m.group(1)
    return None


def _is_fr(doc: object) -> bool:
    url = getattr(doc, "url", None) or ""
    return "federalregister.gov" in url or (getattr(doc, "doc_type", None) or "") in (
        "Rule", "Proposed Rule", "Notice", "Presidential Document")


def _doc_kind(doc: object, title: str, text: str) -> str:
    url = getattr(doc, "url", None) or ""
    head = text[:4000]
    if _is_fr(doc):
        doc_type = (getattr(doc, "doc_type", None) or "").lower()
        cue = title + " " + head[:1500]
        if "presidential" in doc_type or (not text.strip() and not _FR_AGENCY_TITLE.search(title)):
            return "fr_presidential"
        if _FR_REVOKED.search(title):
            return "fr_revoked"
        if "proposed" in doc_type or _FR_PROPOSED.search(title) or _FR_PROPOSED.search(head[:600]):
            return "fr_proposed"
        if _FR_COMMENT.search(title) or _FR_COMMENT.search(head[:400]):
            return "fr_comment"
        if doc_type == "rule" or _FR_FINAL.search(cue):
            return "fr_final"
        if _FR_ANNOUNCED.search(title):
            return "fr_announced"
        if _FR_IMPLEMENT.search(title):
            return "fr_notice"
        return "fr_other"
    if "/fact-sheets/" in url or title.lower().startswith("fact sheet"):
        return "fact_sheet"
    if "/presidential-actions/" in url:
        if _MEMO.search(head):
            return "memorandum"
        if _PROCLAIM.search(text):
            return "proclamation"
        if _ORDER.search(head):
            return "eo"
        return "other"
    if "whitehouse.gov" in url:
        return "statement"
    return "news"


def _act(kind: str, title: str, sentences: tuple[str, ...]) -> tuple[str | None, str]:
    """The event the document itself is, and the sentence (or title) that says so."""
    if kind in ("eo", "proclamation", "memorandum"):
        for act, pattern in _ACT_TITLE:
            if pattern.search(title):
                return act, title
        return "signed", title
    if kind == "fact_sheet":
        return "announced", title
    return {
        "fr_proposed": ("proposed", title),
        "fr_comment": ("comment_requested", title),
        "fr_final": ("final", title),
        "fr_announced": ("announced", title),
        "fr_revoked": ("revoked", title),
    }.get(kind, (None, title))


def classify(doc: object, doc_id: str) -> DocInfo:
    """A document's lifecycle view: type, dates, sentences, the event it is itself."""
    title = (getattr(doc, "title", "") or "").strip()
    text = getattr(doc, "text", "") or ""
    kind = _doc_kind(doc, title, text)
    sentences = doc_sentences(title, text)
    published = published_date(doc)
    signed = signed_date(text) if kind in ("eo", "memorandum") else None
    if signed is not None and abs((signed - published).days) > 3:
        signed = None
    act, sentence = _act(kind, title, sentences)
    return DocInfo(doc_id, title, kind, published, signed or (published if act else None),
                   sentences, _fr_number(doc) if kind.startswith("fr_") else None, act, sentence)


_EFFECT_KINDS = ("eo", "proclamation", "memorandum", "fact_sheet", "fr_final", "fr_notice",
                 "fr_other", "fr_revoked")


def effective_events(info: DocInfo) -> list[tuple[str, date, str]]:
    """(kind, date, sentence) of the effective dates a document states for its own measure:
    a date after an effect cue ("effective ... on May 2, 2025", "on or after"), not after
    "until"/"no later than", and not before the document's own date (an earlier date is
    history the document recalls)."""
    if info.kind not in _EFFECT_KINDS:
        return []
    out: list[tuple[str, date, str]] = []
    seen: set[date] = set()
    start = info.signed or info.published
    for s in info.sentences[:200]:
        cue_ends = [m.end() for m in _EFFECTIVE.finditer(s)]
        if not cue_ends:
            continue
        for day, d_start, _ in find_dates(s):
            before = [c for c in cue_ends if 0 <= d_start - c <= 90]
            if not before:
                continue
            gap = s[before[-1]:d_start]
            if find_dates(gap) or _NOT_EFFECTIVE.search(s[max(0, d_start - 25):d_start]):
                continue
            if not (0 <= (day - start).days <= 400) or day in seen:
                continue
            seen.add(day)
            out.append(("effective", day, s))
    return out
