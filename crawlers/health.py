"""Source health: last success, last new item, consecutive failures, items per day, flags."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from crawlers.registry import Registry, Source
from radar.settings import CrawlSettings
from store import documents as db

WINDOW_DAYS = 30


@dataclass(frozen=True)
class SourceHealth:
    """One source's health as of an instant."""

    source_id: str
    kind: str
    last_success: datetime | None
    last_new_item: datetime | None
    last_published: datetime | None
    consecutive_failures: int
    items_per_day: float
    usual_interval_h: float | None  # median gap between the source's items
    flags: tuple[str, ...]  # stale | failing | layout | blocked | ended | unavailable | never-crawled
    note: str = ""


def usual_interval(published: list[datetime]) -> timedelta | None:
    """Median gap between consecutive publications (None with fewer than 3 items)."""
    times = sorted(t for t in published if t is not None)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    if len(gaps) < 2:
        return None
    return statistics.median(gaps)


def source_health(con: duckdb.DuckDBPyConnection, source: Source, crawl: CrawlSettings,
                  now: datetime | None = None) -> SourceHealth:
    """Health of one source from its recorded runs and documents.

    A source is *stale* when its newest item is older than `stale_factor` x its usual gap
    between items; *failing* after `failing_after` consecutive failed runs; *layout* when its
    last run found a listing page with zero items (the page's layout changed); *blocked* when
    its last run was refused (robots.txt, a WAF challenge); *ended* when its feed says it was
    retired; *unavailable* when the registry knows it cannot be crawled (`Source.unavailable`)
    and no run has shown otherwise.
    """
    now = now or datetime.now(UTC)
    facts = db.source_activity(con, source.id, now - timedelta(days=WINDOW_DAYS))
    runs = facts["runs"]
    failures = 0
    for status, _ in runs:
        if status == "ok":
            break
        failures += 1
    published = facts["published"]
    last_pub = max(published) if published else None
    gap = usual_interval(published)
    flags, note = [], ""
    if not runs:
        flags.append("never-crawled")
    last = runs[0][0] if runs else None
    if last in ("layout", "blocked", "ended"):
        flags.append(last)
        note = runs[0][1] or ""
    if source.unavailable and last != "ok":
        flags.append("unavailable")
        note = note or source.unavailable
    # a refused or retired source is in a state, said by its own flag, not a run of bad luck
    if failures >= crawl.failing_after and last not in ("blocked", "ended"):
        flags.append("failing")
        note = note or (runs[0][1] or "")
    if gap is not None and last_pub is not None and now - last_pub > crawl.stale_factor * gap:
        flags.append("stale")
    return SourceHealth(
        source_id=source.id, kind=source.kind, last_success=facts["last_success"],
        last_new_item=facts["last_new_item"], last_published=last_pub,
        consecutive_failures=failures,
        items_per_day=facts["recent_items"] / WINDOW_DAYS,
        usual_interval_h=gap.total_seconds() / 3600 if gap is not None else None,
        flags=tuple(flags), note=note,
    )


def registry_health(con: duckdb.DuckDBPyConnection, registry: Registry, crawl: CrawlSettings,
                    now: datetime | None = None, include_disabled: bool = False) -> list[SourceHealth]:
    """Health of every (enabled) source, in registry order."""
    sources = registry.sources if include_disabled else registry.enabled()
    return [source_health(con, s, crawl, now) for s in sources]
