"""`radar serve` / `radar stop`: a real Prefect server on loopback, a process worker and the web
UI; the daily deployment runs once against the mirror and the digest appears, while the web UI
keeps answering; a second `serve` gets a clear message; `stop` ends every service."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
RADAR = str(ROOT / ".venv" / "bin" / "radar")
AS_OF = datetime.fromisoformat("2025-04-03T07:00:00+08:00")
HOLD_LOCK = """
import sys, time
from radar.serve import _take_lock
from config.settings import load_settings
_take_lock(load_settings())
print("held", flush=True)
time.sleep(float(sys.argv[1]))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict:
    return dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"),
                PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
                RADAR_SERVE__STATE_DIR=str(tmp_path / "serve"),
                RADAR_DB_PATH=str(tmp_path / "data" / "radar.duckdb"),
                RADAR_OUT_DIR=str(tmp_path / "out"), RADAR_SPOOL_DIR=str(tmp_path / "spool"),
                **extra)


def _radar(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([RADAR, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_a_second_serve_gets_a_clear_message(tmp_path):
    env = _env(tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, "60"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        second = _radar(env, "serve")
        said = " ".join(second.stderr.split())
        assert second.returncode == 2
        assert "radar serve is already running" in said and "radar stop" in said
        assert "Traceback" not in second.stderr
    finally:
        holder.kill()
        holder.wait()


def test_stop_without_serve_and_serve_on_a_taken_port(tmp_path):
    env = _env(tmp_path)
    stopped = _radar(env, "stop")
    assert stopped.returncode == 0 and "not running" in stopped.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = _radar(dict(env, RADAR_SERVE__PORT=str(port)), "serve")
    assert busy.returncode == 2 and f"port {port}" in " ".join(busy.stderr.split())


def _wait(predicate, timeout_s: float, what: str, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: serve exited {proc.returncode}")
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _state(tmp_path: Path) -> dict | None:
    try:
        state = json.loads((tmp_path / "serve" / "serve.json").read_text())
    except (OSError, ValueError):
        return None
    return state if state.get("ready") else None


def _login(web: str) -> httpx.Client:
    client = httpx.Client(base_url=web, timeout=30, follow_redirects=False)
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    done = client.post("/login", data={"username": "ops", "password": "pw-for-tests",
                                       "csrf": csrf, "next": "/sources"})
    assert done.status_code == 303, done.text[:500]
    return client


def _schedules(api: str) -> dict[str, list[tuple]]:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}), get_client(sync_client=True) as c:
        return {d.name: [(s.schedule.cron, s.schedule.timezone, s.active) for s in d.schedules]
                for d in c.read_deployments()}


def _run_daily(api: str, parameters: dict, timeout_s: float) -> tuple[str, float]:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: api}):
        run = run_deployment("daily/daily", parameters=parameters, timeout=0)
        deadline = time.monotonic() + timeout_s
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                run = client.read_flow_run(run.id)
                if run.state and run.state.is_final():
                    return run.state.name, run.total_run_time.total_seconds()
                time.sleep(1)
    raise AssertionError("the daily run did not finish in time")


@pytest.mark.slow
def test_serve_runs_the_daily_deployment_on_the_mirror_and_stops_cleanly(tmp_path, mirror):
    from web.auth import hash_password

    port, web_port = _free_port(), _free_port()
    env = _env(tmp_path, RADAR_SERVE__PORT=str(port), RADAR_WEB__PORT=str(web_port),
               RADAR_SERVE__SCHEDULES="false",
               RADAR_WEB__USERS=json.dumps({"ops": hash_password("pw-for-tests")}),
               RADAR_WEB_SECRET="test-secret-0123456789abcdef", PREFECT_WORKER_QUERY_SECONDS="2")
    log = open(tmp_path / "serve.out", "w")  # noqa: SIM115 - closed below
    serve = subprocess.Popen([RADAR, "serve"], cwd=ROOT, env=env, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
    try:
        state = _wait(lambda: _state(tmp_path), 240, "serve ready", serve)
        assert set(state["services"]) == {"server", "worker", "runner", "web"}
        schedules = _schedules(state["api_url"])
        assert schedules["daily-digest"] == [("0 7 * * *", "Asia/Taipei", False)]
        assert len(schedules) == 7 and not any(a for s in schedules.values() for *_, a in s)
        second = _radar(env, "serve")
        assert second.returncode == 2 and "already running" in " ".join(second.stderr.split())

        web = f"http://127.0.0.1:{web_port}"
        _wait(lambda: _healthy(web), 60, "web UI")
        client = _login(web)
        answers, failures = 0, []
        parameters = {"date": "2025-04-03", "since": (AS_OF - timedelta(days=1)).isoformat(),
                      "until": AS_OF.isoformat(), "replay": True,
                      "overrides": {"crawl": {"host_map": mirror.host_map(),
                                              "per_host_delay_s": 0.0}}}
        import threading

        result: dict = {}
        runner = threading.Thread(target=lambda: result.update(
            zip(("state", "seconds"), _run_daily(state["api_url"], parameters, 300),
                strict=True)))
        runner.start()
        while runner.is_alive():  # the web UI answers while crawl, enrich and digest write
            try:
                resp = client.get("/sources")
                answers += 1
                if resp.status_code != 200:
                    failures.append(resp.status_code)
            except httpx.HTTPError as exc:
                failures.append(repr(exc))
            time.sleep(0.2)
        runner.join()
        assert result["state"] == "Completed", result
        assert failures == [] and answers > 50
        digest = tmp_path / "out" / "digest-2025-04-03-default-zh-TW.md"
        assert digest.exists() and "https://www.whitehouse.gov/" in digest.read_text()
        assert client.get("/digest").status_code == 200

        status = _radar(env, "status", "--json")
        report = json.loads(status.stdout)
        daily = next(r for r in report["runs"] if r["flow"] == "daily")
        assert daily["status"] == "ok" and daily["deployment"] == "daily"
        assert report["queue_lag"]["error"] is None and report["serve"]["pid"] == serve.pid
        print(f"daily deployment on the mirror (1 day): {result['seconds']:.0f}s of run time")

        stopped = _radar(env, "stop", timeout=180)
        assert stopped.returncode == 0 and "stopped" in stopped.stderr
        serve.wait(timeout=60)
        for pid in state["services"].values():
            assert not _alive(pid), pid
        assert _radar(env, "stop").stderr.strip().endswith("not running")
    finally:
        leftover = json.loads((tmp_path / "serve" / "serve.json").read_text()).get("services", {}) \
            if (tmp_path / "serve" / "serve.json").exists() else {}
        for pid in [serve.pid, *leftover.values()]:  # only what this test started
            if _alive(pid):
                os.killpg(pid, 9)
        serve.wait(timeout=30)
        log.close()


def _healthy(web: str) -> bool:
    try:
        return httpx.get(f"{web}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()
