"""One crawl run: every selected source by kind -> fetches, raw pages and documents in the store.

Each source's outcome (ok, failed, layout, blocked, ended, skipped) is recorded in `source_runs` for
source health; a source's failure never stops the run.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

import duckdb

from config.errors import (
    BadInputError,
    BlockedError,
    DeadlineError,
    FeedEndedError,
    SourceDeadlineError,
    TransientError,
)
from config.settings import CrawlSettings, Settings
from crawlers.collect import crawl_api, crawl_feed, fail
from crawlers.counts import CrawlCounts, CrawlWindow
from crawlers.fetch import Fetcher, retry_wait
from crawlers.registry import Registry, Source
from crawlers.spool import crawl_spider
from store.documents import upsert_sources
from store.runs import record_source_run, stage

__all__ = ["CrawlCounts", "CrawlWindow", "crawl", "source_retry_wait", "is_mirrored"]


def is_mirrored(source: Source, crawl_settings: CrawlSettings) -> bool:
    """With a host map (the mirror), only sources with a mapped host can be crawled."""
    return not crawl_settings.host_map or bool(source.hosts() & set(crawl_settings.host_map))


def page_cap(source: Source, window: CrawlWindow, crawl_settings: CrawlSettings) -> int:
    """The pages a source's run may read: `crawl.max_pages[source]` when set, else its
    registry max_pages scaled up to the window (max_pages covers `crawl.max_pages_days`; a
    year's window gets twelve times as many pages as a month's, never fewer than max_pages)."""
    if source.id in crawl_settings.max_pages:
        return max(1, crawl_settings.max_pages[source.id])
    if window.since is None or crawl_settings.max_pages_days <= 0:
        return source.max_pages
    end = window.until or datetime.now(UTC)
    days = (end - window.since).total_seconds() / 86400
    return max(source.max_pages, math.ceil(source.max_pages * days / crawl_settings.max_pages_days))


def _crawl_source(con, settings: Settings, registry: Registry, source: Source,
                  window: CrawlWindow, run_id: str, counts: CrawlCounts) -> None:
    """Crawl one source by kind; past `source_deadline_s` its run ends, recorded as failed
    (what it stored so far is kept, the rest waits for the next run)."""
    source = source.model_copy(update={"max_pages": page_cap(source, window, settings.crawl)})
    if source.kind in ("listing", "sitemap"):
        crawl_spider(con, settings, registry, source, window, run_id, counts)
        return
    deadline = time.monotonic() + settings.crawl.source_deadline_s
    with Fetcher(settings.crawl, registry.allowed_hosts(), source_id=source.id,
                 deadline_at=deadline) as fetcher:
        try:
            if source.kind == "feed":
                crawl_feed(con, fetcher, source, window, run_id, counts)
            elif source.kind == "api":
                crawl_api(con, fetcher, source, window, run_id, counts)
            else:  # the registry only admits the four kinds; kept for a hand-made Source
                fail(con, run_id, counts, source, source.url,
                     BadInputError(f"source kind {source.kind!r} not crawlable"), entry=True)
        except SourceDeadlineError as exc:
            fail(con, run_id, counts, source, source.url, exc, entry=True)


def _source_status(counts: CrawlCounts, source_id: str) -> tuple[str, str | None]:
    c = counts.by_source.get(source_id, {})
    failure = counts.failures.get(source_id)
    # a refusal (robots.txt, a bot wall) and a retired feed are states of the source, shown
    # as such in source health from the first run on, not as "failed" runs to count
    if isinstance(failure, BlockedError):
        return "blocked", str(failure)
    if isinstance(failure, FeedEndedError):
        return "ended", str(failure)
    if failure is not None:
        return "failed", str(failure)
    if c.get("layout_error"):
        return "layout", f"{c['layout_error']} page(s) with zero items: {counts.notes.get(source_id, '')}"
    if c.get("capped"):
        return "ok", ("stopped at its page cap with pages left: older items in the window were "
                      "not fetched (raise crawl.max_pages or crawl.max_pages_days)")
    return "ok", None


def crawl(con: duckdb.DuckDBPyConnection, settings: Settings, registry: Registry,
          source_ids: list[str] | None = None, window: CrawlWindow | None = None,
          progress: Callable[[str], None] | None = None) -> CrawlCounts:
    """Crawl the selected (default: all enabled) sources into the store.

    Each source's failure is recorded and the run goes on. With a host map set (the demo
    mirror), sources none of whose hosts are mapped are skipped and counted "not_mirrored".

    Args:
        con: the store (the only writer).
        settings: loaded settings (crawl politeness, spool directory).
        registry: the source registry.
        source_ids: sources to crawl; None = every enabled source.
        window: publication dates to collect and replay mode.
        progress: called with each source id as it starts.

    Returns:
        The counts; `failures` names sources whose entry point failed (see
        `source_retry_wait`).
    """
    window = window or CrawlWindow()
    sources = [registry.get(s) for s in source_ids] if source_ids else registry.enabled()
    upsert_sources(con, registry.sources)
    counts = CrawlCounts()
    with stage(con, "crawl") as run:
        try:
            for source in sources:
                if progress:
                    progress(source.id)
                started = datetime.now(UTC)
                if not is_mirrored(source, settings.crawl):
                    counts.add(source.id, "not_mirrored")
                    record_source_run(con, run.id, source.id, started, "skipped", 0, 0, 0,
                                      "no host of this source is in the host map")
                    continue
                _crawl_source(con, settings, registry, source, window, run.id, counts)
                status, detail = _source_status(counts, source.id)
                c = counts.by_source.get(source.id, {})
                record_source_run(con, run.id, source.id, started, status, c.get("new", 0),
                                  c.get("updated", 0), c.get("error", 0), detail)
        finally:  # the counts so far, also when a source's crawl raised
            run.counts = {**counts.as_dict(), **window.clock()}
    return counts


def source_retry_wait(counts: CrawlCounts, source_id: str, attempt: int,
                      crawl_settings: CrawlSettings) -> float | None:
    """Seconds to wait before crawling a failed source again, or None (no retry).

    Only a transient failure of the source's entry point is retried (a bad feed is not, nor
    a source run that reached its deadline),
    with exponential backoff from `backoff_s`, honouring the server's Retry-After up to
    `max_retry_after_s`, at most `source_retries` times.
    """
    exc = counts.failures.get(source_id)
    if not isinstance(exc, TransientError) or isinstance(exc, DeadlineError):
        return None  # bad input is not retried, nor a source that used up its time
    policy = crawl_settings.model_copy(update={"retries": crawl_settings.source_retries})
    return retry_wait(attempt, exc, policy)
