"""Source health: last success, last new item, consecutive failures, items per day, flags."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from config.settings import CrawlSettings
from crawlers.registry import Registry, Source
from store.documents import last_run_seen, replay_clock, source_activity

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
    flags: tuple[str, ...]  # stale | failing | layout | blocked | ended | unavailable | empty | never-crawled
    note: str = ""
    seen_last_run: int | None = None  # items its latest run fetched (stored or already known)


def usual_interval(published: list[datetime]) -> timedelta | None:
    """Median gap between consecutive publications (None with fewer than 3 items)."""
    times = sorted(t for t in published if t is not None)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if b > a]
    if len(gaps) < 2:
        return None
    return statistics.median(gaps)


def health_clock(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> datetime:
    """The instant health is judged at: `now` when given; else, when the latest crawl replayed
    time (the demo), its replayed instant — a replayed store lives in its own time, and judged
    by today's clock every source in it would be years overdue; else the wall clock."""
    return now or replay_clock(con) or datetime.now(UTC)


def source_health(con: duckdb.DuckDBPyConnection, source: Source, crawl: CrawlSettings,
                  now: datetime | None = None) -> SourceHealth:
    """Health of one source from its recorded runs and documents.

    A source is *stale* when its newest item is older than `stale_factor` x its usual gap
    between items; *failing* after `failing_after` consecutive failed runs; *layout* when its
    last run found a listing page with zero items (the page's layout changed); *blocked* when
    its last run was refused (robots.txt, a WAF challenge); *ended* when its feed says it was
    retired; *unavailable* when the registry knows it cannot be crawled (`Source.unavailable`)
    and no run has shown otherwise; *empty* when it runs fine but brought no item at all in the
    last WINDOW_DAYS (none of its own and none already stored under another source).
    `now` defaults to `health_clock`.
    """
    now = health_clock(con, now)
    facts = source_activity(con, source.id, now - timedelta(days=WINDOW_DAYS))
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
    seen = last_run_seen(con, source.id) if runs else None
    if last == "ok" and not facts["recent_items"]:
        if seen:  # e.g. a Federal Register agency query whose documents a wider query stored
            note = note or (f"its last run fetched {seen} item(s), all already stored under "
                            "another source")
        else:
            flags.append("empty")
    return SourceHealth(
        source_id=source.id, kind=source.kind, last_success=facts["last_success"],
        last_new_item=facts["last_new_item"], last_published=last_pub,
        consecutive_failures=failures,
        items_per_day=facts["recent_items"] / WINDOW_DAYS,
        usual_interval_h=gap.total_seconds() / 3600 if gap is not None else None,
        flags=tuple(flags), note=note, seen_last_run=seen,
    )


def registry_health(con: duckdb.DuckDBPyConnection, registry: Registry, crawl: CrawlSettings,
                    now: datetime | None = None, include_disabled: bool = False) -> list[SourceHealth]:
    """Health of every (enabled) source, in registry order, all judged at one instant
    (`health_clock`)."""
    sources = registry.sources if include_disabled else registry.enabled()
    now = health_clock(con, now)
    return [source_health(con, s, crawl, now) for s in sources]
