"""One writer, many readers: writers queue on the lock, readers read published copies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from config.errors import TransientError
from store.db import open_reader, opened
from store.read_copies import read_copy_path, snapshot_dir, snapshots
from store.snapshot import holder, is_locked, latest_snapshot, publish, writer_lock

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

HOLD = """
import sys, time
from store.db import opened
with opened(sys.argv[1]) as con:
    con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES (?, 'hold', now(), 'ok')",
                [sys.argv[2]])
    print("held", flush=True)
    time.sleep(float(sys.argv[3]))
    print("releasing", time.time(), flush=True)
"""


def _hold(db: Path, run_id: str, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([PY, "-c", HOLD, str(db), run_id, str(seconds)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_writer_queues_instead_of_failing(tmp_path):
    db = tmp_path / "radar.duckdb"
    proc = _hold(db, "first", 1.5)
    assert is_locked(db) and holder(db)["pid"] == proc.pid
    with opened(db) as con:  # waits for the other process, then writes
        waited_until = time.time()
        con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('second', 'x', now(), 'ok')")
    releasing = float(proc.stdout.readline().split()[1])
    proc.wait(timeout=10)
    assert waited_until >= releasing
    with open_reader(db) as con:
        assert {r[0] for r in con.execute("SELECT id FROM runs").fetchall()} == {"first", "second"}


def test_a_writer_that_waits_too_long_gets_a_transient_error_naming_the_holder(tmp_path):
    db = tmp_path / "radar.duckdb"
    proc = _hold(db, "first", 3)
    try:
        with pytest.raises(TransientError, match=rf"store busy.*pid {proc.pid}"):
            with writer_lock(db, wait_s=0.3):
                pass
    finally:
        proc.wait(timeout=10)


def test_readers_read_while_a_process_holds_the_writer_lock(tmp_path):
    db = tmp_path / "radar.duckdb"
    with opened(db) as con:
        con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('a', 'x', now(), 'ok')")
    proc = _hold(db, "b", 1.0)
    try:
        with open_reader(db) as con:  # the store file itself is locked by the other process
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
    finally:
        proc.wait(timeout=10)
    with open_reader(db) as con:  # the holder published on release
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_lock_is_reentrant_and_publishes_once_when_the_outermost_writer_ends(tmp_path):
    db = tmp_path / "radar.duckdb"
    with opened(db) as con:
        con.execute("SELECT 1")
    first = snapshots(db)
    with opened(db) as outer:
        outer.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('o', 'x', now(), 'ok')")
        with opened(db) as inner:
            inner.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('i', 'x', now(), 'ok')")
        assert snapshots(db) == first  # nothing published while the outer stage runs
    assert latest_snapshot(db) not in first
    assert read_copy_path(db).stat().st_ino == latest_snapshot(db).stat().st_ino
    with open_reader(db) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_an_unchanged_store_is_not_copied_again_and_old_copies_are_pruned(tmp_path):
    db = tmp_path / "radar.duckdb"
    for i in range(4):
        with opened(db) as con:
            con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES (?, 'x', now(), 'ok')",
                        [str(i)])
    kept = snapshots(db)
    assert len(kept) == 2
    with opened(db) as con:
        con.execute("SELECT count(*) FROM runs").fetchone()
    assert snapshots(db) == kept


def test_reader_makes_the_first_copy_of_a_fresh_store(tmp_path):
    db = tmp_path / "new" / "radar.duckdb"
    with open_reader(db) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 0
    assert latest_snapshot(db) is not None


def test_publish_takes_the_lock(tmp_path):
    db = tmp_path / "radar.duckdb"
    proc = _hold(db, "a", 1.0)
    try:
        t0 = time.monotonic()
        path = publish(db)
        assert time.monotonic() - t0 >= 0.3
    finally:
        proc.wait(timeout=10)
    assert path.exists()


def _reader_loop(db: Path, stop: threading.Event, seen: list, failures: list) -> None:
    while not stop.is_set():
        try:
            with open_reader(db) as con:
                seen.append(con.execute("SELECT count(*) FROM documents").fetchone()[0])
        except Exception as exc:  # any failed read fails the test
            failures.append(repr(exc))
        time.sleep(0.01)


@pytest.mark.slow
def test_readers_never_fail_while_crawl_and_enrich_write(tmp_path, mirror):
    """A reader loop (standing in for the web UI) runs while a crawl and an enrichment run in
    two other processes at once: zero failed reads, no writer fails on the lock."""
    db = tmp_path / "radar.duckdb"
    env = dict(os.environ, RADAR_DB_PATH=str(db), RADAR_SPOOL_DIR=str(tmp_path / "spool"),
               RADAR_CRAWL__HOST_MAP=json.dumps(mirror.host_map()),
               RADAR_CRAWL__PER_HOST_DELAY_S="0", RADAR_NLP__ENRICH_BATCH="16")
    radar = str(ROOT / ".venv" / "bin" / "radar")
    with open_reader(db):
        pass
    stop, seen, failures = threading.Event(), [], []
    readers = [threading.Thread(target=_reader_loop, args=(db, stop, seen, failures))
               for _ in range(3)]
    for t in readers:
        t.start()
    try:
        crawl = subprocess.Popen(
            [radar, "crawl", "--source", "wh-presidential-actions", "--source",
             "fr-trade-technology", "--since", "2025-03-27"], cwd=tmp_path, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        enrich_codes = []
        while crawl.poll() is None:  # enrichment runs concurrently, again and again
            done = subprocess.run([radar, "enrich"], cwd=tmp_path, env=env, capture_output=True,
                                  text=True, timeout=600)
            enrich_codes.append((done.returncode, done.stderr[-500:]))
        out, err = crawl.communicate(timeout=600)
        assert crawl.returncode == 0, err[-2000:]
        final = subprocess.run([radar, "enrich"], cwd=tmp_path, env=env, capture_output=True,
                               text=True, timeout=600)
        enrich_codes.append((final.returncode, final.stderr[-500:]))
    finally:
        stop.set()
        for t in readers:
            t.join(timeout=30)
    assert all(code == 0 for code, _ in enrich_codes), enrich_codes
    assert failures == []
    assert len(seen) > 100
    with open_reader(db) as con:
        docs = con.execute("SELECT count(*) FROM documents").fetchone()[0]
        enriched = con.execute("SELECT count(*) FROM enrichments").fetchone()[0]
    assert docs >= 20 and enriched == docs
    assert max(seen) <= docs and docs in seen


def _partial_copies(db: Path) -> list[Path]:
    """What a writer killed (-9) while publishing leaves: a half-written copy, its log, and a
    temporary link of the stable name."""
    folder = snapshot_dir(db)
    folder.mkdir(parents=True, exist_ok=True)
    made = [folder / ".snap-00000000000000000001.duckdb.tmp",
            folder / ".snap-00000000000000000001.duckdb.tmp.wal",
            db.with_name(f".{read_copy_path(db).name}.4242.tmp")]
    for path in made:
        path.write_bytes(b"half a copy")
    return made


def test_partial_copies_left_by_a_killed_writer_are_removed_by_the_next_writer(tmp_path):
    db = tmp_path / "radar.duckdb"
    with opened(db):
        pass
    made = _partial_copies(db)
    with open_reader(db) as con:  # readers never touch them
        con.execute("SELECT count(*) FROM runs").fetchone()
    assert all(p.exists() for p in made)
    with opened(db) as con:  # a writer that changes nothing still cleans up
        con.execute("SELECT count(*) FROM runs").fetchone()
    assert not any(p.exists() for p in made)
    assert latest_snapshot(db) is not None


def test_partial_copies_are_left_alone_while_another_process_writes(tmp_path):
    db = tmp_path / "radar.duckdb"
    with opened(db):
        pass
    proc = _hold(db, "holder", 1.0)
    made = _partial_copies(db)  # as far as we know, the holder is publishing them right now
    with pytest.raises(TransientError):
        with writer_lock(db, wait_s=0.1):
            pass
    assert all(p.exists() for p in made)
    proc.wait(timeout=30)
    with writer_lock(db, wait_s=10):
        assert not any(p.exists() for p in made)
