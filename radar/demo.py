"""`radar demo`: the full pipeline, through Prefect flows, on the bundled snapshot via the mirror."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.table import Table

from config.errors import ConfigError
from config.settings import Settings
from store.db import opened

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
DEMO_COMMENT_QUERY = "US ends de minimis for Chinese parcels"
# The morning a week after the demo day is replayed too, as the schedule would see it: the
# presidential office's responses to the reciprocal tariffs (「我國回應」, from 4/6) and METI's
# releases (from 4/6) only exist after 2025-04-03.
FOLLOW_UP_DAYS = 7


def digest_instant(settings: Settings, day: str) -> datetime:
    """The digest's cut-off instant: `day` at the digest hour, local time."""
    d = datetime.strptime(day, "%Y-%m-%d").date()
    return datetime.combine(d, dtime(settings.digest.hour), ZoneInfo(settings.timezone))


def first_feed_crawl(settings: Settings, host_map: dict[str, str]) -> list[str]:
    """Non-US feeds the mirror serves: their first crawl reads the whole feed, as a live first
    crawl of a newly added source does (no publication window), so the store reaches back past
    the month the demo replays for the sources that publish rarely (the OJ, GOV.UK)."""
    from crawlers.registry import load_registry

    return [s.id for s in load_registry(settings.sources_file).enabled()
            if s.kind == "feed" and s.country != "US" and s.hosts() & set(host_map)]


def run_demo(settings: Settings, date: str | None = None, days: int | None = None,
             console: Console | None = None, comment: str | None = DEMO_COMMENT_QUERY,
             follow_up_days: int = FOLLOW_UP_DAYS) -> dict:
    """Serve the snapshot on loopback, run the daily flow in replay mode, print a summary.

    Args:
        settings: loaded settings (store path, out dir, demo defaults).
        date: digest date (YYYY-MM-DD); default `settings.demo.date`.
        days: days before the date to crawl; default `settings.demo.days`.
        console: where to print the summary.
        comment: query of the quick-commentary draft written next to the digest (None: none).
        follow_up_days: also replay the morning this many days later (0: only the demo day),
            crawling what appeared in between and writing that day's digest too.

    Returns:
        The daily flow's result plus store totals.
    """
    from flows.commentary import commentary_flow
    from flows.crawl import crawl_flow
    from flows.daily import daily_flow
    from replay.mirror import Mirror

    console = console or Console(stderr=True)
    date = date or settings.demo.date
    days = days if days is not None else settings.demo.days
    if not SNAPSHOT_DIR.is_dir():
        raise ConfigError(f"bundled snapshot missing: {SNAPSHOT_DIR}")
    as_of = digest_instant(settings, date)
    since = as_of - timedelta(days=days)
    t0 = time.perf_counter()
    mirror = Mirror(SNAPSHOT_DIR, as_of, port=settings.demo.port).start()
    try:
        overrides = {"crawl": {"host_map": mirror.host_map(), "per_host_delay_s": 0.0},
                     "db_path": str(settings.db_path), "out_dir": str(settings.out_dir),
                     "spool_dir": str(settings.spool_dir)}
        console.print(f"mirror of the snapshot on {mirror.base_url}, as of {as_of.isoformat()}")
        t1 = time.perf_counter()
        first = first_feed_crawl(settings, mirror.host_map())
        if first:
            crawl_flow(source_ids=first, until=as_of.isoformat(), replay=True, overrides=overrides)
        first_s = time.perf_counter() - t1
        result = daily_flow(date=date, since=since.isoformat(), until=as_of.isoformat(),
                            replay=True, overrides=overrides)
        if comment:
            t1 = time.perf_counter()
            out = Path(settings.out_dir)
            result["commentary"] = commentary_flow(
                query=comment, until=date, out_md=str(out / f"commentary-{date}.md"),
                out_docx=str(out / f"commentary-{date}.docx"), overrides=overrides)
            result["timings"]["commentary"] = time.perf_counter() - t1
        result["timings"] = {"first crawl (non-US feeds)": first_s, **result["timings"]}
        if follow_up_days > 0:
            later = as_of + timedelta(days=follow_up_days)
            later_date = later.date().isoformat()
            mirror.set_as_of(later)
            t1 = time.perf_counter()
            follow = daily_flow(date=later_date, since=as_of.isoformat(), until=later.isoformat(),
                                replay=True, overrides=overrides)
            result["timings"][f"follow-up {later_date}"] = time.perf_counter() - t1
            result["digest"] = [*result["digest"], *follow["digest"]]
            result["follow_up"] = {"date": later_date, "crawl": follow["crawl"]}
    finally:
        mirror.stop()
    with opened(settings.db_path) as con:
        totals = {
            "documents": con.execute("SELECT count(*) FROM documents").fetchone()[0],
            "stories": con.execute("SELECT count(*) FROM stories WHERE status = 'active'").fetchone()[0],
            "sources": con.execute("SELECT count(DISTINCT source_id) FROM documents").fetchone()[0],
            "digest_stories": con.execute(
                "SELECT count(*) FROM digest_items WHERE digest_id LIKE ?", [f"{date}%"]
            ).fetchone()[0],
            "errors": con.execute("SELECT count(*) FROM item_errors").fetchone()[0],
            "countries": con.execute(
                "SELECT count(DISTINCT s.country) FROM documents d JOIN sources s ON s.id = d.source_id"
            ).fetchone()[0],
            "languages": con.execute(
                "SELECT count(DISTINCT d.language) FROM documents d WHERE d.language IS NOT NULL"
            ).fetchone()[0],
        }
    result["totals"] = totals
    result["capped"] = _capped(settings, result.get("crawl") or {}, since, as_of)
    _print_summary(console, date, days, result, time.perf_counter() - t0)
    return result


def _capped(settings: Settings, crawled: dict, since: datetime, until: datetime) -> dict[str, int]:
    """Sources whose run stopped at its page cap with pages left -> that cap (pages)."""
    from crawlers.counts import CrawlWindow
    from crawlers.crawl import page_cap
    from crawlers.registry import load_registry

    registry = load_registry(settings.sources_file)
    window = CrawlWindow(since=since, until=until, replay=True)
    return {sid: page_cap(registry.get(sid), window, settings.crawl)
            for sid, counts in crawled.items()
            if isinstance(counts, dict) and counts.get("capped")}


def _print_summary(console: Console, date: str, days: int, result: dict, wall: float) -> None:
    totals, timings = result["totals"], result["timings"]
    console.print(f"[bold]policy-radar demo[/bold] — digest {date} (crawled the {days} days before)")
    table = Table()
    table.add_column("what")
    table.add_column("value", justify="right")
    for key in ("documents", "stories", "sources", "countries", "languages", "digest_stories", "errors"):
        table.add_row(key.replace("_", " "), str(totals[key]))
    for stage, secs in timings.items():
        table.add_row(f"time: {stage}", f"{secs:.1f} s")
    table.add_row("time: total", f"{wall:.1f} s")
    console.print(table)
    for sid, pages in result.get("capped", {}).items():  # a cut replay is said, never silent
        console.print(f"[yellow]warning:[/yellow] {sid} stopped at its cap of {pages} pages with "
                      "more left: older documents in the window were not fetched (raise "
                      f"crawl.max_pages.{sid} or crawl.max_pages_days in radar.toml)",
                      soft_wrap=True)
    for path in result["digest"]:
        console.print(f"wrote {path}")
    comment = result.get("commentary") or {}
    for key in ("markdown", "docx"):
        if comment.get(key):
            console.print(f"wrote {comment[key]}")
