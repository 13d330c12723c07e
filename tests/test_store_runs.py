"""Run records in a real DuckDB file: `stage(...)` writes a stage run as running, then ok with
its counts or failed with the error and the counts so far; flow runs and source runs."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from config.errors import TransientError
from store.db import connect
from store.runs import finish_flow_run, recent_flow_runs, record_source_run, stage, start_flow_run


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "radar.duckdb")
    yield con
    con.close()


def _runs(con) -> list[tuple]:
    return [(flow, status, json.loads(counts) if counts else None, error)
            for flow, status, counts, error in con.execute(
                "SELECT flow, status, counts, error FROM runs ORDER BY started_at, id").fetchall()]


def test_a_stage_is_running_while_its_block_runs_then_ok_with_its_counts(con):
    with stage(con, "digest") as run:
        assert _runs(con) == [("digest", "running", None, None)]
        assert run.id.startswith("digest-")
        run.counts = {"stories": 9}
    assert _runs(con) == [("digest", "ok", {"stories": 9}, None)]


def test_a_stage_that_raises_is_failed_with_the_error_and_the_counts_so_far(con):
    with pytest.raises(TransientError, match="store busy"), stage(con, "crawl") as run:
        run.counts = {"sources": 2}
        raise TransientError("store busy")
    assert _runs(con) == [("crawl", "failed", {"sources": 2}, "TransientError: store busy")]


def test_source_runs_and_flow_runs(con):
    now = datetime(2025, 4, 3, tzinfo=UTC)
    record_source_run(con, "crawl-1", "wh-news", now, "ok", 3, 1, 0)
    record_source_run(con, "crawl-1", "wh-news", now, "layout", 0, 0, 1, "no items")  # replaced
    assert con.execute("SELECT status, errors, detail FROM source_runs").fetchall() == [
        ("layout", 1, "no items")]
    start_flow_run(con, "f1", "digest", "daily-digest", None, {"date": "2025-04-03"})
    finish_flow_run(con, "f1", {"stories": 9})
    (run,) = recent_flow_runs(con)
    assert (run.flow, run.status, run.counts, run.error) == ("digest", "ok", {"stories": 9}, None)
