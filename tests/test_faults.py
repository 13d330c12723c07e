"""Faults: a flow killed with SIGKILL mid-crawl and mid-enrichment resumes with no document lost
or duplicated; a hanging source is cut and recorded; a full disk is a clear error that leaves
the store intact; a failed publish keeps the previous read copy. (kill -9 inside each stage
outside Prefect — feed, spider, ingest, clustering, digest, publish — is tests/test_kill_stages.py.)"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from config.settings import load_settings
from store.db import open_reader, opened
from store.read_copies import snapshot_dir
from store.snapshot import is_locked, latest_snapshot
from tests.servers import Route
from tests.stored_enrichment import enrichment_rows

ROOT = Path(__file__).resolve().parent.parent
SINCE, UNTIL = "2025-03-24T00:00:00+00:00", "2025-04-03T00:00:00+00:00"

CRAWL = """
import json, sys
from flows.crawl import crawl_flow
crawl_flow(source_ids=json.loads(sys.argv[1]), since=sys.argv[2], until=sys.argv[3], replay=True,
           overrides=json.loads(sys.argv[4]))
"""
ENRICH = """
import json, sys
from flows.enrich import enrich_flow
enrich_flow(overrides=json.loads(sys.argv[1]))
"""


def _overrides(tmp_path: Path, mirror, name: str, **extra) -> dict:
    return {"db_path": str(tmp_path / name / "radar.duckdb"),
            "spool_dir": str(tmp_path / name / "spool"),
            "crawl": {"host_map": mirror.host_map(), "per_host_delay_s": 0.0}, **extra}


def _env(tmp_path: Path) -> dict:
    # each flow subprocess starts its own ephemeral Prefect server: on the shared 2-core
    # machine that can take longer than Prefect's default 20 s, and the run would fail
    return dict(os.environ, PREFECT_HOME=str(tmp_path / "prefect"),
                PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
                PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="180",
                HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def _start(tmp_path: Path, script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", script, *args], cwd=ROOT, env=_env(tmp_path),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _kill_when(proc: subprocess.Popen, ready, timeout_s: float = 300) -> None:
    """SIGKILL the process group (the flow and its spider) as soon as `ready()` holds."""
    deadline = time.monotonic() + timeout_s
    while not ready():
        assert proc.poll() is None, f"finished before the kill: {proc.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, "never reached the kill point"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def _wal_over(db: str, size: int):
    return lambda: os.path.exists(db + ".wal") and os.path.getsize(db + ".wal") > size


def _spool_lines(spool: str, n: int):
    def ready() -> bool:
        files = list(Path(spool).glob("*.spool.jsonl"))
        return any(f.read_bytes().count(b"\n") >= n for f in files)
    return ready


def _assert_nothing_left(over: dict) -> None:
    """What a killed run may leave is gone after the next one: spools, the spider's .known
    files, half-published read copies, the held lock, the write-ahead log."""
    spool, db = Path(over["spool_dir"]), over["db_path"]
    assert not list(spool.glob("*.spool.jsonl")) and not list(spool.glob("*.known"))
    assert not (spool / "quarantine").exists()
    assert not [p for p in snapshot_dir(db).iterdir() if p.name.startswith(".")]
    assert not is_locked(db) and not os.path.exists(db + ".wal")
    con = duckdb.connect(db, read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM spool_progress").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM (SELECT doc_id FROM enrichments GROUP BY 1 "
                           "HAVING count(*) > 1)").fetchone()[0] == 0
    finally:
        con.close()


def _docs(db: str) -> list[tuple]:
    con = duckdb.connect(db, read_only=True)
    try:
        return con.execute("SELECT d.canonical_url, d.content_hash, count(v.version) FROM documents d "
                           "JOIN document_versions v ON v.doc_id = d.id GROUP BY ALL "
                           "ORDER BY 1").fetchall()
    finally:
        con.close()


@pytest.mark.slow
@pytest.mark.parametrize("source,trigger", [("wh-presidential-actions", "spool"),
                                            ("fr-trade-technology", "wal")])
def test_crawl_killed_mid_run_resumes_without_loss_or_duplicates(tmp_path, mirror, source,
                                                                 trigger):
    ref = _overrides(tmp_path, mirror, "ref")
    killed = _overrides(tmp_path, mirror, "killed")
    args = (json.dumps([source]), SINCE, UNTIL)
    clean = _start(tmp_path, CRAWL, *args, json.dumps(ref))
    assert clean.wait(timeout=600) == 0, clean.stderr.read()[-2000:]

    proc = _start(tmp_path, CRAWL, *args, json.dumps(killed))
    ready = (_spool_lines(killed["spool_dir"], 5) if trigger == "spool"
             else _wal_over(killed["db_path"], 64_000))
    _kill_when(proc, ready)
    partial = _docs(killed["db_path"])
    assert len(partial) < len(_docs(ref["db_path"]))

    again = _start(tmp_path, CRAWL, *args, json.dumps(killed))
    assert again.wait(timeout=600) == 0, again.stderr.read()[-2000:]
    resumed = _docs(killed["db_path"])
    assert resumed == _docs(ref["db_path"])  # same documents, same text, one version each
    assert all(n == 1 for _, _, n in resumed) and len(resumed) >= 10
    _assert_nothing_left(killed)  # the leftover spool was ingested, the .known file removed

    from radar.status import collect

    report = collect(load_settings(**killed), with_prefect=False)
    assert len(report.interrupted) == 1  # the killed run, still 'running', its process gone
    assert [r.status for r in report.runs[:1]] == ["ok"]


@pytest.mark.slow
def test_enrichment_killed_mid_run_resumes_to_the_same_result(tmp_path, mirror):
    from crawlers.crawl import CrawlWindow, crawl
    from crawlers.registry import load_registry
    from runners.pipeline import run_enrich

    nlp = {"enrich_batch": 4}
    killed = _overrides(tmp_path, mirror, "killed", nlp=nlp)
    ref = _overrides(tmp_path, mirror, "ref", nlp=nlp)
    settings = load_settings(**killed)
    window = CrawlWindow(since=datetime.fromisoformat(SINCE), until=datetime.fromisoformat(UNTIL),
                         replay=True)
    with opened(settings.db_path) as con:
        crawl(con, settings, load_registry(None), ["fr-trade-technology"], window)
    Path(ref["db_path"]).parent.mkdir(parents=True)
    shutil.copyfile(killed["db_path"], ref["db_path"])
    total = len(_docs(killed["db_path"]))

    proc = _start(tmp_path, ENRICH, json.dumps(killed))
    _kill_when(proc, _wal_over(killed["db_path"], 100_000))
    con = duckdb.connect(killed["db_path"], read_only=True)
    done = con.execute("SELECT count(*) FROM enrichments").fetchone()[0]
    con.close()
    assert 0 < done < total  # killed in the middle

    run_enrich(load_settings(**killed))  # the next run
    run_enrich(load_settings(**ref))  # an uninterrupted run on the same documents
    resumed, clean = enrichment_rows(killed["db_path"]), enrichment_rows(ref["db_path"])
    assert len(resumed["enrichments"]) == total
    assert resumed == clean
    _assert_nothing_left(killed)


def _feed_registry(tmp_path: Path, urls: dict[str, str]) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + "".join(
        f"  - {{id: {sid}, name: {sid}, publisher: p, country: US, language: en, kind: feed, "
        f"url: '{url}', verified: 'unverified: test'}}\n"
        for sid, url in urls.items()), encoding="utf-8")
    return path


def test_a_hanging_source_is_cut_and_recorded_and_the_run_goes_on(tmp_path, fault_server,
                                                                  prefect_harness):
    from flows.crawl import crawl_flow

    html = (b"<html><head><title>Chips grants</title><meta property='article:published_time' "
            b"content='2025-04-02T10:00:00-04:00'></head><body><main><h1>Chips grants</h1><p>"
            + b"Grants for chips research. " * 30 + b"</p></main></body></html>")
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>Chips'
           b'</title><link>https://ok.example.gov/a</link><pubDate>Wed, 02 Apr 2025 10:00:00 '
           b'-0400</pubDate></item></channel></rss>')
    fault_server.routes["/feed"] = Route(200, {"Content-Type": "application/rss+xml"}, rss)
    fault_server.routes["/a"] = Route(200, {"Content-Type": "text/html"}, html)
    fault_server.routes["/hang"] = Route(200, {}, b"", delay=20)  # answers after 20 s
    registry = _feed_registry(tmp_path, {"hangs": "https://hang.example.gov/hang",
                                         "works": "https://ok.example.gov/feed"})
    overrides = {"db_path": str(tmp_path / "radar.duckdb"), "spool_dir": str(tmp_path / "spool"),
                 "sources_file": str(registry),
                 "crawl": {"host_map": {"hang.example.gov": fault_server.base,
                                    "ok.example.gov": fault_server.base},
                           "per_host_delay_s": 0.0, "timeout_s": 60.0, "retries": 0,
                           "source_retries": 0},
                 "ops": {"source_timeout_s": 2.0, "task_retries": 0}}
    t0 = time.monotonic()
    result = crawl_flow(overrides=overrides)
    assert time.monotonic() - t0 < 15
    assert "timeout" in result["hangs"]["failed"].lower()
    assert result["works"].get("new") == 1
    with open_reader(overrides["db_path"]) as con:
        runs = dict(con.execute("SELECT source_id, status FROM source_runs").fetchall())
        counts = json.loads(con.execute("SELECT counts FROM flow_runs").fetchone()[0])
    assert runs == {"hangs": "failed", "works": "ok"}
    assert counts["failed_sources"] == 1 and counts["new"] == 1


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from radar.cli import app
app(sys.argv[2:], prog_name="radar")
"""


