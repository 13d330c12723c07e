"""One crawl run: every selected source by kind -> fetches, raw pages and documents in the store."""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from crawlers import fedreg
from crawlers.canonical import canonical_url
from crawlers.extract import extract_html, parse_when
from crawlers.feeds import FeedEntry, poll_feed
from crawlers.fetch import Fetcher
from crawlers.listing import run_listing
from crawlers.registry import Registry, Source
from radar.errors import BadInputError, RadarError, TransientError
from radar.settings import Settings
from store import documents as db
from store.records import Document, FetchRecord, ItemError, RawPage


@dataclass
class CrawlCounts:
    """What a crawl run did, per outcome and per source."""

    outcomes: Counter = field(default_factory=Counter)
    by_source: dict[str, Counter] = field(default_factory=dict)

    def add(self, source_id: str, outcome: str, n: int = 1) -> None:
        """Count an outcome (new, updated, unchanged, not_modified, error, ...)."""
        self.outcomes[outcome] += n
        self.by_source.setdefault(source_id, Counter())[outcome] += n

    def as_dict(self) -> dict:
        """Plain dict for the runs table."""
        return {"total": dict(self.outcomes), "sources": {k: dict(v) for k, v in self.by_source.items()}}


@dataclass(frozen=True)
class CrawlWindow:
    """Which publication dates to collect, and whether time is replayed (demo)."""

    since: datetime | None = None
    until: datetime | None = None
    replay: bool = False

    def first_seen(self, published: datetime | None) -> datetime:
        """In replay, a document is first seen when it was published; otherwise now."""
        if self.replay and published is not None:
            return published
        return datetime.now(UTC)


def _store_doc(con, counts: CrawlCounts, source: Source, doc: Document) -> None:
    if not doc.title and not doc.text:
        raise BadInputError("empty document (no title, no text)")
    counts.add(source.id, db.upsert_document(con, doc))


def _page_document(source: Source, url: str, body: bytes, content_type: str | None,
                   raw_hash: str, window: CrawlWindow, hint_title: str = "",
                   hint_date: datetime | None = None, hint_offset: str | None = None) -> Document:
    ex = extract_html(body, url, content_type, default_tz=source.timezone)
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


def _record(con, run_id: str, rec: FetchRecord, page: RawPage | None) -> str | None:
    raw_hash = db.save_raw(con, page) if page is not None and page.body else None
    db.record_fetch(con, run_id, FetchRecord(**{**rec.__dict__, "raw_hash": raw_hash}))
    return raw_hash


def _fail(con, run_id: str, counts: CrawlCounts, source: Source, item: str, exc: Exception,
          status: int | None = None) -> None:
    kind = "transient" if isinstance(exc, TransientError) else "bad_input"
    db.record_error(con, run_id, ItemError(stage=f"crawl:{source.kind}", item=item,
                                           reason=str(exc), kind=kind))
    db.record_fetch(con, run_id, FetchRecord(source_id=source.id, url=item,
                                             requested_at=datetime.now(UTC), status=status,
                                             error=f"{kind}: {exc}"[:500]))
    counts.add(source.id, "error")


def crawl_feed(con, fetcher: Fetcher, source: Source, window: CrawlWindow, run_id: str,
               counts: CrawlCounts) -> None:
    """Poll a feed source; fetch and extract new entries' pages."""
    known = db.known_urls(con, source.id)
    for url in source.start_urls():
        etag, last_mod = db.last_validators(con, url)
        try:
            poll = poll_feed(fetcher, source, url, etag, last_mod)
        except RadarError as exc:
            _fail(con, run_id, counts, source, url, exc)
            continue
        _record(con, run_id, poll.fetch.record, None if poll.fetch.not_modified else poll.fetch.raw_page())
        if poll.fetch.not_modified:
            counts.add(source.id, "not_modified")
            continue
        if poll.error:
            db.record_error(con, run_id, ItemError("crawl:feed", url, poll.error))
            counts.add(source.id, "feed_error")
        for entry in poll.entries:
            if entry.url in known or (window.since and entry.published_at
                                      and entry.published_at < window.since):
                continue
            _crawl_entry(con, fetcher, source, entry, window, run_id, counts)


def _crawl_entry(con, fetcher: Fetcher, source: Source, entry: FeedEntry, window: CrawlWindow,
                 run_id: str, counts: CrawlCounts) -> None:
    if not source.fetch_articles:
        doc = Document(url=entry.url, canonical_url=entry.url, source_id=source.id,
                       title=entry.title, text=entry.summary, published_at=entry.published_at,
                       first_seen_at=window.first_seen(entry.published_at),
                       published_offset=entry.published_offset,
                       published_precision="datetime" if entry.published_at else "none",
                       language=source.language, extractor="feed")
        _store_doc(con, counts, source, doc)
        return
    try:
        result = fetcher.get(entry.url)
        raw_hash = _record(con, run_id, result.record, result.raw_page())
        doc = _page_document(source, entry.url, result.body, result.headers.get("content-type"),
                             raw_hash, window, entry.title, entry.published_at,
                             entry.published_offset)
        _store_doc(con, counts, source, doc)
    except RadarError as exc:
        _fail(con, run_id, counts, source, entry.url, exc)


