"""The primary official document of a story: which member to name and link, and how to
cite it."""

from __future__ import annotations

import re

from briefs.records import OfficialDoc, safe_url
from store.digests import MemberDoc

_OFFICIAL = re.compile(
    r"\b(Executive Order|Proclamation|Presidential Memorandum|National Security Presidential "
    r"Memorandum)\s+(?:No\.\s*)?(\d{4,5})\b"
)
_CITATION_TAIL = re.compile(
    r",?\s+of\s+(January|February|March|April|May|June|July|August|September|October|November|"
    r"December)\b"
)
_FR_NUMBER = re.compile(r"\d{4}-\d{5}")


def official_document(members: list[MemberDoc]) -> OfficialDoc | None:
    """The story's primary official document: a stored document number, else an EO/proclamation
    number in a title, else the newest presidential action among the members, else a number
    named in the text of another member (a news article or fact sheet reporting the act).

    A presidential action's own text never carries its number (the Federal Register assigns
    it), so a number there names an earlier act it cites ("In Proclamation 9888, I also
    directed ...") and is not used. The citation form "Proclamation 9888 of May 17, 2019" is
    skipped everywhere.
    """
    for m in members:
        if m.doc_number:
            return OfficialDoc(number_label(m.doc_number, m.doc_type), safe_url(m.url), m.doc_id)
    found = _named_act(members, "title")
    if found:
        return found
    actions = [m for m in members if _is_presidential_action(m)]
    if actions:
        newest = max(actions, key=lambda m: (m.in_window, m.published_at or m.first_seen_at))
        return OfficialDoc(newest.title, safe_url(newest.url), newest.doc_id)
    return _named_act(members, "text")


def number_label(number: str, doc_type: str | None) -> str:
    """How a stored document number is cited: "FR Doc. 2025-05639 (Notice)" for the Federal
    Register (its own citation form; public-inspection copies say so), else "<type> <number>"."""
    kind = (doc_type or "").strip()
    if not _FR_NUMBER.fullmatch(number):
        return f"{kind} {number}".strip()
    inspection = kind.startswith("public-inspection")
    if inspection:
        kind = kind.partition(":")[2]
    notes = [x for x in (kind, "public inspection" if inspection else "") if x]
    return f"FR Doc. {number}" + (f" ({', '.join(notes)})" if notes else "")


def _is_presidential_action(m: MemberDoc) -> bool:
    return "/presidential-actions/" in (m.url or "")


def _named_act(members: list[MemberDoc], field: str) -> OfficialDoc | None:
    """The first act number named (not in citation form) in a field of the members."""
    for m in members:
        text = getattr(m, field)[:5000]
        for found in _OFFICIAL.finditer(text):
            if not _CITATION_TAIL.match(text, found.end()):
                return OfficialDoc(f"{found.group(1)} {found.group(2)}", safe_url(m.url), m.doc_id)
    return None
