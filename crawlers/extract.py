"""Extraction: HTML bytes -> title, text, published date (UTC + source offset), language."""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from charset_normalizer.utils import is_multi_byte_encoding
from dateutil import parser as dateparser
from htmldate import find_date
from trafilatura.utils import load_html

from config.errors import BadInputError
from crawlers.native_dates import native_date, page_date_text

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_\-]+)""", re.I)
_DATE_META = (
    "article:published_time", "og:published_time", "datePublished", "pubdate",
    "publishdate", "dc.date", "dcterms.date", "date",
)
_SITE_SUFFIX = re.compile(r"\s+(?:[|–—]|&#8211;|-)\s+(?=[^|–—]*$)")
_CATCH_ALL = {"cp1252", "latin-1", "latin1", "iso-8859-1", "ascii"}
_CODEC_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "big5": "big5hkscs",
                  "shift_jis": "cp932", "sjis": "cp932", "euc-kr": "cp949", "iso-8859-1": "cp1252"}
# Python's canonical names that browsers read as windows-1252 (WHATWG Encoding standard):
# pages labelled latin-1 or ascii are nearly always cp1252 (smart quotes in 0x80-0x9F).
_AS_CP1252 = {"iso8859-1", "latin-1", "ascii"}
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))
# cp1252 is taken over detection's single-byte guess unless it reads this much messier
# (charset_normalizer's mess ratio): detection cannot tell French in cp1252 from cp1250.
_CP1252_SLACK = 0.02
# Dates outside this range are placeholders or typos (0000-00-00, 9999-12-31), not releases.
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)
_MAX_OFFSET = timedelta(hours=18)  # ISO 8601 offsets in use stay within +-14:00
# What lxml, trafilatura and htmldate raise on bytes they cannot make sense of.
_PARSER_ERRORS = (ValueError, OverflowError, UnicodeError, RecursionError,
                  lxml.etree.LxmlError)


@dataclass(frozen=True)
class Extracted:
    """What extraction produced from one page."""

    title: str
    text: str
    published_at: datetime | None
    published_offset: str | None
    published_precision: str
    language: str | None
    extractor: str

    def as_json(self, url: str) -> dict:
        """The evaluation shape: url, title, text, published_at (ISO with offset), language."""
        published = None
        if self.published_at is not None:
            published = self.published_at.astimezone(_offset_tz(self.published_offset)).isoformat()
        return {"url": url, "title": self.title, "text": self.text,
                "published_at": published, "language": self.language}


def _offset_tz(offset: str | None) -> timezone:
    """A fixed-offset zone from '+HH:MM' (UTC when unknown)."""
    if not offset:
        return UTC
    sign = -1 if offset.startswith("-") else 1
    hh, mm = offset.lstrip("+-").split(":")
    return timezone(sign * timedelta(hours=int(hh), minutes=int(mm)))


def _codec(name: str) -> str | None:
    """The Python codec for a declared charset, or None when it names no usable text codec.

    Python knows labels that are no text codec ("undefined" raises UnicodeError, "rot13" and
    "base64" a LookupError): a page declaring one is decoded as if it declared nothing.
    """
    name = name.strip().strip("\"'").lower()
    name = _CODEC_ALIASES.get(name, name)
    try:
        canonical = codecs.lookup(name).name
        "".encode(canonical)
        b"".decode(canonical)
    except (LookupError, UnicodeError, ValueError):
        return None
    return "cp1252" if canonical in _AS_CP1252 else canonical


def _strict(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except (UnicodeError, LookupError):
        return None


def decode_html(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes; returns (text, encoding used).

    The BOM wins, then a charset that decodes without errors (HTTP header, then meta tag),
    then statistical detection; a header and a meta tag that disagree are both tried. A
    declared charset that is no text codec ("undefined") counts as undeclared. Detection
    prefers cp1252 over other single-byte guesses: Western European pages mis-declared as
    UTF-8 (or undeclared) are far more often cp1252 than cp1250 ("ministère", not
    "ministčre").
    """
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec
    candidates: list[str] = []
    if content_type and "charset=" in content_type.lower():
        candidates.append(content_type.lower().split("charset=")[-1].split(";")[0])
    m = _META_CHARSET.search(body[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "ignore"))
    candidates.append("utf-8")
    decoded: list[tuple[str, str]] = []
    for name in candidates:
        codec = _codec(name)
        if not codec or any(codec == c for _, c in decoded):
            continue
        text = _strict(body, codec)
        if text is not None:
            decoded.append((text, codec))
    # Single-byte codecs decode any bytes, so a strict multi-byte success is the better evidence
    # when the header and the meta tag disagree.
    strong = [d for d in decoded if d[1] not in _CATCH_ALL]
    if strong or decoded:
        return (strong or decoded)[0]
    return _detect(body)


