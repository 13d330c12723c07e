"""Prefect flow: crawl sources into the store (one task per source, transient retries)."""

from __future__ import annotations

import time
from datetime import datetime

from prefect import flow, task

from crawlers.crawl import CrawlWindow, crawl, source_retry_wait
from crawlers.registry import load_registry
from radar.settings import load_settings
from store.db import opened


@task(name="crawl-source")
def crawl_source(source_id: str, since: str | None, until: str | None, replay: bool,
                 overrides: dict | None = None) -> dict:
    """Crawl one source (by id) and return its outcome counts.

    When the source's entry point fails transiently (timeout, 429/5xx), the source is crawled
    again after a backoff that honours the server's Retry-After (see `source_retry_wait`);
    a bad input (broken feed, changed layout) is recorded and not retried.
    """
    settings = load_settings(**(overrides or {}))
    registry = load_registry(settings.sources_file)
    window = CrawlWindow(
        since=datetime.fromisoformat(since) if since else None,
        until=datetime.fromisoformat(until) if until else None,
        replay=replay,
    )
    attempt = 0
    while True:
        with opened(settings.db_path) as con:
            counts = crawl(con, settings, registry, [source_id], window)
        wait = source_retry_wait(counts, source_id, attempt, settings.crawl)
        if wait is None:
            break
        time.sleep(wait)
        attempt += 1
    out = dict(counts.outcomes)
    if source_id in counts.failures:
        out["failed"] = str(counts.failures[source_id])
    out["attempts"] = attempt + 1
    return out


@flow(name="crawl")
def crawl_flow(source_ids: list[str] | None = None, kinds: list[str] | None = None,
               since: str | None = None, until: str | None = None, replay: bool = False,
               overrides: dict | None = None) -> dict:
    """Crawl the selected sources (default: every enabled source; optionally only some kinds).

    Args:
        source_ids: source ids from sources.yaml; None = all enabled.
        kinds: restrict to these kinds (feed, listing, api, sitemap).
        since: ISO instant; only items published after it.
        until: ISO instant; only items published before it.
        replay: treat documents as first seen at their publication time (demo).
        overrides: settings overrides (e.g. the demo's host map).
    """
    settings = load_settings(**(overrides or {}))
    registry = load_registry(settings.sources_file)
    ids = source_ids or [s.id for s in registry.enabled() if not kinds or s.kind in kinds]
    return {sid: crawl_source(sid, since, until, replay, overrides) for sid in ids}
