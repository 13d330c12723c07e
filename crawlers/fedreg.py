"""Federal Register API client (documents.json search): by agency, term and publication date."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from config.errors import BadInputError
from crawlers.canonical import canonical_url
from crawlers.extract import date_only, parse_when
from crawlers.fetch import Fetcher, FetchResult
from crawlers.registry import Source
from store.records import Document

API = "https://www.federalregister.gov/api/v1/documents.json"
FIELDS = ["document_number", "title", "type", "abstract", "html_url", "pdf_url",
          "publication_date", "agencies", "effective_on", "signing_date", "executive_order_number"]


@dataclass(frozen=True)
class ApiPage:
    """One page of API results and the fetch that produced it."""

    fetch: FetchResult
    results: list[dict]
    next_url: str | None


def search_url(params: dict, since: date | None, until: date | None, per_page: int = 100,
               base: str = API) -> str:
    """Build a documents.json search URL from source params and a date range."""
    query: list[tuple[str, str]] = [("per_page", str(per_page)), ("order", "newest")]
    for key, value in params.items():
        for v in value if isinstance(value, list) else [value]:
            query.append((key, v))
    if since:
        query.append(("conditions[publication_date][gte]", since.isoformat()))
    if until:
        query.append(("conditions[publication_date][lte]", until.isoformat()))
    query += [("fields[]", f) for f in FIELDS]
    return base + "?" + urlencode(query)


def _answer(body: bytes) -> tuple[list, str | None]:
    """The results and next page URL of one API answer.

    Raises:
        BadInputError: not JSON (or not UTF-8, or nested too deep to parse), not an object,
            `results` not a list.
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
        raise BadInputError(f"Federal Register API answered non-JSON: "
                            f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    if not isinstance(data, dict):
        raise BadInputError(f"Federal Register API answered a JSON {type(data).__name__}, "
                            "not an object")
    results = data.get("results") or []
    if not isinstance(results, list):
        raise BadInputError(f"Federal Register API results are a {type(results).__name__}, "
                            "not a list")
    next_url = data.get("next_page_url")
    return results, next_url if isinstance(next_url, str) and next_url else None


def iter_pages(fetcher: Fetcher, url: str, max_pages: int,
               on_cap: Callable[[str], None] | None = None) -> Iterator[ApiPage]:
    """Follow next_page_url from a search URL, at most `max_pages` pages; `on_cap` is called
    with the next page's URL when the cap stops it (so a cut run is said, never silent).

    Raises:
        BadInputError: an answer that is no API page (see `_answer`); the pages before it
            were yielded.
    """
    for _ in range(max_pages):
        result = fetcher.get(url)
        results, next_url = _answer(result.body)
        yield ApiPage(fetch=result, results=results, next_url=next_url)
        if not next_url:
            return
        url = next_url
    if on_cap is not None:
        on_cap(url)


def _object(result: object) -> dict:
    """One API result, which must be a JSON object.

    Raises:
        BadInputError: a number, a string or a list where a result should be.
    """
    if not isinstance(result, dict):
        raise BadInputError(f"Federal Register result is a {type(result).__name__}, "
                            "not an object")
    return result


def _text(result: dict, key: str) -> str | None:
    """A text field of an API result; None when absent or empty.

    Raises:
        BadInputError: the field holds a number, a list or an object instead of text.
    """
    value = result.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadInputError(f"Federal Register result field {key} is a "
                            f"{type(value).__name__}, not text")
    return value


def _agencies(result: dict) -> list[str]:
    agencies = result.get("agencies")
    if not isinstance(agencies, list):
        return []
    return [a["name"] for a in agencies if isinstance(a, dict) and isinstance(a.get("name"), str)]


def _publication_day(value: str | None, tz: str) -> datetime | None:
    """A publication_date as the start of that day in `tz` (None when absent).

    Raises:
        BadInputError: no real day ("0000-00-00", "2025-02-30") or an implausible one.
    """
    if not value:
        return None
    try:
        return date_only(date.fromisoformat(value), tz)
    except (ValueError, OverflowError) as exc:
        raise BadInputError(f"publication_date {value[:40]!r} is no date: {exc}") from exc


def to_document(result: dict, source: Source, first_seen_at, raw_hash: str | None) -> Document:
    """Map one API result to a Document (title + abstract; date-only in the source's zone).

    Raises:
        BadInputError: the result is no object, a text field holds something else, or its
            URL is unusable, or its publication_date is no real day.
    """
    result = _object(result)
    number = _text(result, "document_number")
    url = _text(result, "html_url") or f"https://www.federalregister.gov/d/{number}"
    published = _publication_day(_text(result, "publication_date"), source.timezone)
    agencies = _agencies(result)
    return Document(
        url=url, canonical_url=_canonical(url), source_id=source.id,
        title=(_text(result, "title") or "").strip(),
        text=(_text(result, "abstract") or "").strip(),
        published_at=published, first_seen_at=first_seen_at or published,
        published_offset=None, published_precision="date" if published else "none",
        language="en", extractor="api:federalregister", raw_hash=raw_hash, doc_number=number,
        doc_type=_text(result, "type"),
        meta={k: v for k, v in {"agencies": agencies, "pdf_url": _text(result, "pdf_url"),
              "effective_on": result.get("effective_on"),
              "executive_order_number": result.get("executive_order_number")}.items() if v},
    )


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except ValueError as exc:  # "Port out of range", "Invalid IPv6 URL"
        raise BadInputError(f"Federal Register result URL {url[:200]!r}: {exc}") from exc


PI_FIELDS = ["document_number", "title", "type", "agencies", "filed_at", "publication_date",
             "pdf_url", "html_url", "filing_type", "toc_subject", "toc_doc", "editorial_note"]


PI_LOOKBACK_DAYS = 3  # older filings are published by now: the documents API covers them


def filing_days(since: date, until: date, lookback: int = PI_LOOKBACK_DAYS) -> list[date]:
    """The last `lookback` business days (Mon-Fri) up to `until`, none before `since`."""
    days, day = [], until
    while day >= since and len(days) < lookback:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days[::-1]


def public_inspection_url(source: Source, day: date, per_page: int = 100) -> str:
    """Search URL for documents on public inspection on `day` (plus the source's params)."""
    query: list[tuple[str, str]] = [("per_page", str(per_page)),
                                    ("conditions[available_on]", day.isoformat())]
    for key, value in source.params.items():
        for v in value if isinstance(value, list) else [value]:
            query.append((key, v))
    query += [("fields[]", f) for f in PI_FIELDS]
    return source.url + "?" + urlencode(query)


def pi_document(result: dict, source: Source, first_seen_at: datetime,
                raw_hash: str | None) -> Document:
    """Map one public-inspection filing to a Document (dated by its filing instant).

    Raises:
        BadInputError: the filing is no object, has no document number, a text field holds
            something else, or its URL is unusable.
    """
    result = _object(result)
    number = _text(result, "document_number")
    if not number:
        raise BadInputError("public-inspection result without document_number")
    url = (_text(result, "html_url")
           or f"https://www.federalregister.gov/public-inspection/{number}")
    filed = parse_when(_text(result, "filed_at") or "", source.timezone)
    agencies = _agencies(result)
    summary = " ".join(_text(result, k) or "" for k in ("toc_subject", "toc_doc",
                                                         "editorial_note")).strip()
    return Document(
        url=url, canonical_url=_canonical(url), source_id=source.id,
        title=(_text(result, "title") or "").strip(), text=summary,
        published_at=filed[0] if filed else None, first_seen_at=first_seen_at,
        published_offset=filed[1] if filed else None,
        published_precision="datetime" if filed else "none", language="en",
        extractor="api:federalregister-pi", raw_hash=raw_hash, doc_number=number,
        doc_type="public-inspection" + (f":{kind}" if (kind := _text(result, "type")) else ""),
        meta={k: v for k, v in {"agencies": agencies, "pdf_url": _text(result, "pdf_url"),
              "scheduled_publication": result.get("publication_date"),
              "filing_type": result.get("filing_type")}.items() if v},
    )
