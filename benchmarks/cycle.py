"""One full scheduled cycle on the mirror, through `radar serve` (Prefect server + process worker).

Starts `radar serve --detach` in a temporary folder, then runs the scheduled deployments the way
their schedules would on a day: crawl-listings and crawl-feeds (each enriching and alerting
after), then daily-digest. First from an empty store over the window before the demo date
(like the demo), then again one day later (an ordinary incremental day). Prints the run time of
every deployment run and of each cycle.

    .venv/bin/python benchmarks/cycle.py [--days 30]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "demo" / "snapshot"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(api: str, name: str, parameters: dict) -> tuple[str, float, float]:
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    t0 = time.perf_counter()
    with temporary_settings(updates={PREFECT_API_URL: api}):
        run = run_deployment(name, parameters=parameters, timeout=0)
        with get_client(sync_client=True) as client:
            while True:
                run = client.read_flow_run(run.id)
                if run.state and run.state.is_final():
                    return run.state.name, run.total_run_time.total_seconds(), \
                        time.perf_counter() - t0
                time.sleep(1)


def cycle(api: str, as_of: datetime, since: datetime, host_map: dict) -> float:
    """Run one day's deployments in schedule order; returns the wall time."""
    window = {"since": since.isoformat(), "until": as_of.isoformat(), "replay": True,
              "overrides": {"crawl": {"host_map": host_map, "per_host_delay_s": 0.0}}}
    runs = [("crawl/crawl-listings", {**window, "kinds": ["listing", "sitemap"],
                                      "enrich_after": True}),
            ("crawl/crawl-feeds", {**window, "kinds": ["feed", "api"], "enrich_after": True}),
            ("digest/daily-digest", {"date": as_of.date().isoformat(),
                                     "overrides": window["overrides"]})]
    t0 = time.perf_counter()
    for name, params in runs:
        state, run_s, wall_s = _run(api, name, params)
        print(f"  {name:22s} {state:10s} run {run_s:6.1f}s  wall {wall_s:6.1f}s", flush=True)
    return time.perf_counter() - t0


def main() -> None:
    """Start serve, run two cycles, stop serve, print the times."""
    from replay.mirror import Mirror

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--date", default="2025-04-03")
    args = parser.parse_args()
    as_of = datetime.fromisoformat(f"{args.date}T07:00:00+08:00")
    work = Path(tempfile.mkdtemp(prefix="radar-cycle-"))
    env = dict(os.environ, PREFECT_HOME=str(work / "prefect"), RADAR_SERVE__PORT=str(_free_port()),
               RADAR_SERVE__STATE_DIR=str(work / "serve"), RADAR_SERVE__WEB="false",
               RADAR_DB_PATH=str(work / "data" / "radar.duckdb"), RADAR_OUT_DIR=str(work / "out"),
               RADAR_SPOOL_DIR=str(work / "spool"), PREFECT_WORKER_QUERY_SECONDS="2")
    radar = str(Path(sys.executable).with_name("radar"))
    t0 = time.perf_counter()
    subprocess.run([radar, "serve", "--detach"], cwd=work, env=env, check=True)
    print(f"radar serve ready in {time.perf_counter() - t0:.1f}s ({work})", flush=True)
    state = json.loads((work / "serve" / "serve.json").read_text())
    mirror = Mirror(SNAPSHOT, as_of).start()
    try:
        print(f"cycle 1: empty store, {args.days} days before {args.date}")
        first = cycle(state["api_url"], as_of, as_of - timedelta(days=args.days),
                      mirror.host_map())
        print(f"cycle 1 total {first:.1f}s")
        nxt = as_of + timedelta(days=1)
        mirror.set_as_of(nxt)
        print(f"cycle 2: one day later ({nxt.date()})")
        second = cycle(state["api_url"], nxt, nxt - timedelta(days=2), mirror.host_map())
        print(f"cycle 2 total {second:.1f}s")
    finally:
        mirror.stop()
        subprocess.run([radar, "stop"], cwd=work, env=env, check=False)
    subprocess.run([radar, "status"], cwd=work, env=env, check=False)


if __name__ == "__main__":
    main()