@pytest.mark.slow
def test_a_full_disk_is_a_clear_error_and_the_store_stays_intact(tmp_path, mirror):
    over = _overrides(tmp_path, mirror, "store")
    env = dict(_env(tmp_path), RADAR_DB_PATH=over["db_path"], RADAR_SPOOL_DIR=over["spool_dir"],
               RADAR_CRAWL__HOST_MAP=json.dumps(mirror.host_map()),
               RADAR_CRAWL__PER_HOST_DELAY_S="0")
    crawl = ["crawl", "--source", "fr-trade-technology", "--since", "2025-03-20"]
    with open_reader(over["db_path"]):
        pass  # an empty store and its first read copy
    before = latest_snapshot(over["db_path"])
    full = subprocess.run([sys.executable, "-c", FULL_DISK, "300000", *crawl], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert full.returncode == 2
    said = " ".join(full.stderr.split())  # the console wraps long lines
    assert "could not be written" in said and "disk full" in said and "File too large" in said
    assert "Traceback" not in full.stderr
    after_fail = _docs(over["db_path"])  # opens: not corrupt; only committed documents
    assert all(n == 1 for _, _, n in after_fail)
    assert latest_snapshot(over["db_path"]) == before  # readers kept their copy
    with open_reader(over["db_path"]) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert not [p for p in snapshot_dir(over["db_path"]).iterdir() if p.name.startswith(".")]

    ok = subprocess.run([str(ROOT / ".venv" / "bin" / "radar"), *crawl], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=600)
    assert ok.returncode == 0, ok.stderr[-2000:]
    final = _docs(over["db_path"])
    assert len(final) > len(after_fail) and set(after_fail) <= set(final)


PUBLISH = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))
from store.snapshot import publish
from config.errors import TransientError
try:
    publish(sys.argv[1])
except TransientError as exc:
    print(exc)
    sys.exit(3)
"""


def test_a_failed_publish_keeps_the_previous_read_copy(tmp_path):
    db = tmp_path / "radar.duckdb"
    with opened(db) as con:
        con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('a', 'x', ?, 'ok')",
                    [datetime.now(UTC)])
    before = latest_snapshot(db)
    done = subprocess.run([sys.executable, "-c", PUBLISH, str(db)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr[-2000:]
    assert "could not publish the read copy" in done.stdout and "File too large" in done.stdout
    assert latest_snapshot(db) == before
    assert not [p for p in snapshot_dir(db).iterdir() if p.name.startswith(".")]
    with open_reader(db) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
