"""Federal Register side of the loopback mirror: the ``documents.json`` search API.

Answers the query parameters and response shape of the real API
(https://www.federalregister.gov/developers/documentation/api/v1) from the snapshot,
which holds only document number, title, abstract and publication date. So ``type``
is null, ``agencies`` is empty, and agency filters are approximated from the text
(see :data:`AGENCY_HINTS`). Full-text search follows the documented syntax (words
AND-ed, ``|`` for OR, ``"phrases"``, ``-word`` / ``!word`` to exclude, ``( )`` and a
trailing ``*`` for prefixes); where the real engine stems English words, this one
only folds plurals.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from datetime import date
from html import escape
from urllib.parse import urlencode, urlsplit

API_BASE = "https://www.federalregister.gov/api/v1"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 1000
DEFAULT_FIELDS = (
    "title", "type", "abstract", "document_number", "html_url", "pdf_url",
    "public_inspection_pdf_url", "publication_date", "agencies", "excerpts",
)

# The snapshot has no agency field, so an agency filter is approximated by the agency's
# name or usual abbreviation appearing in the title or abstract: it misses documents that
# never name their agency and catches some that merely mention it. Slugs not listed here
# fall back to "every word of the slug appears in the text".
AGENCY_HINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # slug: (names, matched case-insensitively; abbreviations, matched case-sensitively)
    "industry-and-security-bureau": (("bureau of industry and security",), ("BIS",)),
    "trade-representative-office-of-united-states": (("trade representative",), ("USTR",)),
    "international-trade-administration": (("international trade administration",), ("ITA",)),
    "international-trade-commission": (("international trade commission",), ("USITC",)),
    "u-s-customs-and-border-protection": (("customs and border protection",), ("CBP",)),
    "commerce-department": (("department of commerce", "commerce department"), ()),
    "national-institute-of-standards-and-technology": (
        ("national institute of standards and technology",), ("NIST",)),
    "national-science-foundation": (("national science foundation",), ("NSF",)),
    "national-telecommunications-and-information-administration": (
        ("national telecommunications and information administration",), ("NTIA",)),
    "energy-department": (("department of energy", "energy department"), ("DOE",)),
    "treasury-department": (("department of the treasury", "treasury department"), ()),
    "foreign-assets-control-office": (("office of foreign assets control",), ("OFAC",)),
    "state-department": (("department of state", "state department"), ()),
    "defense-department": (("department of defense", "defense department"), ("DoD", "DOD")),
    "federal-communications-commission": (("federal communications commission",), ("FCC",)),
    "securities-and-exchange-commission": (("securities and exchange commission",), ("SEC",)),
    "federal-trade-commission": (("federal trade commission",), ("FTC",)),
    "environmental-protection-agency": (("environmental protection agency",), ("EPA",)),
    "food-and-drug-administration": (("food and drug administration",), ("FDA",)),
}
_SLUG_STOPWORDS = {"of", "and", "the", "for", "on", "u", "s"}

_WORD = re.compile(r"[a-z0-9]+")
_ES_PLURAL = re.compile(r"\b([a-z]+(?:x|z|ch|sh|ss))es\b")
_IES_PLURAL = re.compile(r"\b([a-z]{2,})ies\b")
_S_PLURAL = re.compile(r"\b([a-z]{2,}[a-rt-z])s\b")
_QUERY_TOKEN = re.compile(
    r'\s*(?:(?P<neg>[-!])(?=\S)|(?P<phrase>"[^"]*"?)|(?P<lp>\()|(?P<rp>\))|(?P<bar>\|)|(?P<word>[^\s()|"]+))'
)


def normalize(text: str) -> str:
    """Lower-case, keep word characters, fold plurals; padded with spaces for phrase tests.

    Documents and queries go through the same function, so "tariffs" finds "tariff",
    "duties" finds "duty" and "taxes" finds "tax".
    """
    s = " ".join(_WORD.findall(text.lower()))
    s = _IES_PLURAL.sub(r"\1y", s)
    s = _ES_PLURAL.sub(r"\1", s)
    s = _S_PLURAL.sub(r"\1", s)
    return f" {s} "


def parse_term(query: str) -> tuple | None:
    """Parse an FR full-text query into a small expression tree.

    Precedence follows the search engine behind the site: ``|`` binds tighter than the
    implicit AND, so ``a b | c`` means ``a AND (b OR c)``. Malformed input (an unclosed
    quote or parenthesis) is read leniently rather than rejected.

    Args:
        query: The ``conditions[term]`` value.

    Returns:
        A tree of ``("and", [...])``, ``("or", [...])``, ``("not", x)``,
        ``("phrase", " words ")`` and ``("prefix", " stem")`` nodes, or ``None`` when the
        query has no searchable words.
    """
    tokens = []
    for m in _QUERY_TOKEN.finditer(query):
        kind = m.lastgroup
        if kind:
            tokens.append((kind, m.group(kind)))
    pos = 0

    def atom() -> tuple | None:
        nonlocal pos
        kind, value = tokens[pos]
        pos += 1
        if kind == "neg":
            inner = atom() if pos < len(tokens) else None
            return ("not", inner) if inner else None
        if kind == "lp":
            inner = conjunction()
            if pos < len(tokens) and tokens[pos][0] == "rp":
                pos += 1
            return inner
        if kind == "word" and value.endswith("*") and value.strip("*"):
            return ("prefix", normalize(value.rstrip("*")).rstrip())
        words = normalize(value.strip('"')) if kind in ("word", "phrase") else " "
        return ("phrase", words) if words.strip() else None

    def disjunction() -> tuple | None:
        nonlocal pos
        parts = [atom()]
        while pos + 1 < len(tokens) and tokens[pos][0] == "bar":
            pos += 1
            parts.append(atom())
        parts = [p for p in parts if p]
        return None if not parts else parts[0] if len(parts) == 1 else ("or", parts)

    def conjunction() -> tuple | None:
        nonlocal pos
        parts = []
        while pos < len(tokens) and tokens[pos][0] != "rp":
            if tokens[pos][0] == "bar":  # a stray "|" joins nothing
                pos += 1
                continue
            parts.append(disjunction())
        parts = [p for p in parts if p]
        return None if not parts else parts[0] if len(parts) == 1 else ("and", parts)

    tree = None
    while pos < len(tokens):  # a stray ")" ends conjunction() early: skip it, go on
        part = conjunction()
        tree = part if tree is None else (("and", [tree, part]) if part else tree)
        pos += 1
    return tree


def matches(tree: tuple, text: str) -> bool:
    """Evaluate a parsed query against a document's :func:`normalize`-d text."""
    kind, arg = tree
    if kind in ("phrase", "prefix"):  # both are padded so that this is a word-boundary test
        return arg in text
    if kind == "not":
        return not matches(arg, text)
    if kind == "or":
        return any(matches(p, text) for p in arg)
    return all(matches(p, text) for p in arg)