def _detect(body: bytes) -> tuple[str, str]:
    """Statistical detection for bytes no declared charset (nor UTF-8) decodes."""
    best = from_bytes(body).best()
    if best is None or not is_multi_byte_encoding(best.encoding):
        western = from_bytes(body, cp_isolation=["cp1252"]).best()
        text = _strict(body, "cp1252")
        if text is not None and western is not None and (
                best is None or western.chaos <= best.chaos + _CP1252_SLACK):
            return text, "cp1252"
    if best is not None:
        return str(best), best.encoding
    return body.decode("utf-8", errors="replace"), "utf-8-replace"


def parse_when(value: str, default_tz: str = "UTC") -> tuple[datetime, str | None, str] | None:
    """Parse a date string; returns (UTC instant, source offset '+HH:MM' or None, precision).

    A value that is no real instant is an unknown date (None), never an error: unparseable
    text, an offset beyond +-18:00 ("+99:00"), or a year outside 1900-2199 ("0000-00-00",
    "9999-12-31", whose conversion to UTC would overflow). Native forms (2025年4月3日,
    令和7年4月3日, 114年4月3日, 24.01.2022, 2025년 4월 3일, see `crawlers.native_dates`) are read
    before dateutil, which takes 03.04.2025 for 4 March; one naming no real day is unknown.
    """
    value = (value or "").strip()
    if not value:
        return None
    native = native_date(value, default_tz)
    if native is not None and native.value is None:
        return None  # "2025年13月3日": a date in form, no day in fact (not dateutil's guess)
    try:
        parsed = native.value if native is not None else dateparser.parse(value)
        if parsed is None:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=ZoneInfo(default_tz))
            offset = None
        else:
            delta = parsed.utcoffset() or timedelta(0)
            if abs(delta) > _MAX_OFFSET:
                return None
            sign = "-" if delta < timedelta(0) else "+"
            mins = abs(int(delta.total_seconds())) // 60
            offset = f"{sign}{mins // 60:02d}:{mins % 60:02d}"
        instant = parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    if not plausible(instant):
        return None
    if native is not None:
        return instant, offset, native.precision
    is_date_only = bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))
    return instant, offset, ("date" if is_date_only else "datetime")


def plausible(when: datetime) -> bool:
    """Whether an aware instant can be a publication date (1900 to 2199)."""
    return _EARLIEST <= when < _LATEST


def date_only(day: date, tz: str) -> datetime:
    """A date-only publication as the start of that day in the source's time zone, in UTC.

    Raises:
        BadInputError: the day is outside 1900-2199 (a placeholder such as 9999-12-31).
    """
    if not _EARLIEST.year <= day.year < _LATEST.year:
        raise BadInputError(f"implausible publication date {day.isoformat()}")
    return datetime.combine(day, time(0, 0), ZoneInfo(tz)).astimezone(UTC)


def _structured_date(tree: lxml.html.HtmlElement) -> str | None:
    for node in tree.xpath("//script[@type='application/ld+json']"):
        try:
            data = json.loads("".join(node.itertext()) or "null")
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict):  # JSON-LD from the web has any shape: "@graph": null, 5, ...
            graph = data.get("@graph")
            items = graph if isinstance(graph, list) else [data]
        else:
            items = data if isinstance(data, list) else []
        for item in items:
            if isinstance(item, dict) and isinstance(item.get("datePublished"), str):
                return item["datePublished"]
    for key in _DATE_META:
        found = tree.xpath(f"//meta[@property='{key}' or @name='{key}' or @itemprop='{key}']/@content")
        if found:
            return found[0]
    found = tree.xpath("//time/@datetime")
    return found[0] if found else None


def _fallback_text(tree: lxml.html.HtmlElement) -> str:
    for bad in tree.xpath("//script|//style|//nav|//header|//footer|//noscript"):
        bad.drop_tree()
    main = tree.xpath("//main") or tree.xpath("//article") or tree.xpath("//body") or [tree]
    lines = [ln.strip() for ln in main[0].text_content().splitlines()]
    return "\n".join(ln for ln in lines if ln)


