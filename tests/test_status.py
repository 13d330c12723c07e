"""`radar status`: last runs, failures, killed runs, backlog, source health, queue lag; it reads
the published copy, so it answers while another process holds the writer lock."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rich.console import Console

from config.settings import load_settings
from radar.status import as_dict, collect, queue_lag, render
from store.db import opened
from store.runs import finish_flow_run, start_flow_run

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(UTC)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _seed(settings) -> None:
    with opened(settings.db_path) as con:
        start_flow_run(con, "r-ok", "crawl", "crawl-feeds", None, {})
        finish_flow_run(con, "r-ok", {"new": 7, "sources": 3})
        start_flow_run(con, "r-bad", "digest", "daily-digest", None, {})
        finish_flow_run(con, "r-bad", {}, "TransientError: store busy")
        start_flow_run(con, "r-dead", "enrich", "enrich", None, {})
        con.execute("UPDATE flow_runs SET pid = ? WHERE id = 'r-dead'", [_dead_pid()])
        start_flow_run(con, "r-live", "alerts", "alerts", None, {})  # this process: alive
        con.execute("INSERT INTO sources (id, name, kind, url) VALUES "
                    "('wh-presidential-actions', 'x', 'listing', 'https://www.whitehouse.gov/')")
        for i in range(3):
            con.execute("INSERT INTO source_runs VALUES (?, 'wh-presidential-actions', ?, ?, "
                        "'failed', 0, 0, 1, 'HTTP 503')", [f"c{i}", NOW - timedelta(hours=i),
                                                           NOW - timedelta(hours=i)])
        con.execute("INSERT INTO documents (id, url, canonical_url, source_id, title, text, "
                    "first_seen_at, updated_at, content_hash) VALUES ('d1', 'u', 'u', "
                    "'wh-presidential-actions', 't', 'x', ?, ?, 'h')", [NOW, NOW])
        con.execute("INSERT INTO alerts (watch_id, story_id, doc_id, channel, target, link, title, "
                    "created_at, status, attempts, error) VALUES ('w', 's', 'd1', 'webhook', "
                    "'http://h', 'l', 't', ?, 'failed', 2, 'HTTP 500')", [NOW])


def test_status_report_and_rendering(settings):
    _seed(settings)
    report = collect(settings, with_prefect=False)
    assert [r.id for r in report.runs] == ["r-live", "r-dead", "r-bad", "r-ok"]
    assert [r.id for r in report.failures] == ["r-bad"]
    assert report.interrupted == ["r-dead"]
    assert report.backlog == {"documents_to_enrich": 1, "documents_without_story": 0,
                              "alerts_not_sent": 1}
    health = {h.source_id: h for h in report.sources}
    assert "failing" in health["wh-presidential-actions"].flags
    assert report.lag is None and report.serve is None

    out = io.StringIO()
    render(report, Console(file=out, width=200), "Asia/Taipei")
    text = out.getvalue()
    assert "killed" in text and "store busy" in text and "wh-presidential-actions" in text
    assert "never crawled" in text and "radar serve: not running" in text
    assert "alert w / story s: failed after 2 attempt(s)" in text
    data = as_dict(report)
    assert json.loads(json.dumps(data, default=str))["runs"][3]["counts"] == {"new": 7, "sources": 3}


def test_status_answers_while_another_process_writes(tmp_path):
    settings = load_settings(db_path=tmp_path / "radar.duckdb")
    _seed(settings)
    hold = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom store.db import opened\n"
         "with opened(sys.argv[1]):\n    print('held', flush=True); time.sleep(30)",
         str(settings.db_path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert hold.stdout.readline().strip() == "held"
        env = dict(os.environ, RADAR_DB_PATH=str(settings.db_path),
                   RADAR_SERVE__STATE_DIR=str(tmp_path / "serve"))
        done = subprocess.run([str(ROOT / ".venv" / "bin" / "radar"), "status", "--json"],
                              cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    finally:
        hold.kill()
        hold.wait()
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["writer"]["pid"] == hold.pid and report["writer"]["what"] == "write"
    assert [r["id"] for r in report["failures"]] == ["r-bad"]


def test_queue_lag_without_a_server_says_so():
    lag = queue_lag("http://127.0.0.1:9/api", NOW)
    assert lag.error and lag.late == 0
