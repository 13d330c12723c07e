"""`radar status`: last flow runs, failures, queue lag and source health at a glance.

Everything comes from the published read copy of the store (never blocked by a writer) and,
when `radar serve` runs, from the Prefect API (runs waiting past their scheduled time).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from config.settings import Settings
from store.alerts import recent_alerts
from store.db import open_reader
from store.runs import FlowRun, backlog, failed_flow_runs, recent_flow_runs
from store.snapshot import holder, is_locked, latest_snapshot


@dataclass(frozen=True)
class QueueLag:
    """Prefect runs that should have started: how many and the longest wait."""

    late: int
    longest_s: float
    running: int
    error: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """What `radar status` shows."""

    now: datetime
    serve: dict | None
    writer: dict | None  # who holds the store's writer lock now
    snapshot_at: datetime | None
    runs: list[FlowRun]
    failures: list[FlowRun]
    interrupted: list[str]  # ids of runs still 'running' whose process is gone
    backlog: dict[str, int]
    lag: QueueLag | None
    sources: list = field(default_factory=list)  # crawlers.health.SourceHealth
    alerts: list[tuple] = field(default_factory=list)


def _alive(run: FlowRun) -> bool | None:
    """Whether a 'running' run's process still lives (None: another host, cannot tell)."""
    if run.host != socket.gethostname():
        return None
    try:
        os.kill(run.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def queue_lag(api_url: str, now: datetime, grace_s: float = 60.0) -> QueueLag:
    """Scheduled or pending Prefect runs past their start time (and how many run now)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_URL, temporary_settings

    def by_type(*types):
        return FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(types))))

    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}), \
                get_client(sync_client=True) as client:
            waiting = client.read_flow_runs(
                flow_run_filter=by_type(StateType.SCHEDULED, StateType.PENDING), limit=200)
            running = client.read_flow_runs(flow_run_filter=by_type(StateType.RUNNING), limit=200)
    except Exception as exc:  # the server is down or unreachable: say so, show the rest
        return QueueLag(0, 0.0, 0, f"{type(exc).__name__}: {exc}")
    lags = [(now - r.expected_start_time).total_seconds() for r in waiting
            if r.expected_start_time is not None]
    late = [x for x in lags if x > grace_s]
    return QueueLag(len(late), max(late, default=0.0), len(running))


def collect(settings: Settings, now: datetime | None = None, failures_hours: float = 24.0,
            with_prefect: bool = True) -> StatusReport:
    """Gather the status report.

    Args:
        settings: loaded settings.
        now: the report's instant (default: now).
        failures_hours: how far back failures are listed.
        with_prefect: ask the running server for queue lag.
    """
    from crawlers.health import registry_health
    from crawlers.registry import load_registry
    from radar.serve import read_state

    asked = now  # source health is judged at this instant, else at the store's own clock
    now = now or datetime.now(UTC)
    registry = load_registry(settings.sources_file)
    with open_reader(settings) as con:
        runs = recent_flow_runs(con, limit=15)
        failures = failed_flow_runs(con, now - timedelta(hours=failures_hours))
        pending = backlog(con)
        sources = registry_health(con, registry, settings.crawl, asked)
        alerts = recent_alerts(con, limit=10)
        running = con.execute("SELECT id, host, pid FROM flow_runs WHERE status = 'running'"
                              ).fetchall()
    interrupted = [rid for rid, host, pid in running
                   if _alive(FlowRun(rid, "", None, None, now, None, "running", {}, None, host,
                                     pid)) is False]
    snap = latest_snapshot(settings.db_path)
    snapshot_at = datetime.fromtimestamp(snap.stat().st_mtime, UTC) if snap else None
    serve = read_state(settings)
    lag = queue_lag(serve["api_url"], now) if (serve and with_prefect) else None
    writer = holder(settings.db_path) if is_locked(settings.db_path) else None
    return StatusReport(now, serve, writer, snapshot_at, runs, failures, interrupted, pending,
                        lag, sources, alerts)


def as_dict(report: StatusReport) -> dict:
    """The report as plain JSON-ready data."""
    def run(r: FlowRun) -> dict:
        return {"id": r.id, "flow": r.flow, "deployment": r.deployment, "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "counts": r.counts, "error": r.error}

    return {
        "now": report.now.isoformat(), "serve": report.serve, "writer": report.writer,
        "snapshot_at": report.snapshot_at.isoformat() if report.snapshot_at else None,
        "runs": [run(r) for r in report.runs], "failures": [run(r) for r in report.failures],
        "interrupted": report.interrupted, "backlog": report.backlog,
        "queue_lag": report.lag.__dict__ if report.lag else None,
        "sources": [{"id": h.source_id, "kind": h.kind, "flags": list(h.flags),
                     "consecutive_failures": h.consecutive_failures,
                     "last_success": h.last_success.isoformat() if h.last_success else None}
                    for h in report.sources],
        "alerts": [{"created_at": a[0].isoformat(), "watch": a[1], "story": a[2],
                    "status": a[3], "attempts": a[4], "error": a[5]} for a in report.alerts],
    }


def _when(t: datetime | None, tz) -> str:
    return t.astimezone(tz).strftime("%m-%d %H:%M") if t else "-"


def _took(r: FlowRun) -> str:
    if not r.finished_at:
        return "-"
    secs = (r.finished_at - r.started_at).total_seconds()
    return f"{secs:.0f}s" if secs < 120 else f"{secs / 60:.1f}m"


def _counts_line(counts: dict) -> str:
    flat = {k: v for k, v in counts.items() if isinstance(v, int | float) and not isinstance(v, bool)}
    return ", ".join(f"{k}={v}" for k, v in list(flat.items())[:5])


def render(report: StatusReport, console, timezone: str) -> None:
    """Print the report as a few short tables (times in the digest time zone)."""
    from zoneinfo import ZoneInfo

    from rich.table import Table

    tz = ZoneInfo(timezone)
    if report.serve:
        console.print(f"radar serve: running (pid {report.serve.get('pid')}), Prefect UI "
                      f"{report.serve.get('ui_url')}, services {report.serve.get('services')}")
    else:
        console.print("radar serve: not running")
    if report.writer:
        console.print(f"store writer: {report.writer.get('what')} (pid {report.writer.get('pid')}"
                      f" on {report.writer.get('host')}, since {report.writer.get('since')})")
    console.print(f"read copy as of {_when(report.snapshot_at, tz)} ({timezone})")
    runs = Table("flow", "deployment", "started", "took", "status", "counts", "error",
                 title="last flow runs")
    for r in report.runs:
        status = "killed" if r.id in report.interrupted else r.status
        runs.add_row(r.flow, r.deployment or "-", _when(r.started_at, tz), _took(r), status,
                     _counts_line(r.counts), (r.error or "")[:60])
    console.print(runs)
    if report.failures:
        failed = Table("flow", "started", "error", title="failures (last 24 h)")
        for r in report.failures:
            failed.add_row(r.flow, _when(r.started_at, tz), (r.error or "")[:100])
        console.print(failed)
    else:
        console.print("failures (last 24 h): none")
    lag = report.lag
    if lag is None:
        console.print("queue lag: - (no Prefect server; start it with `radar serve`)")
    elif lag.error:
        console.print(f"queue lag: Prefect API not reachable ({lag.error[:80]})")
    else:
        console.print(f"queue lag: {lag.late} run(s) late, longest {lag.longest_s:.0f}s; "
                      f"{lag.running} running")
    console.print("backlog: " + ", ".join(f"{k.replace('_', ' ')} {v}"
                                          for k, v in report.backlog.items()))
    flagged = [h for h in report.sources if h.flags and "never-crawled" not in h.flags]
    never = [h.source_id for h in report.sources if "never-crawled" in h.flags]
    console.print(f"sources: {len(report.sources) - len(flagged) - len(never)} ok, "
                  f"{len(flagged)} flagged, {len(never)} never crawled"
                  + (f" ({', '.join(never[:6])}{', …' if len(never) > 6 else ''})" if never else ""))
    if flagged:
        table = Table("source", "kind", "last success", "fails", "flags", title="source health")
        for h in flagged:
            table.add_row(h.source_id, h.kind, _when(h.last_success, tz),
                          str(h.consecutive_failures), ", ".join(h.flags))
        console.print(table)
    for a in report.alerts:
        if a[3] != "sent":
            console.print(f"alert {a[1]} / story {a[2]}: {a[3]} after {a[4]} attempt(s) "
                          f"{(a[5] or '')[:80]}")
