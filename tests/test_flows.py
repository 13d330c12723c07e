"""prefect.yaml deployments, schedules across DST, transient-only retries, flow-run records."""

from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from prefect import flow, task
from prefect.flows import load_flow_from_entrypoint
from prefect.server.schemas.schedules import CronSchedule
from prefect.states import Failed

from config.errors import BadInputError, TransientError
from config.settings import OpsSettings
from flows.common import recorded, retry_options, transient_only
from store.db import open_reader

ROOT = Path(__file__).resolve().parent.parent
TAIPEI = ZoneInfo("Asia/Taipei")


def _config():
    return yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))


def _deployments():
    return {d["name"]: d for d in _config()["deployments"]}


def test_every_entrypoint_loads_and_parameters_validate():
    deployments = _deployments()
    assert {"crawl-feeds", "crawl-listings", "enrich", "daily-digest", "alerts", "daily",
            "commentary"} <= set(deployments)
    for d in deployments.values():
        f = load_flow_from_entrypoint(str(ROOT / d["entrypoint"]))
        validated = f.validate_parameters(d.get("parameters") or {})
        assert set(validated) >= set(d.get("parameters") or {})


def test_schedules_share_definitions_pool_and_taipei_time():
    deployments = _deployments()
    expected = {"crawl-feeds": "*/30 * * * *", "crawl-listings": "5 */3 * * *",
                "daily-digest": "0 7 * * *", "alerts": "7,22,37,52 * * * *"}
    for name, cron in expected.items():
        (schedule,) = deployments[name]["schedules"]
        assert schedule == {"cron": cron, "timezone": "Asia/Taipei"}
    assert all(d["work_pool"]["name"] == "radar-local" for d in deployments.values())
    assert deployments["crawl-feeds"]["parameters"]["enrich_after"] is True
    # the polls that enrich go to radar serve's model-holding runner (radar/models_runner.py)
    assert {n for n, d in deployments.items() if d["work_pool"]["work_queue_name"] == "models"} \
        == {"crawl-feeds", "enrich"}
    assert deployments["crawl-listings"]["parameters"]["enrich_after"] is True
    assert "schedules" not in deployments["commentary"]


def _daily_runs(schedule: dict, start: datetime, end: datetime) -> list[datetime]:
    cron = CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])
    dates = cron.get_dates(n=1000, start=start, end=end)
    if inspect.isawaitable(dates):  # sync-compatible: a coroutine when a loop is running here
        with ThreadPoolExecutor(max_workers=1) as pool:  # so run it on a loop of its own
            dates = pool.submit(asyncio.run, dates).result()
    return [datetime.fromisoformat(d.isoformat()) for d in dates]


@pytest.mark.parametrize("start,end", [
    ("2025-03-01", "2025-04-10"),  # US springs forward 03-09, EU 03-30
    ("2025-10-15", "2025-11-15"),  # EU falls back 10-26, US 11-02
    ("2025-01-01", "2026-01-01"),  # a whole year
])
def test_digest_runs_once_per_taipei_day_across_us_and_eu_dst(start, end):
    (schedule,) = _deployments()["daily-digest"]["schedules"]
    lo = datetime.fromisoformat(start).replace(tzinfo=TAIPEI)
    hi = datetime.fromisoformat(end).replace(tzinfo=TAIPEI)
    runs = _daily_runs(schedule, lo, hi)
    days = [r.astimezone(TAIPEI).date() for r in runs]
    assert len(days) == len(set(days)) == (hi.date() - lo.date()).days
    assert all(r.astimezone(TAIPEI).hour == 7 and r.astimezone(TAIPEI).minute == 0 for r in runs)
    assert all(r.astimezone(UTC).hour == 23 for r in runs)  # 07:00 +08:00, every day
    gaps = {b - a for a, b in zip(runs, runs[1:], strict=False)}
    assert gaps == {timedelta(hours=24)}


def test_the_dst_check_catches_a_schedule_in_a_dst_zone():
    """The same check fails for 07:00 New York: its runs drift by an hour in Taipei."""
    lo = datetime(2025, 3, 1, tzinfo=TAIPEI)
    runs = _daily_runs({"cron": "0 7 * * *", "timezone": "America/New_York"}, lo,
                       lo + timedelta(days=30))
    assert {r.astimezone(TAIPEI).hour for r in runs} == {19, 20}
    assert {b - a for a, b in zip(runs, runs[1:], strict=False)} != {timedelta(hours=24)}


def test_bad_parameter_is_rejected():
    from prefect.exceptions import ParameterTypeError

    f = load_flow_from_entrypoint(str(ROOT / "flows/digest.py:digest_flow"))
    with pytest.raises(ParameterTypeError):
        f.validate_parameters({"profile": {"not": "a string"}})


def test_retry_condition_retries_transient_errors_only():
    assert transient_only(None, None, Failed(data=TransientError("HTTP 503")))
    assert not transient_only(None, None, Failed(data=BadInputError("broken feed")))
    assert not transient_only(None, None, Failed(data=ValueError("bug")))
    opts = retry_options(OpsSettings(task_retries=3, retry_delay_s=10))
    assert opts["retries"] == 3 and opts["retry_delay_seconds"] == [10, 20, 40]


_CALLS: dict[str, int] = {}


@task
def _flaky(key: str, exc_type: str, failures: int) -> str:
    _CALLS[key] = _CALLS.get(key, 0) + 1
    if _CALLS[key] <= failures:
        raise (TransientError if exc_type == "transient" else BadInputError)(f"try {_CALLS[key]}")
    return "ok"


@flow
def _retrying_flow(key: str, exc_type: str, failures: int) -> str:
    opts = retry_options(OpsSettings(task_retries=3, retry_delay_s=0))
    return _flaky.with_options(**opts)(key, exc_type, failures, return_state=True).name


def test_tasks_retry_transient_errors_and_not_bad_input(prefect_harness):
    assert _retrying_flow("t", "transient", 2) == "Completed"
    assert _CALLS["t"] == 3
    assert _retrying_flow("b", "bad", 1) == "Failed"
    assert _CALLS["b"] == 1


@flow
def _recorded_flow(db: str, fail: bool) -> dict:
    from config.settings import load_settings

    settings = load_settings(db_path=db)
    with recorded("probe", settings, {"fail": fail}) as counts:
        counts["items"] = 3
        if fail:
            raise BadInputError("the feed is broken")
    return counts


def test_every_flow_run_is_recorded_with_counts_and_errors(prefect_harness, tmp_path):
    db = str(tmp_path / "radar.duckdb")
    _recorded_flow(db, False)
    with pytest.raises(BadInputError):
        _recorded_flow(db, True)
    with open_reader(db) as con:
        rows = con.execute("SELECT status, counts, error, parent_id, finished_at IS NOT NULL "
                           "FROM flow_runs ORDER BY started_at").fetchall()
    assert [r[0] for r in rows] == ["ok", "failed"]
    assert all('"items": 3' in r[1] for r in rows)
    assert rows[1][2] == "BadInputError: the feed is broken"
    assert all(r[3] is None and r[4] for r in rows)
