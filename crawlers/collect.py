"""Collecting one source by kind: feeds and the Federal Register APIs (spiders: crawlers/spool.py).

Every HTTP attempt is recorded in `fetches`, every response body is kept in `raw_pages`,
every bad item is recorded in `item_errors` with its reason, and the run goes on. A failure
of the source's entry point (the feed, the first API page, the spider's listing or sitemap
pages) is remembered in the counts so the crawl flow can retry the source.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.errors import BadInputError, RadarError, SourceDeadlineError, TransientError
from config.pause_points import pause_point
from crawlers import fedreg
from crawlers.canonical import canonical_url, needs_fetch
from crawlers.counts import CrawlCounts, CrawlWindow
from crawlers.extract import extract_page
from crawlers.feeds import FeedEntry, poll_feed
from crawlers.fetch import Fetcher
from crawlers.registry import Source
from store.documents import (
    confirm_validators,
    last_validators,
    mark_page,
    page_states,
    record_error,
    record_fetch,
    save_raw,
    upsert_document,
)
from store.records import Document, FetchRecord, ItemError, RawPage

_SURROGATE = re.compile("[\ud800-\udfff]")


def store_doc(con, counts: CrawlCounts, source: Source, doc: Document,
              modified: datetime | None = None, atomic: bool = True) -> None:
    """Store a document (new, new version, or unchanged) and remember the site's lastmod.

    Lone surrogates (JSON's "\ud800", which no encoding can write) become U+FFFD first.
    """
    if not doc.title and not doc.text:
        raise BadInputError("empty document (no title, no text)")
    doc = Document(**{**doc.__dict__, **{k: _SURROGATE.sub("\ufffd", getattr(doc, k))
                                         for k in ("url", "canonical_url", "title", "text")}})
    counts.add(source.id, upsert_document(con, doc, atomic=atomic))
    mark_page(con, doc.canonical_url, source.id, modified)


def page_document(source: Source, url: str, body: bytes, content_type: str | None,
                  raw_hash: str | None, window: CrawlWindow, hint_title: str = "",
                  hint_date: datetime | None = None, hint_offset: str | None = None) -> Document:
    """Extract a fetched page (HTML or PDF) into a Document; the page's dates win over hints
    (a feed's date), except that a page giving only the hint's own day keeps the hint's time.

    Raises:
        BadInputError: empty body or nothing extractable.
    """
    ex = extract_page(body, url, content_type, default_tz=source.timezone)
    published, offset, precision = ex.published_at, ex.published_offset, ex.published_precision
    zone = ZoneInfo(source.timezone)
    hint_local = hint_date.astimezone(zone) if hint_date is not None else None
    if hint_local is not None and (published is None or (
            precision == "date" and hint_local.time() != time(0)
            and published.astimezone(zone).date() == hint_local.date())):
        # a page that shows only its day (總統府's 114年04月06日) keeps the feed's time of that
        # day; a listing's date-only hint (00:00) adds nothing to the page's own date
        published, offset, precision = hint_date, hint_offset, "datetime"
    return Document(
        url=url, canonical_url=canonical_url(url), source_id=source.id,
        title=ex.title or hint_title, text=ex.text, published_at=published,
        first_seen_at=window.first_seen(published), published_offset=offset,
        published_precision=precision, language=ex.language or source.language,
        extractor=ex.extractor, raw_hash=raw_hash,
    )


def record(con, run_id: str, rec: FetchRecord, page: RawPage | None) -> str | None:
    """Record an HTTP attempt and keep its body; returns the raw hash."""
    raw_hash = save_raw(con, page) if page is not None and page.body else None
    record_fetch(con, run_id, FetchRecord(**{**rec.__dict__, "raw_hash": raw_hash}))
    return raw_hash


def fail(con, run_id: str, counts: CrawlCounts, source: Source, item: str, exc: Exception,
         status: int | None = None, entry: bool = False) -> None:
    """Record a bad or failed item with its reason; `entry` marks a source-level failure."""
    kind = "transient" if isinstance(exc, TransientError) else "bad_input"
    record_error(con, run_id, ItemError(stage=f"crawl:{source.kind}", item=item,
                                           reason=str(exc), kind=kind))
    record_fetch(con, run_id, FetchRecord(source_id=source.id, url=item,
                                             requested_at=datetime.now(UTC), status=status,
                                             error=f"{kind}: {exc}"[:500]))
    counts.add(source.id, "error")
    if entry:
        counts.fail_source(source.id, exc)


def _item_id(result: object) -> str:
    """How a refused API result is named in item_errors (it may not even be an object)."""
    if isinstance(result, dict):
        return str(result.get("document_number"))
    return f"{type(result).__name__} result {str(result)[:80]!r}"


def fetch_page(con, fetcher: Fetcher, source: Source, url: str, window: CrawlWindow,
               run_id: str, counts: CrawlCounts, title: str = "", when: datetime | None = None,
               offset: str | None = None, modified: datetime | None = None) -> Document | None:
    """Fetch, keep, extract and store one page; a failure is recorded and returns None."""
    try:
        result = fetcher.get(url)
        raw_hash = record(con, run_id, result.record, result.raw_page())
        doc = page_document(source, url, result.body, result.headers.get("content-type"),
                            raw_hash, window, title, when, offset)
        store_doc(con, counts, source, doc, modified)
        pause_point("crawl-page-stored")  # kill tests stop a feed crawl between two pages
        return doc
    except SourceDeadlineError:
        raise  # ends the source's run (recorded by the crawl), not just this page
    except RadarError as exc:
        fail(con, run_id, counts, source, url, exc)
        return None


def crawl_feed(con, fetcher: Fetcher, source: Source, window: CrawlWindow, run_id: str,
               counts: CrawlCounts) -> None:
    """Poll a feed (conditional GET); fetch new entries' pages and changed ones again."""
    for url in source.start_urls():
        etag, last_mod = last_validators(con, url)
        try:
            poll = poll_feed(fetcher, source, url, etag, last_mod)
        except SourceDeadlineError:
            raise
        except RadarError as exc:
            fail(con, run_id, counts, source, url, exc, entry=True)
            continue
        if poll.fetch.not_modified:
            record(con, run_id, poll.fetch.record, None)
            counts.add(source.id, "not_modified")
            continue
        # The feed's bytes are kept at once, its validators (ETag, Last-Modified) only once
        # every entry was handled: a crawl killed or cut at its deadline between two entries
        # would otherwise get a 304 next run and never fetch the entries it did not reach.
        validated = poll.fetch.record
        record(con, run_id, replace(validated, etag=None, last_modified=None),
               poll.fetch.raw_page())
        if poll.error:
            record_error(con, run_id, ItemError("crawl:feed", url, poll.error))
            counts.add(source.id, "feed_error")
        known = page_states(con, [e.url for e in poll.entries])
        for entry in poll.entries:
            if window.since and entry.published_at and entry.published_at < window.since:
                continue
            if needs_fetch(known, entry.url, entry.updated_at):
                _crawl_entry(con, fetcher, source, entry, window, run_id, counts)
        confirm_validators(con, run_id, validated)


def _crawl_entry(con, fetcher: Fetcher, source: Source, entry: FeedEntry, window: CrawlWindow,
                 run_id: str, counts: CrawlCounts) -> None:
    if source.fetch_articles:
        fetch_page(con, fetcher, source, entry.url, window, run_id, counts, entry.title,
                   entry.published_at, entry.published_offset, entry.updated_at)
        return
    doc = Document(url=entry.url, canonical_url=entry.url, source_id=source.id,
                   title=entry.title, text=entry.summary, published_at=entry.published_at,
                   first_seen_at=window.first_seen(entry.published_at),
                   published_offset=entry.published_offset,
                   published_precision="datetime" if entry.published_at else "none",
                   language=source.language, extractor="feed")
    try:
        store_doc(con, counts, source, doc, entry.updated_at)
    except RadarError as exc:
        fail(con, run_id, counts, source, entry.url, exc)


def crawl_api(con, fetcher: Fetcher, source: Source, window: CrawlWindow, run_id: str,
              counts: CrawlCounts) -> None:
    """Query the Federal Register documents API (or its public-inspection desk) for the window."""
    if source.is_public_inspection():
        _crawl_public_inspection(con, fetcher, source, window, run_id, counts)
        return
    since = (window.since or datetime.now(UTC) - timedelta(days=3)).date()
    until = window.until.date() if window.until else None
    url = fedreg.search_url(source.params, since, until, base=source.url)
    first = True
    try:
        for page in fedreg.iter_pages(fetcher, url, source.max_pages,
                                      on_cap=lambda _: counts.add(source.id, "capped")):
            first = False
            raw_hash = record(con, run_id, page.fetch.record, page.fetch.raw_page())
            for result in page.results:
                try:
                    doc = fedreg.to_document(result, source, None, raw_hash)
                    doc = Document(**{**doc.__dict__, "first_seen_at": window.first_seen(doc.published_at)})
                    store_doc(con, counts, source, doc)
                except (RadarError, ValueError) as exc:
                    fail(con, run_id, counts, source, _item_id(result), exc)
    except SourceDeadlineError:
        raise
    except RadarError as exc:
        fail(con, run_id, counts, source, url, exc, entry=first)


def _crawl_public_inspection(con, fetcher: Fetcher, source: Source, window: CrawlWindow,
                             run_id: str, counts: CrawlCounts) -> None:
    zone = ZoneInfo(source.timezone)
    until = (window.until or datetime.now(UTC)).astimezone(zone).date()
    since = (window.since.astimezone(zone).date() if window.since else until)
    failed: list[tuple[str, RadarError]] = []
    days = fedreg.filing_days(since, until)
    for day in days:
        url = fedreg.public_inspection_url(source, day)
        try:
            pages = list(fedreg.iter_pages(fetcher, url, source.max_pages))
        except SourceDeadlineError:
            raise
        except RadarError as exc:
            failed.append((url, exc))
            continue
        for page in pages:
            raw_hash = record(con, run_id, page.fetch.record, page.fetch.raw_page())
            for result in page.results:
                try:
                    doc = fedreg.pi_document(result, source, datetime.now(UTC), raw_hash)
                except RadarError as exc:
                    fail(con, run_id, counts, source, _item_id(result), exc)
                    continue
                if window.until and doc.published_at and doc.published_at > window.until:
                    continue
                doc = Document(**{**doc.__dict__, "first_seen_at": window.first_seen(doc.published_at)})
                _store_filing(con, fetcher, source, doc, window, run_id, counts)
    for url, exc in failed:  # the source failed outright only when no day could be read
        fail(con, run_id, counts, source, url, exc, entry=len(failed) == len(days))


def _store_filing(con, fetcher: Fetcher, source: Source, doc: Document, window: CrawlWindow,
                  run_id: str, counts: CrawlCounts) -> None:
    """A filing's text is its PDF (pypdf); if the PDF fails, the API's summary is kept."""
    if page_states(con, [doc.canonical_url]):
        counts.add(source.id, "unchanged")  # a filing does not change; its PDF is not refetched
        return
    pdf_url = doc.meta.get("pdf_url")
    if source.fetch_articles and pdf_url:
        try:
            result = fetcher.get(pdf_url)
            raw_hash = record(con, run_id, result.record, result.raw_page())
            ex = extract_page(result.body, pdf_url, result.headers.get("content-type"), source.timezone)
            doc = Document(**{**doc.__dict__, "text": ex.text, "extractor": ex.extractor,
                              "raw_hash": raw_hash})
        except SourceDeadlineError:
            raise
        except RadarError as exc:
            fail(con, run_id, counts, source, pdf_url, exc)
    try:
        store_doc(con, counts, source, doc)
    except RadarError as exc:
        fail(con, run_id, counts, source, doc.url, exc)
