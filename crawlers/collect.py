"""Collecting one source by kind: feeds, the Federal Register APIs, listing and sitemap spiders.

Every HTTP attempt is recorded in `fetches`, every response body is kept in `raw_pages`,
every bad item is recorded in `item_errors` with its reason, and the run goes on. A failure
of the source's entry point (the feed, the first API page, the spider's listing or sitemap
pages) is remembered in the counts so the crawl flow can retry the source.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from crawlers import fedreg
from crawlers.canonical import canonical_url, needs_fetch
from crawlers.counts import CrawlCounts, CrawlWindow
from crawlers.extract import extract_page, parse_when
from crawlers.feeds import FeedEntry, poll_feed
from crawlers.fetch import Fetcher
from crawlers.registry import Registry, Source
from crawlers.spider import run_spider
from radar.errors import BadInputError, RadarError, SourceDeadlineError, TransientError
from radar.settings import Settings
from store import documents as db
from store.records import Document, FetchRecord, ItemError, RawPage

BATCH = 200  # spool lines per transaction


def store_doc(con, counts: CrawlCounts, source: Source, doc: Document,
              modified: datetime | None = None, atomic: bool = True) -> None:
    """Store a document (new, new version, or unchanged) and remember the site's lastmod."""
    if not doc.title and not doc.text:
        raise BadInputError("empty document (no title, no text)")
    counts.add(source.id, db.upsert_document(con, doc, atomic=atomic))
    db.mark_page(con, doc.canonical_url, source.id, modified)


def page_document(source: Source, url: str, body: bytes, content_type: str | None,
                  raw_hash: str | None, window: CrawlWindow, hint_title: str = "",
                  hint_date: datetime | None = None, hint_offset: str | None = None) -> Document:
    """Extract a fetched page (HTML or PDF) into a Document; structured dates win over hints.

    Raises:
        BadInputError: empty body or nothing extractable.
    """
    ex = extract_page(body, url, content_type, default_tz=source.timezone)
    published, offset, precision = ex.published_at, ex.published_offset, ex.published_precision
    if published is None and hint_date is not None:
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
    raw_hash = db.save_raw(con, page) if page is not None and page.body else None
    db.record_fetch(con, run_id, FetchRecord(**{**rec.__dict__, "raw_hash": raw_hash}))
    return raw_hash


def fail(con, run_id: str, counts: CrawlCounts, source: Source, item: str, exc: Exception,
         status: int | None = None, entry: bool = False) -> None:
    """Record a bad or failed item with its reason; `entry` marks a source-level failure."""
    kind = "transient" if isinstance(exc, TransientError) else "bad_input"
    db.record_error(con, run_id, ItemError(stage=f"crawl:{source.kind}", item=item,
                                           reason=str(exc), kind=kind))
    db.record_fetch(con, run_id, FetchRecord(source_id=source.id, url=item,
                                             requested_at=datetime.now(UTC), status=status,
                                             error=f"{kind}: {exc}"[:500]))
    counts.add(source.id, "error")
    if entry:
        counts.fail_source(source.id, exc)


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
        etag, last_mod = db.last_validators(con, url)
        try:
            poll = poll_feed(fetcher, source, url, etag, last_mod)
        except SourceDeadlineError:
            raise
        except RadarError as exc:
            fail(con, run_id, counts, source, url, exc, entry=True)
            continue
        record(con, run_id, poll.fetch.record, None if poll.fetch.not_modified else poll.fetch.raw_page())
        if poll.fetch.not_modified:
            counts.add(source.id, "not_modified")
            continue
        if poll.error:
            db.record_error(con, run_id, ItemError("crawl:feed", url, poll.error))
            counts.add(source.id, "feed_error")
        known = db.page_states(con, [e.url for e in poll.entries])
        for entry in poll.entries:
            if window.since and entry.published_at and entry.published_at < window.since:
                continue
            if needs_fetch(known, entry.url, entry.updated_at):
                _crawl_entry(con, fetcher, source, entry, window, run_id, counts)


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
        for page in fedreg.iter_pages(fetcher, url, source.max_pages):
            first = False
            raw_hash = record(con, run_id, page.fetch.record, page.fetch.raw_page())
            for result in page.results:
                try:
                    doc = fedreg.to_document(result, source, None, raw_hash)
                    doc = Document(**{**doc.__dict__, "first_seen_at": window.first_seen(doc.published_at)})
                    store_doc(con, counts, source, doc)
                except (RadarError, ValueError) as exc:
                    fail(con, run_id, counts, source, str(result.get("document_number")), exc)
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
                    fail(con, run_id, counts, source, str(result.get("document_number")), exc)
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
    if db.page_states(con, [doc.canonical_url]):
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


