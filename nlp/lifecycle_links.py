"""Which measure a document's events belong to when no instrument number links it: a fact
sheet joins the order it announces, "Amendments to Adjusting Imports of Automobiles ..."
joins "Adjusting Imports of Automobiles ...", and the Federal Register notices of one case
(the same product and country, the same Section 301 investigation) join each other.
Used by nlp.lifecycle after each document has its own measure key."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from nlp.instruments import title_key
from nlp.lifecycle_docs import ACTS, DocInfo

_AMENDING = re.compile(r"^\s*(?:further\s+)?(?:amendments?\s+to|amending|modifying|"
                       r"(?:further\s+)?modifying)\s+(?:the\s+)?", re.IGNORECASE)
_FACT_SHEET = {"fact", "sheet", "president", "donald", "j", "trump"}
_GENERIC = {"united", "states", "imports", "duties", "address", "threat", "national",
            "security", "executive", "order", "president"}
_PRC = re.compile(r"\bthe\s+people'?s\s+republic\s+of\s+china\b|\bPRC\b", re.IGNORECASE)
_REQUEST_TAIL = re.compile(r"[,;]\s*request\s+for\s+(?:public\s+)?comments?\s*$", re.IGNORECASE)
_SECTION_301 = re.compile(r"section\s+301[^:]*?(?::|investigation\s+of)\s*(.+)$", re.IGNORECASE)


def _words(title: str) -> set[str]:
    return set(title_key(title).split())


def case_key(title: str) -> str | None:
    """The case a Federal Register title belongs to: the product and country before the
    colon of an AD/CVD notice ("Temporary Steel Fencing From China"), the subject of a
    Section 301 investigation; None for other titles."""
    t = _PRC.sub("China", title.replace("’", "'"))
    t = _REQUEST_TAIL.sub("", t)
    m = _SECTION_301.search(t)
    if m:
        return "301:" + title_key(m.group(1))
    head = re.split(r"[:;]", t, maxsplit=1)[0]
    if " From " in head and head != t:
        return "case:" + title_key(head)
    return None


_IMPORTS_OF = re.compile(r"\bimports\s+of\s+(.+?)(?:\s+into\s+the\s+united\s+states)?$", re.IGNORECASE)
_STEM = re.compile(r"(?:es|ing|s)$")


def _stems(words: set[str]) -> set[str]:
    return {_STEM.sub("", w) if len(w) > 4 else w for w in words}


def imports_of(title: str) -> set[str]:
    """The product of a Section 232 title: "Adjusting Imports of Copper into the United
    States" and "... Investigation of Imports of Copper" give {"copper"}."""
    m = _IMPORTS_OF.search(title.strip())
    return _words(m.group(1)) - _GENERIC if m else set()


def link_measures(infos: Sequence[DocInfo], measure_of: dict[str, str],
                  own: dict[str, str | None] | None = None) -> dict[str, str]:
    """Each document's measure after linking (``measure_of``: its own key, by document id;
    ``own``: the instrument each document is, if known).

    Only documents not yet joined to another measure are re-pointed: those keyed by a
    normalised title or FR number, and acts keyed by their own number.
    """
    out = dict(measure_of)
    own = own or {}
    acts = [i for i in infos if i.kind in ACTS]

    def unnumbered(key: str, info: DocInfo | None = None) -> bool:
        return (key.startswith("title:") or key.startswith("FR ")
                or (info is not None and key == own.get(info.doc_id)))

    # orders first (a fact sheet then joins the order's final measure), then fact sheets
    for info in sorted(infos, key=lambda i: (i.kind == "fact_sheet", i.signed)):
        key = out[info.doc_id]
        if not unnumbered(key, info):
            continue
        target = None
        product = imports_of(info.title)
        if info.kind == "fact_sheet":
            # its title and first sentences ("Today, President Donald J. Trump signed an
            # Executive Order imposing a reciprocal tariff ...") name what it announces
            head = " ".join([info.title, *info.sentences[:2]])
            words = _stems(_words(head) - _FACT_SHEET - _GENERIC)
            near = [a for a in acts if timedelta(0) <= info.published - a.signed <= timedelta(days=1)]
            scored = [(len(_stems(_words(a.title) - _GENERIC) & words), a) for a in near]
            need = 1 if len(near) == 1 else 2
            scored = [x for x in scored if x[0] >= need]
            if scored:
                target = max(scored, key=lambda x: (x[0], x[1].signed))[1]
        elif info.kind in ACTS and _AMENDING.search(info.title):
            rest = _stems(_words(_AMENDING.sub("", info.title))) - _GENERIC
            earlier = [a for a in acts if a.signed < info.signed and rest
                       and len(rest & _stems(_words(a.title))) >= 0.6 * len(rest)]
            if earlier:
                target = min(earlier, key=lambda a: a.signed)
        if target is None and product and info.kind in (*ACTS, "fr"):
            # Section 232: the proclamation on a product joins the order that opened the
            # investigation (and its request for comments)
            earlier = [a for a in acts if a.signed < info.signed and (p := imports_of(a.title))
                       and (p <= product or product <= p)]
            if earlier:
                target = min(earlier, key=lambda a: a.signed)
        if target is not None and target.doc_id != info.doc_id:
            out[info.doc_id] = out[target.doc_id]
    cases: dict[str, str] = {}
    for info in sorted(infos, key=lambda i: i.published):
        if info.kind != "fr" or not unnumbered(out[info.doc_id]):
            continue
        case = case_key(info.title)
        if case:
            out[info.doc_id] = cases.setdefault(case, out[info.doc_id])
    return out
