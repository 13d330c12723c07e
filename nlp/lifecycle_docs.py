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

from nlp.dates import date_only_day, find_dates
from nlp.lifecycle_cues import (
    body_kinds,
    effective_dates,
    fr_kinds,
    initiated_on,
    issued_on,
    title_kind,
    witness_date,
)
from nlp.sentences import clean_markdown, split_sentences

_EASTERN = ZoneInfo("America/New_York")
_FR_NUMBER = re.compile(r"(?<![\d-])(20\d{2}-\d{5})(?![\d-])")

_PROCLAIM = re.compile(r"do\s+hereby\s+proclaim|\bA\s+PROCLAMATION\b", re.IGNORECASE)
_ORDER = re.compile(r"by\s+the\s+authority\s+vested\s+in\s+me\s+as\s+President|"
                    r"it\s+is\s+hereby\s+ordered|hereby\s+(?:determine\s+and\s+)?order\b|"
                    r"I\s+hereby\s+find\s+and\s+order", re.IGNORECASE)
_MEMO = re.compile(r"^\W*(?:[A-Z][a-z]+\s+\d{1,2},\s+\d{4}\s+)?MEMORANDUM\s+FOR\b", re.IGNORECASE)
_CEREMONIAL = re.compile(r"(,\s*20\d\d\s*$|\b(Day|Week|Month|Anniversary|Remembrance|Observance)\b)")
_SIGNED_AT = re.compile(r"THE\s+WHITE\s+HOUSE,?\s*\n?\s*([A-Z][a-z]+\s+\d{1,2},\s+\d{4})")

# an FR record with no abstract whose title has none of the agency cues: a presidential
# document reprinted in the Register (the White House page is the act)
_FR_AGENCY_TITLE = re.compile(
    r"(notice|rule|determination|investigation|review|results|order\b|request|meeting|"
    r"regulation|collection|submission|application|petition|amendment|list|program|"
    r"standards?|approval|exemption|hearing|decision|permit|information|designation|"
    r"schedul|correction|agreement|settlement|guidance|availability|policy|plan|"
    r"assessment|statement|report|proposed|final|interim|extension|withdrawal|shipments)",
    re.IGNORECASE)


@dataclass(frozen=True)
class DocInfo:
    """One document as lifecycle extraction sees it."""

    doc_id: str
    title: str
    kind: str  # eo | proclamation | memorandum | fact_sheet | fr | fr_presidential | statement |
    #            news | other
    published: date
    signed: date  # an act's signing date (else the publication date)
    sentences: tuple[str, ...]
    fr_number: str | None
    title_kind: str | None  # the act the document is by its type and title (None: it reports)
    body_kinds: tuple[tuple[str, str], ...]  # (kind, sentence) its operative sentences perform
    dated: tuple[tuple[str, date, str], ...]  # (kind, date, sentence) stated with their own date


def published_date(doc: object) -> date:
    """The source's own date of a document: a date-only record's date as given; a UTC instant
    from a US government source on the US Eastern clock (the date printed on the page)."""
    at: datetime | None = getattr(doc, "published_at", None) or getattr(doc, "first_seen_at", None)
    if at is None:
        return date.min
    if getattr(doc, "published_precision", None) == "date" or at.tzinfo is None:
        return date_only_day(at)  # 總統府's 2025-04-06 is 2025-04-05T16:00Z in the store
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
        if "presidential" in doc_type or (not text.strip() and not _FR_AGENCY_TITLE.search(title)):
            return "fr_presidential"
        return "fr"
    if "/fact-sheets/" in url or title.lower().startswith("fact sheet"):
        return "fact_sheet"
    if "whitehouse.gov" in url and _MEMO.search(head[:300]):
        return "memorandum"  # memoranda are posted under other sections too
    if "/presidential-actions/" in url:
        if _PROCLAIM.search(text):
            return "proclamation"
        if _ORDER.search(head):
            return "eo"
        return "other"
    if "whitehouse.gov" in url:
        return "statement"
    return "news"


ACTS = ("eo", "proclamation", "memorandum")


def classify(doc: object, doc_id: str) -> DocInfo:
    """A document's lifecycle view: type, dates, sentences, the acts it is or performs."""
    title = (getattr(doc, "title", "") or "").strip()
    text = getattr(doc, "text", "") or ""
    kind = _doc_kind(doc, title, text)
    sentences = doc_sentences(title, text)
    published = published_date(doc)
    signed = None
    if kind == "proclamation" and _CEREMONIAL.search(title):
        kind = "ceremonial"  # "World Autism Awareness Day, 2025": no measure
    if kind in ACTS:
        signed = signed_date(text) or witness_date(text)
        if signed is not None and abs((signed - published).days) > 3:
            signed = None
    title_act: str | None = None
    body: list[tuple[str, str]] = []
    dated: list[tuple[str, date, str]] = []
    if kind in ACTS:
        title_act = title_kind(title)
        body = body_kinds(sentences)
        dated.extend(("signed", day, s) for day, s in issued_on(sentences) if day < published)
    elif kind == "fact_sheet":
        title_act = "announced"
    elif kind == "fr":
        found = fr_kinds(title, " ".join(sentences[:4]))
        if found:
            title_act = found[0][0]
            body = found[1:]
        started = initiated_on(sentences)
        if started:
            dated.append(("announced", started[0], started[1]))
            if title_act == "announced":  # the initiation notice: the initiation is the event
                title_act, body = (body[0][0], body[1:]) if body else (None, [])
    return DocInfo(doc_id, title, kind, published, signed or published, sentences,
                   _fr_number(doc) if kind.startswith("fr") else None, title_act, tuple(body),
                   tuple(dated))


_EFFECT_KINDS = ("eo", "proclamation", "memorandum", "fact_sheet", "fr")


def effective_events(info: DocInfo) -> list[tuple[str, date, str]]:
    """(kind, date, sentence) of the effective dates a document states for its own measure
    (``lifecycle_cues.effective_dates``; a Federal Register notice may state a start up to a
    week before its publication; an order's dates before its signing are history)."""
    if info.kind not in _EFFECT_KINDS:
        return []
    out: list[tuple[str, date, str]] = []
    seen: set[date] = set()
    back = 7 if info.kind == "fr" else 0
    for s in info.sentences[:200]:
        if info.kind in ACTS and _RECITED.search(s):
            continue
        for day in effective_dates(s, info.signed, back):
            if day not in seen:
                seen.add(day)
                out.append(("effective", day, s))
    return out


# what another government announced, or an earlier act did: not this measure's effective date
_RECITED = re.compile(r"(State\s+Council|Tariff\s+Commission|announced\s+that|retaliat\w*)\b",
                      re.IGNORECASE)