def _title(tree: lxml.html.HtmlElement) -> str:
    """og:title, else the first h1, else <title> without a trailing site name.

    An og:title that is the page's ``<meta name="title">`` plus a site name (Government Site
    Builder pages: "... - BMBF") gives the meta title: the suffix is known to be the site's.
    """
    for xp in ("//meta[@property='og:title']/@content", "//h1//text()", "//title/text()"):
        found = [t.strip() for t in tree.xpath(xp) if t and t.strip()]
        if found:
            title = " ".join(found) if xp.startswith("//h1") else found[0]
            if xp == "//title/text()":
                title = _SITE_SUFFIX.split(title)[0]
            elif xp.startswith("//meta"):
                bare = " ".join(tree.xpath("//meta[@name='title']/@content")[:1]).strip()
                if bare and title.startswith(bare) and _SITE_SUFFIX.match(title[len(bare):]):
                    title = bare
            return " ".join(title.split())
    return ""


def extract_html(body: bytes | str, url: str, content_type: str | None = None,
                 default_tz: str = "UTC") -> Extracted:
    """Extract a page with trafilatura (fallback: lxml main-text) and structured dates.

    The page is parsed once: title, structured date and language are read from the tree,
    then trafilatura (favor_precision, the best setting on the held-out benchmark, see
    evaluation/extraction.py) extracts the main text from the same tree. htmldate runs only when
    the page carries no structured date.

    Args:
        body: raw response bytes (or already decoded text).
        url: the page's real URL.
        content_type: HTTP Content-Type, used for the charset.
        default_tz: the source's zone, for dates given without an offset.

    Raises:
        BadInputError: empty body or nothing extractable.
    """
    html = decode_html(body, content_type)[0] if isinstance(body, bytes) else body
    if not html.strip():
        raise BadInputError("empty body")
    try:
        # trafilatura's own parser settings (no comments, no ids): its extraction is faster on
        # this tree than on one from lxml's defaults, and the page is parsed only once
        tree = load_html(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise BadInputError(f"unparseable HTML: {exc}") from exc
    if tree is None:
        raise BadInputError("unparseable HTML")
    title = _title(tree)
    when = parse_when(_structured_date(tree) or "", default_tz)
    lang = (tree.get("lang") or "").split("-")[0].lower() or None
    if when is None:
        try:
            found = find_date(tree, url=url, extensive_search=False, original_date=True)
        except (ValueError, OverflowError):  # htmldate on a date that cannot exist ("+99:00")
            found = None
        when = parse_when(found, default_tz) if found else None
    if when is None:  # 114年04月10日 in div.pageDate1: a form htmldate does not read
        when = parse_when(page_date_text(tree, default_tz) or "", default_tz)
    doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False, include_tables=True,
                                      favor_precision=True)
    extractor = "trafilatura"
    text = (doc.text if doc else None) or ""
    if not text.strip():
        text = _fallback_text(lxml.html.fromstring(html))
        extractor = "fallback:lxml"
    if not text.strip() and not title:
        raise BadInputError("no text extracted")
    return Extracted(
        title=title,
        text=text.strip(),
        published_at=when[0] if when else None,
        published_offset=when[1] if when else None,
        published_precision=when[2] if when else "none",
        language=lang,
        extractor=extractor,
    )


def extract_page(body: bytes, url: str, content_type: str | None = None,
                 default_tz: str = "UTC") -> Extracted:
    """Extract any fetched page: PDF text with pypdf, HTML with `extract_html`.

    Raises:
        BadInputError: empty body, unreadable PDF, nothing extractable, or a page the HTML
            parsers reject (their ValueError, UnicodeError, ... named in the reason).
    """
    from crawlers.pdf import extract_pdf, is_pdf

    if not body.strip():
        raise BadInputError("empty body")
    if not is_pdf(body, content_type):
        try:
            return extract_html(body, url, content_type, default_tz)
        except _PARSER_ERRORS as exc:  # hostile bytes: a bad item, not the end of the crawl
            raise BadInputError(f"unparseable page: {type(exc).__name__}: {exc}"[:500]) from exc
    title, text, created = extract_pdf(body)
    return Extracted(title=title, text=text, published_at=created[0] if created else None,
                     published_offset=created[1] if created else None,
                     published_precision="datetime" if created else "none",
                     language=None, extractor="pdf:pypdf")