def crawl_spider(con, settings: Settings, registry: Registry, source: Source,
                 window: CrawlWindow, run_id: str, counts: CrawlCounts) -> None:
    """Run the listing or sitemap spider in a subprocess and ingest its spool."""
    spool_dir = Path(settings.spool_dir)
    resumed: set[str] = set()
    for leftover in sorted(spool_dir.glob(f"{source.id}-*.spool.jsonl")):
        resumed |= unfinished_pages(leftover)
        ingest_spool(con, leftover, source, window, run_id, counts)  # a crashed run's pages
    known = db.page_states(con, db.known_urls(con, None if source.kind == "sitemap" else source.id))
    # a killed spider stored only the newest items: they must not stop this run's pagination
    known = {u: v for u, v in known.items() if u not in resumed}
    try:
        path = run_spider(source, settings.crawl, window.since, known, spool_dir,
                          registry.allowed_hosts())
    except RadarError as exc:
        fail(con, run_id, counts, source, source.url, exc, entry=True)
        return
    ingest_spool(con, path, source, window, run_id, counts)


def unfinished_pages(path: Path) -> set[str]:
    """Canonical URLs of the pages in a spool whose spider never finished (no "done" line)."""
    urls: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by the kill
        if item.get("type") == "done":
            return set()
        if item.get("type") == "page":
            urls.add(canonical_url(item["url"]))
    return urls


def ingest_spool(con, path: Path, source: Source, window: CrawlWindow, run_id: str,
                 counts: CrawlCounts) -> None:
    """Store what a spider subprocess wrote; the spool is removed only once ingested.

    Lines are written in transactions of `BATCH` lines (one commit per batch, not per row);
    a crash rolls back the open batch and the whole spool is ingested again next run, which
    is idempotent.
    """
    entry_ok = entry_failed = None
    lines = path.read_text(encoding="utf-8").splitlines()
    con.execute("BEGIN TRANSACTION")
    try:
        for i, line in enumerate(lines, 1):
            entry_ok, entry_failed = _ingest_line(con, run_id, source, line, window, counts,
                                                  entry_ok, entry_failed)
            if i % BATCH == 0:
                con.execute("COMMIT")
                con.execute("BEGIN TRANSACTION")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    if entry_failed and not entry_ok:
        counts.fail_source(source.id, TransientError(entry_failed["error"],
                                                     retry_after=entry_failed.get("retry_after")))
    path.unlink()


def _ingest_line(con, run_id: str, source: Source, line: str, window: CrawlWindow,
                 counts: CrawlCounts, entry_ok, entry_failed) -> tuple:
    try:
        item = json.loads(line)
    except json.JSONDecodeError:
        return entry_ok, entry_failed  # a line cut by a kill: its page is fetched again next run
    if item["type"] == "fetch":
        _ingest_fetch(con, run_id, source, item, counts)
        if item.get("kind") == "entry":
            if item.get("error"):
                entry_failed = entry_failed or item
            else:
                entry_ok = True
    elif item["type"] == "error":
        db.record_error(con, run_id, ItemError(f"crawl:{source.kind}", item["url"], item["reason"]))
        counts.add(source.id, "layout_error")
        counts.notes.setdefault(source.id, item["reason"])
    elif item["type"] == "page":
        _ingest_page(con, run_id, source, item, window, counts)
    return entry_ok, entry_failed


def _ingest_fetch(con, run_id: str, source: Source, item: dict, counts: CrawlCounts) -> None:
    db.record_fetch(con, run_id, FetchRecord(
        source_id=source.id, url=item["url"],
        requested_at=datetime.fromisoformat(item["requested_at"]),
        status=item.get("status"), etag=item.get("etag"),
        last_modified=item.get("last_modified"), content_type=item.get("content_type"),
        n_bytes=item.get("n_bytes") or 0, error=item.get("error")))
    if item.get("error"):
        status = item.get("status")
        kind = "transient" if status is None or status >= 500 or status in (408, 429) else "bad_input"
        reason = item["error"] + (f" (Retry-After {item['retry_after']:.0f}s)"
                                  if item.get("retry_after") is not None else "")
        db.record_error(con, run_id, ItemError(f"crawl:{source.kind}", item["url"], reason, kind=kind))
        counts.add(source.id, "error")


def _ingest_page(con, run_id: str, source: Source, item: dict, window: CrawlWindow,
                 counts: CrawlCounts) -> None:
    body = base64.b64decode(item["body_b64"])
    fetched = datetime.fromisoformat(item["fetched_at"])
    raw_hash = db.save_raw(con, RawPage(item["url"], fetched, item.get("content_type"), body)) if body else None
    hint = parse_when(item.get("listing_date") or "", source.timezone)
    modified = datetime.fromisoformat(item["modified"]) if item.get("modified") else None
    try:
        doc = page_document(source, item["url"], body, item.get("content_type"), raw_hash,
                            window, item.get("listing_title") or "",
                            hint[0] if hint else None, hint[1] if hint else None)
        store_doc(con, counts, source, doc, modified, atomic=False)
    except RadarError as exc:
        fail(con, run_id, counts, source, item["url"], exc)
