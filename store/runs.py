"""Run records, all in one place, and the queries behind `radar status`.

* `runs`: one row per stage run (crawl, enrich, digest) written by the stage's runner through
  `stage(...)`: running, then ok with its counts or failed with the error;
* `source_runs`: each source's outcome inside a crawl run;
* `flow_runs`: one row per Prefect flow run (flows/common.py `recorded`), with host and pid so
  `radar status` can tell a dead run from a live one.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from store.db import one


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
    counts: dict[str, Any]
    error: str | None
    host: str
    pid: int


def start_run(con: duckdb.DuckDBPyConnection, flow: str) -> str:
    """Open a run row; returns its id."""
    run_id = f"{flow}-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    con.execute(
        "INSERT INTO runs (id, flow, started_at, status) VALUES (?, ?, ?, 'running')",
        [run_id, flow, datetime.now(UTC)],
    )
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, counts: dict[str, Any],
               error: str | None = None) -> None:
    """Close a run row with its counts (and error when it failed)."""
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
        [datetime.now(UTC), "failed" if error else "ok", json.dumps(counts, default=str), error,
         run_id],
    )


def record_source_run(con: duckdb.DuckDBPyConnection, run_id: str, source_id: str,
                      started_at: datetime, status: str, new: int, updated: int, errors: int,
                      detail: str | None = None) -> None:
    """Record one source's outcome in a crawl run (ok | failed | layout | skipped)."""
    con.execute(
        "INSERT INTO source_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
        "finished_at = excluded.finished_at, status = excluded.status, "
        "new_items = excluded.new_items, updated_items = excluded.updated_items, "
        "errors = excluded.errors, detail = excluded.detail",
        [run_id, source_id, started_at, datetime.now(UTC), status, new, updated, errors,
         (detail or "")[:1000] or None],
    )


@dataclass
class StageRun:
    """A stage run being recorded: the runner sets `counts` as it learns them."""

    id: str
    counts: dict[str, Any] = field(default_factory=dict[str, Any])


@contextmanager
def stage(con: duckdb.DuckDBPyConnection, name: str) -> Iterator[StageRun]:
    """Record the block as one run of stage `name` in `runs`.

    The row is written as running first; when the block ends it is closed as ok with the
    counts the runner set, and when the block raises, as failed with the error and the counts
    set so far (the error goes on).

    Example:
        >>> with stage(con, "digest") as run:  # doctest: +SKIP
        ...     run.counts = {"stories": 9}
    """
    run = StageRun(start_run(con, name))
    try:
        yield run
    except BaseException as exc:
        finish_run(con, run.id, run.counts, f"{type(exc).__name__}: {exc}")
        raise
    finish_run(con, run.id, run.counts)


def start_flow_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str,
                   deployment: str | None, parent_id: str | None, parameters: dict[str, Any]) -> None:
    """Record a flow run as running (a retried Prefect run reuses its row)."""
    con.execute(
        "INSERT INTO flow_runs (id, flow, deployment, parent_id, parameters, started_at, status, "
        "host, pid) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?) ON CONFLICT (id) DO UPDATE SET "
        "started_at = excluded.started_at, status = 'running', finished_at = NULL, "
        "error = NULL, host = excluded.host, pid = excluded.pid",
        [run_id, flow, deployment, parent_id, json.dumps(parameters, default=str),
         datetime.now(UTC), socket.gethostname(), os.getpid()],
    )


def finish_flow_run(con: duckdb.DuckDBPyConnection, run_id: str, counts: dict[str, Any],
                    error: str | None = None) -> None:
    """Close a flow run with its counts, as ok or failed."""
    con.execute(
        "UPDATE flow_runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
        [datetime.now(UTC), "failed" if error else "ok", json.dumps(counts, default=str),
         (error or "")[:2000] or None, run_id],
    )


def _row(r: tuple[Any, ...]) -> FlowRun:
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
    pending = one(con,
        "SELECT count(*) FROM documents d LEFT JOIN enrichments e ON e.doc_id = d.id "
        "WHERE e.doc_id IS NULL OR e.content_hash <> d.content_hash")[0]
    unclustered = one(con,
        "SELECT count(*) FROM enrichments e LEFT JOIN story_members m ON m.doc_id = e.doc_id "
        "WHERE e.status = 'ok' AND m.doc_id IS NULL")[0]
    alerts = one(con, "SELECT count(*) FROM alerts WHERE status <> 'sent'")[0]
    return {"documents_to_enrich": pending, "documents_without_story": unclustered,
            "alerts_not_sent": alerts}
