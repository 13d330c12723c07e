"""Federal Register API client (documents.json search): by agency, term and publication date."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from crawlers.canonical import canonical_url
from crawlers.extract import date_only, parse_when
from crawlers.fetch import Fetcher, FetchResult
from crawlers.registry import Source
from radar.errors import BadInputError
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


def iter_pages(fetcher: Fetcher, url: str, max_pages: int) -> Iterator[ApiPage]:
    """Follow next_page_url from a search URL. Raises BadInputError on a non-JSON answer."""
    for _ in range(max_pages):
        result = fetcher.get(url)
        try:
            data = json.loads(result.body)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"Federal Register API answered non-JSON: {exc}") from exc
        next_url = data.get("next_page_url")
        yield ApiPage(fetch=result, results=list(data.get("results") or []), next_url=next_url)
        if not next_url:
            return
        url = next_url


def to_document(result: dict, source: Source, first_seen_at, raw_hash: str | None) -> Document:
    """Map one API result to a Document (title + abstract; date-only in the source's zone)."""
    number = result.get("document_number")
    url = result.get("html_url") or f"https://www.federalregister.gov/d/{number}"
    pub = result.get("publication_date")
    published = date_only(date.fromisoformat(pub), source.timezone) if pub else None
    agencies = [a.get("name") for a in result.get("agencies") or [] if isinstance(a, dict)]
    return Document(
        url=url, canonical_url=canonical_url(url), source_id=source.id,
        title=(result.get("title") or "").strip(), text=(result.get("abstract") or "").strip(),
        published_at=published, first_seen_at=first_seen_at or published,
        published_offset=None, published_precision="date" if published else "none",
        language="en", extractor="api:federalregister", raw_hash=raw_hash, doc_number=number,
        doc_type=result.get("type"),
        meta={k: v for k, v in {"agencies": agencies, "pdf_url": result.get("pdf_url"),
              "effective_on": result.get("effective_on"),
              "executive_order_number": result.get("executive_order_number")}.items() if v},
    )


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
        BadInputError: the filing has no document number.
    """
    number = result.get("document_number")
    if not number:
        raise BadInputError("public-inspection result without document_number")
    url = result.get("html_url") or f"https://www.federalregister.gov/public-inspection/{number}"
    filed = parse_when(result.get("filed_at") or "", source.timezone)
    agencies = [a.get("name") for a in result.get("agencies") or [] if isinstance(a, dict)]
    summary = " ".join(str(result.get(k) or "") for k in ("toc_subject", "toc_doc",
                                                          "editorial_note")).strip()
    return Document(
        url=url, canonical_url=canonical_url(url), source_id=source.id,
        title=(result.get("title") or "").strip(), text=summary,
        published_at=filed[0] if filed else None, first_seen_at=first_seen_at,
        published_offset=filed[1] if filed else None,
        published_precision="datetime" if filed else "none", language="en",
        extractor="api:federalregister-pi", raw_hash=raw_hash, doc_number=number,
        doc_type="public-inspection" + (f":{result['type']}" if result.get("type") else ""),
        meta={k: v for k, v in {"agencies": agencies, "pdf_url": result.get("pdf_url"),
              "scheduled_publication": result.get("publication_date"),
              "filing_type": result.get("filing_type")}.items() if v},
    )
