"""Flow-run records (start, end, counts, errors) and the queries behind `radar status`."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb


@dataclass(frozen=True)
class FlowRun:
    """One recorded flow run."""

    id: str
    flow: str
    deployment: str | None
    parent_id: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    counts: dict
    error: str | None
    host: str
    pid: int


def start_flow_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str,
                   deployment: str | None, parent_id: str | None, parameters: dict) -> None:
    """Record a flow run as running (a retried Prefect run reuses its row)."""
    con.execute(
        "INSERT INTO flow_runs (id, flow, deployment, parent_id, parameters, started_at, status, "
        "host, pid) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "started_at = excluded.started_at, status = 'running', finished_at = NULL, "
        "error = NULL, host = excluded.host, pid = excluded.pid",
        [run_id, flow, deployment, parent_id, json.dumps(parameters, default=str),
         datetime.now(UTC), socket.gethostname(), os.getpid()],
    )


def finish_flow_run(con: duckdb.DuckDBPyConnection, run_id: str, counts: dict,
                    error: str | None = None) -> None:
    """Close a flow run with its counts, as ok or failed."""
    con.execute(
        "UPDATE flow_runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
        [datetime.now(UTC), "failed" if error else "ok", json.dumps(counts, default=str),
         (error or "")[:2000] or None, run_id],
    )


def _row(r: tuple) -> FlowRun:
    return FlowRun(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]) if r[7] else {},
                   r[8], r[9], r[10])


_COLUMNS = ("id, flow, deployment, parent_id, started_at, finished_at, status, counts, error, "
            "host, pid")


def recent_flow_runs(con: duckdb.DuckDBPyConnection, limit: int = 20,
                     top_level: bool = True) -> list[FlowRun]:
    """The latest flow runs, newest first (only top-level runs unless told otherwise)."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM flow_runs WHERE (NOT ? OR parent_id IS NULL) "  # noqa: S608
        "ORDER BY started_at DESC LIMIT ?", [top_level, limit]).fetchall()
    return [_row(r) for r in rows]


def failed_flow_runs(con: duckdb.DuckDBPyConnection, since: datetime) -> list[FlowRun]:
    """Failed flow runs (any level) since an instant, newest first."""
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM flow_runs WHERE status = 'failed' "  # noqa: S608
        "AND started_at >= ? ORDER BY started_at DESC", [since]).fetchall()
    return [_row(r) for r in rows]


def last_ok(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """Per flow name: when a run of it last finished ok."""
    rows = con.execute(
        "SELECT flow, max(finished_at) FROM flow_runs WHERE status = 'ok' GROUP BY flow"
    ).fetchall()
    return {r[0]: r[1] for r in rows}


def backlog(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Work waiting in the store: documents not enriched, enriched ones in no story, alerts
    not delivered."""
    pending = con.execute(
        "SELECT count(*) FROM documents d LEFT JOIN enrichments e ON e.doc_id = d.id "
        "WHERE e.doc_id IS NULL OR e.content_hash <> d.content_hash").fetchone()[0]
    unclustered = con.execute(
        "SELECT count(*) FROM enrichments e LEFT JOIN story_members m ON m.doc_id = e.doc_id "
        "WHERE e.status = 'ok' AND m.doc_id IS NULL").fetchone()[0]
    alerts = con.execute(
        "SELECT count(*) FROM alerts WHERE status <> 'sent'").fetchone()[0]
    return {"documents_to_enrich": pending, "documents_without_story": unclustered,
            "alerts_not_sent": alerts}