def crawl_api(con, fetcher: Fetcher, source: Source, window: CrawlWindow, run_id: str,
              counts: CrawlCounts) -> None:
    """Query the Federal Register API for the window's publication dates."""
    since = (window.since or datetime.now(UTC) - timedelta(days=3)).date()
    until = window.until.date() if window.until else None
    url = fedreg.search_url(source.params, since, until)
    try:
        for page in fedreg.iter_pages(fetcher, url, source.max_pages):
            raw_hash = _record(con, run_id, page.fetch.record, page.fetch.raw_page())
            for result in page.results:
                try:
                    doc = fedreg.to_document(result, source, None, raw_hash)
                    doc = Document(**{**doc.__dict__, "first_seen_at": window.first_seen(doc.published_at)})
                    _store_doc(con, counts, source, doc)
                except (RadarError, ValueError) as exc:
                    _fail(con, run_id, counts, source, str(result.get("document_number")), exc)
    except RadarError as exc:
        _fail(con, run_id, counts, source, url, exc)


def ingest_spool(con, path: Path, source: Source, window: CrawlWindow, run_id: str,
                 counts: CrawlCounts) -> None:
    """Store what a listing subprocess wrote; the spool is removed only once ingested."""
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill: its page is fetched again next run
        if item["type"] == "fetch":
            db.record_fetch(con, run_id, FetchRecord(
                source_id=source.id, url=item["url"],
                requested_at=datetime.fromisoformat(item["requested_at"]),
                status=item.get("status"), etag=item.get("etag"),
                last_modified=item.get("last_modified"), content_type=item.get("content_type"),
                n_bytes=item.get("n_bytes") or 0, error=item.get("error")))
            if item.get("error"):
                db.record_error(con, run_id, ItemError("crawl:listing", item["url"], item["error"],
                                                       kind="transient"))
                counts.add(source.id, "error")
        elif item["type"] == "error":
            db.record_error(con, run_id, ItemError("crawl:listing", item["url"], item["reason"]))
            counts.add(source.id, "layout_error")
        elif item["type"] == "page":
            body = base64.b64decode(item["body_b64"])
            fetched = datetime.fromisoformat(item["fetched_at"])
            raw_hash = db.save_raw(con, RawPage(item["url"], fetched, item.get("content_type"), body))
            hint = parse_when(item.get("listing_date") or "", source.timezone)
            try:
                doc = _page_document(source, item["url"], body, item.get("content_type"), raw_hash,
                                     window, item.get("listing_title") or "",
                                     hint[0] if hint else None, hint[1] if hint else None)
                _store_doc(con, counts, source, doc)
            except RadarError as exc:
                _fail(con, run_id, counts, source, item["url"], exc)
    path.unlink()


def crawl_listing(con, settings: Settings, registry: Registry, source: Source,
                  window: CrawlWindow, run_id: str, counts: CrawlCounts) -> None:
    """Run the Scrapy listing spider in a subprocess and ingest its spool."""
    spool_dir = Path(settings.spool_dir)
    for leftover in sorted(spool_dir.glob(f"{source.id}-*.spool.jsonl")):
        ingest_spool(con, leftover, source, window, run_id, counts)  # a crashed run's pages
    try:
        path = run_listing(source, settings.crawl, window.since, db.known_urls(con, source.id),
                           spool_dir, registry.allowed_hosts())
    except RadarError as exc:
        _fail(con, run_id, counts, source, source.url, exc)
        return
    ingest_spool(con, path, source, window, run_id, counts)


def crawl(con: duckdb.DuckDBPyConnection, settings: Settings, registry: Registry,
          source_ids: list[str] | None = None, window: CrawlWindow | None = None,
          progress: Callable[[str], None] | None = None) -> CrawlCounts:
    """Crawl the selected (default: all enabled) sources into the store.

    Each source's failure is recorded and the run goes on. Returns the counts.
    """
    window = window or CrawlWindow()
    sources = [registry.get(s) for s in source_ids] if source_ids else registry.enabled()
    db.upsert_sources(con, registry.sources)
    run_id = db.start_run(con, "crawl")
    counts = CrawlCounts()
    error = None
    try:
        for source in sources:
            if progress:
                progress(source.id)
            if source.kind == "listing":
                crawl_listing(con, settings, registry, source, window, run_id, counts)
                continue
            with Fetcher(settings.crawl, registry.allowed_hosts(), source_id=source.id) as fetcher:
                if source.kind == "feed":
                    crawl_feed(con, fetcher, source, window, run_id, counts)
                elif source.kind == "api":
                    crawl_api(con, fetcher, source, window, run_id, counts)
                else:
                    _fail(con, run_id, counts, source, source.url,
                          BadInputError(f"source kind {source.kind!r} not crawlable yet"))
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        db.finish_run(con, run_id, counts.as_dict(), error)
    return counts
