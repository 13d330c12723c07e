"""Prefect flow: crawl sources into the store (one task per source, transient retries)."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.settings import load_settings
from crawlers.crawl import CrawlWindow, crawl, is_mirrored, source_retry_wait
from crawlers.registry import load_registry
from flows.common import host_tags, recorded, retry_options
from store.db import opened

log = logging.getLogger(__name__)


@task(name="crawl-source", cache_policy=NO_CACHE)
def crawl_source(source_id: str, since: str | None, until: str | None, replay: bool,
                 overrides: dict | None = None) -> dict:
    """Crawl one source (by id) and return its outcome counts.

    When the source's entry point fails transiently (timeout, 429/5xx), the source is crawled
    again after a backoff that honours the server's Retry-After (see `source_retry_wait`);
    a bad input (broken feed, changed layout) is recorded and not retried. The store is held
    (writer lock) for one attempt at a time; a store that stays busy or cannot be written
    raises a TransientError, which the task's retry policy retries.
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


@task(name="skip-unmirrored", cache_policy=NO_CACHE)
def skip_unmirrored(source_ids: list[str], overrides: dict | None = None) -> dict:
    """Record sources that no mirror host serves as skipped, in one pass (demo, tests)."""
    settings = load_settings(**(overrides or {}))
    with opened(settings.db_path) as con:
        counts = crawl(con, settings, load_registry(settings.sources_file), source_ids)
    return {sid: dict(counts.by_source.get(sid, {})) for sid in source_ids}


def _record_failure(settings, source_id: str, started: datetime, reason: str) -> None:
    """A source task that never finished (time cap, store unavailable) counts for its health."""
    from store.runs import record_source_run

    try:
        with opened(settings.db_path) as con:
            record_source_run(con, f"crawl-task-{started:%Y%m%dT%H%M%S}-{source_id}", source_id,
                              started, "failed", 0, 0, 0, reason)
    except Exception:  # the store is what failed: Prefect keeps the task's failure
        log.warning("could not record the failure of source %s", source_id, exc_info=True)


def _totals(results: dict[str, dict]) -> dict:
    totals: dict[str, int] = {"sources": len(results), "failed_sources": 0}
    for res in results.values():
        totals["failed_sources"] += 1 if "failed" in res else 0
        for key, value in res.items():
            if isinstance(value, int) and key != "attempts":
                totals[key] = totals.get(key, 0) + value
    return totals


@flow(name="crawl")
def crawl_flow(source_ids: list[str] | None = None, kinds: list[str] | None = None,
               since: str | None = None, until: str | None = None, replay: bool = False,
               overrides: dict | None = None, enrich_after: bool = False,
               models: object | None = None) -> dict:
    """Crawl the selected sources (default: every enabled source; optionally only some kinds).

    Each source is one task, tagged ``host:<name>`` for every host it fetches from, so the
    per-host concurrency limits that `radar serve` creates keep flows on several workers from
    hitting one site at once. A source that hangs is cut at ``ops.source_timeout_s`` and
    recorded as failed; the run goes on.

    Args:
        source_ids: source ids from sources.yaml; None = all enabled.
        kinds: restrict to these kinds (feed, listing, api, sitemap).
        since: ISO instant; only items published after it.
        until: ISO instant; only items published before it.
        replay: treat documents as first seen at their publication time (demo).
        overrides: settings overrides (e.g. the demo's host map).
        enrich_after: run the enrich flow (and its alerts) when the crawl is done.
        models: loaded ``nlp.enrich.Models`` for that enrich flow (the runner of `radar serve`
            passes its own, radar/models_runner.py); None: the enrichment loads them.
    """
    settings = load_settings(**(overrides or {}))
    registry = load_registry(settings.sources_file)
    ids = source_ids or [s.id for s in registry.enabled() if not kinds or s.kind in kinds]
    params = {"source_ids": source_ids, "kinds": kinds, "since": since, "until": until,
              "replay": replay, "enrich_after": enrich_after}
    with recorded("crawl", settings, params) as counts:
        skipped = [sid for sid in ids if not is_mirrored(registry.get(sid), settings.crawl)]
        results: dict[str, dict] = skip_unmirrored(skipped, overrides) if skipped else {}
        for sid in (s for s in ids if s not in results):
            started = datetime.now(UTC)
            task_run = crawl_source.with_options(
                tags=host_tags(registry.get(sid).hosts()),
                timeout_seconds=settings.ops.source_timeout_s, **retry_options(settings.ops))
            state = task_run(sid, since, until, replay, overrides, return_state=True)
            if state.is_completed():
                results[sid] = state.result()
            else:  # hung past the cap, or the store stayed unavailable: recorded, run goes on
                results[sid] = {"failed": state.message or state.name}
                _record_failure(settings, sid, started, results[sid]["failed"])
        counts.update(_totals(results))
        if enrich_after:
            from flows.enrich import enrich_flow

            counts["enrich"] = enrich_flow(overrides=overrides, models=models)
    return results | ({"enrich": counts["enrich"]} if enrich_after else {})