def _agency_test(slug: str):
    """Predicate over (raw text, normalized text) approximating membership of an agency."""
    names, abbrevs = AGENCY_HINTS.get(slug, ((), ()))
    if not names and not abbrevs:
        words = [normalize(w) for w in slug.split("-") if w not in _SLUG_STOPWORDS]
        return lambda raw, norm: bool(words) and all(w in norm for w in words)
    names_n = [normalize(n) for n in names]
    abbrev_re = re.compile(r"\b(?:" + "|".join(map(re.escape, abbrevs)) + r")\b") if abbrevs else None
    return lambda raw, norm: any(n in norm for n in names_n) or bool(abbrev_re and abbrev_re.search(raw))


@dataclass(frozen=True)
class FrDoc:
    """One Federal Register snapshot document with its search text."""

    doc: dict
    day: str  # publication date, YYYY-MM-DD
    raw: str  # title + abstract
    norm: str  # normalize(raw)


class ApiError(ValueError):
    """A request parameter the API rejects (answered with HTTP 400)."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(f"{param}: {message}")
        self.param, self.message = param, message


def _valid_date(param: str, value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ApiError(param, "is not a valid date (YYYY-MM-DD)") from None


def _us_date(day: str) -> str:
    return f"{day[5:7]}/{day[8:10]}/{day[:4]}"


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(high, max(low, int(value))) if value not in (None, "") else default
    except ValueError:
        return default


class FederalRegisterSite:
    """In-memory index of the Federal Register snapshot answering API and page requests."""

    # what /api/v1/documents/<number>.json returns (the search-only "excerpts" left out)
    DETAIL_FIELDS = tuple(f for f in DEFAULT_FIELDS if f != "excerpts") + ("json_url",)

    def __init__(self, docs: list[dict]) -> None:
        """Index documents by publication date and number.

        Args:
            docs: Federal Register snapshot records (``document_number``, ``published``, ...).
        """
        items = []
        for d in docs:
            raw = f"{d['title']}\n{d.get('text') or ''}"
            items.append(FrDoc(d, d["published"][:10], raw, normalize(raw)))
        items.sort(key=lambda x: (x.day, x.doc["document_number"]))
        self._items = items
        self._days = [x.day for x in items]
        self._by_number = {x.doc["document_number"]: x for x in items}

    def document(self, number: str, as_of_day: str) -> FrDoc | None:
        """A document by number if it was published by ``as_of_day``."""
        item = self._by_number.get(number)
        return item if item and item.day <= as_of_day else None

    def search(self, params: list[tuple[str, str]], as_of_day: str) -> dict:
        """Answer ``GET /api/v1/documents.json``.

        Args:
            params: Decoded query parameters in request order (repeated keys allowed).
            as_of_day: Replay date in America/New_York; later documents do not exist yet.

        Returns:
            The response object (``count``, ``description``, ``total_pages``, ``results``
            and, unless on the last page, ``next_page_url``).

        Raises:
            ApiError: On an invalid date condition.
        """
        one = {k: v for k, v in params}
        agencies = [v for k, v in params if k in ("conditions[agencies][]", "conditions[agencies]") and v]
        fields = [v for k, v in params if k in ("fields[]", "fields") and v] or list(DEFAULT_FIELDS)
        lo, hi, desc = "", as_of_day, []
        term = one.get("conditions[term]", "").strip()
        if term:
            desc.append(f"matching '{term}'")
        if is_day := one.get("conditions[publication_date][is]"):
            day = _valid_date("conditions[publication_date][is]", is_day)
            lo, hi = day, min(hi, day)
            desc.append(f"published on {_us_date(day)}")
        if gte := one.get("conditions[publication_date][gte]"):
            lo = max(lo, _valid_date("conditions[publication_date][gte]", gte))
            desc.append(f"published on or after {_us_date(lo)}")
        if lte := one.get("conditions[publication_date][lte]"):
            day = _valid_date("conditions[publication_date][lte]", lte)
            hi = min(hi, day)
            desc.append(f"published on or before {_us_date(day)}")
        if agencies:
            desc.append("from " + ", ".join(agencies))

        start = bisect.bisect_left(self._days, lo) if lo else 0
        end = bisect.bisect_right(self._days, hi)
        found = self._items[start:end] if start < end else []
        tree = parse_term(term) if term else None
        if tree is not None:
            found = [x for x in found if matches(tree, x.norm)]
        if agencies:
            tests = [_agency_test(a) for a in agencies]
            found = [x for x in found if any(t(x.raw, x.norm) for t in tests)]
        # "relevance" (the real default when searching) has no ranking here: newest first.
        if one.get("order") != "oldest":
            found = found[::-1]

        per_page = _int(one.get("per_page"), DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
        page = _int(one.get("page"), 1, 1, 10**6)
        total_pages = math.ceil(len(found) / per_page)
        body: dict = {
            "count": len(found),
            "description": ("Documents " + " and ".join(desc)) if desc else "All Documents",
            "total_pages": total_pages,
        }
        if page < total_pages:
            body["next_page_url"] = self._page_url(params, page + 1)
        if 1 < page <= total_pages:
            body["previous_page_url"] = self._page_url(params, page - 1)
        chunk = found[(page - 1) * per_page: page * per_page]
        body["results"] = [self.result(x, fields) for x in chunk]
        return body

    @staticmethod
    def _page_url(params: list[tuple[str, str]], page: int) -> str:
        kept = [(k, v) for k, v in params if k != "page"] + [("page", str(page))]
        return f"{API_BASE}/documents.json?{urlencode(kept)}"

    @staticmethod
    def result(item: FrDoc, fields: list[str] | tuple[str, ...] = DEFAULT_FIELDS) -> dict:
        """One document as the API renders it, restricted to the requested ``fields``.

        Unknown field names are left out rather than rejected.
        """
        d = item.doc
        number = d["document_number"]
        full = {
            "title": d["title"],
            "type": None,  # not in the snapshot
            "abstract": d.get("text") or None,  # the API sends null when there is none
            "document_number": number,
            "html_url": d["url"],
            "pdf_url": f"https://www.govinfo.gov/content/pkg/FR-{item.day}/pdf/{number}.pdf",
            "public_inspection_pdf_url": None,
            "publication_date": item.day,
            "agencies": [],  # not in the snapshot
            "excerpts": None,
            "json_url": f"{API_BASE}/documents/{number}.json",
        }
        return {f: full[f] for f in fields if f in full}

    def page_html(self, path: str, as_of_day: str) -> str | None:
        """The document page ``/documents/YYYY/MM/DD/<number>/<slug>``, or ``None``.

        The slug is not checked, as long as date and number agree.
        """
        parts = [p for p in path.split("/") if p]
        if len(parts) < 5 or parts[0] != "documents":
            return None
        item = self.document(parts[4], as_of_day)
        if item is None or "/".join(parts[1:4]) != item.day.replace("-", "/"):
            return None
        d = item.doc
        url, title = escape(d["url"]), escape(d["title"])
        abstract = escape(d.get("text") or "") or "<em>No abstract.</em>"
        return (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>Federal Register :: {title}</title>"
            f'<link rel="canonical" href="{url}"><meta property="og:title" content="{title}">'
            f'<meta name="citation_publication_date" content="{item.day.replace("-", "/")}">'
            f'<meta name="citation_title" content="{title}"></head><body>'
            '<header class="site-header"><a href="https://www.federalregister.gov/">Federal Register</a>'
            '<nav><a href="https://www.federalregister.gov/documents/search">Search</a></nav></header>'
            f'<main><div class="doc-title"><h1>{title}</h1><p class="metadata">A Document by the '
            f"Federal Register, published {_us_date(item.day)}, document number {escape(d['document_number'])}"
            f'</p></div><div class="doc-content" id="fulltext_content_area"><h2>Summary</h2>'
            f'<div id="abstract"><p>{abstract}</p></div>'
            f'<p><a href="{escape(self.result(item)["pdf_url"])}">Printed version (PDF)</a></p></div></main>'
            '<footer class="site-footer"><p>The Office of the Federal Register publishes documents on '
            "behalf of Federal agencies.</p></footer></body></html>\n"
        )

    @staticmethod
    def number_from_api_path(path: str) -> str | None:
        """Document number from ``/api/v1/documents/<number>[.json]``, else ``None``."""
        prefix = urlsplit(API_BASE).path + "/documents/"
        if not path.startswith(prefix):
            return None
        rest = path[len(prefix):].removesuffix(".json")
        return rest if rest and "/" not in rest and rest != "documents" else None
