"""The read-copy pool: one connection per copy, a cursor per request, older copies let go,
a copy predating the code's schema upgraded first, and new copies warmed before use."""

from __future__ import annotations

import threading
import time

from store import snapshot
from store.db import latest_schema, opened
from store.reader_pool import ReaderPool


def _add_run(db, run_id: str) -> None:
    with snapshot.writing(db, "test") as con:
        con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES (?, 'x', now(), 'ok')",
                    [run_id])


def _runs(pool: ReaderPool) -> int:
    with pool.reading() as con:
        return con.execute("SELECT count(*) FROM runs").fetchone()[0]


def test_a_fresh_store_gets_its_first_copy_and_later_copies_are_read(tmp_path):
    pool = ReaderPool(tmp_path / "radar.duckdb")
    with pool.reading() as con:  # a fresh store: the first copy is made on demand
        assert con.execute("SELECT count(*) FROM watchlists").fetchone()[0] == 0
    _add_run(pool.db_path, "r")
    assert _runs(pool) == 1
    pool.close()


def test_a_copy_from_before_a_migration_is_upgraded_before_requests_use_it(tmp_path):
    db = tmp_path / "radar.duckdb"
    with opened(db) as con:  # roll the store back to how migration 007 left it
        con.execute("ALTER TABLE watchlists DROP COLUMN channel")
        con.execute("ALTER TABLE watchlists DROP COLUMN target")
        con.execute("DROP TABLE web_sessions")  # migration 009
        con.execute("DELETE FROM schema_version WHERE version >= 8")
    old = snapshot.latest_snapshot(db)
    with snapshot.reading(db) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 7
    pool = ReaderPool(db)
    with pool.reading() as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == latest_schema()
        assert con.execute("SELECT count(channel), count(target) FROM watchlists").fetchone() == (0, 0)
    assert snapshot.latest_snapshot(db) != old
    pool.close()


def test_an_older_copy_is_let_go_when_no_request_uses_it_so_a_publish_can_reuse_it(tmp_path):
    # a connection kept open holds DuckDB's lock on its copy: a publish could then never
    # update an older copy in place and would copy the whole store every time
    pool = ReaderPool(tmp_path / "radar.duckdb")
    inodes = []
    for i in range(4):
        _add_run(pool.db_path, str(i))
        assert _runs(pool) == i + 1
        inodes.append(snapshot.latest_snapshot(pool.db_path).stat().st_ino)
    # the first copy was still open when the second was published; from then on two files
    assert inodes[2] == inodes[0] != inodes[1] == inodes[3]

    with pool.reading() as slow:  # a request still reading the older copy
        _add_run(pool.db_path, "s")
        assert _runs(pool) == 5
        _add_run(pool.db_path, "t")  # the slow request's copy is skipped: a full copy
        assert slow.execute("SELECT count(*) FROM runs").fetchone()[0] == 4
    assert snapshot.latest_snapshot(pool.db_path).stat().st_ino not in inodes
    pool.close()


def test_a_new_copy_is_warmed_before_requests_use_it_and_own_writes_show_at_once(tmp_path):
    release, warmed = threading.Event(), []

    def warm(con):
        warmed.append(con.execute("SELECT count(*) FROM runs").fetchone()[0])
        release.wait(10)

    pool = ReaderPool(tmp_path / "radar.duckdb", warm=warm)
    assert _runs(pool) == 0  # nothing served yet: the first copy is used at once, unwarmed
    assert warmed == []
    _add_run(pool.db_path, "a")
    assert _runs(pool) == 0  # the new copy is being warmed: requests keep the one they had
    deadline = time.monotonic() + 10
    while not warmed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert warmed == [1]  # the warm-up read the new copy
    release.set()
    deadline = time.monotonic() + 10
    while _runs(pool) != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _runs(pool) == 1  # warmed: requests switched

    _add_run(pool.db_path, "b")
    pool.fresh()  # this process wrote: its next page must show it
    assert _runs(pool) == 2
    pool.close()


def test_a_failing_warm_up_keeps_serving_and_is_retried(tmp_path):
    calls = []

    def warm(con):
        calls.append(1)
        if len(calls) == 1:
            import duckdb
            raise duckdb.IOException("copy went away")

    pool = ReaderPool(tmp_path / "radar.duckdb", warm=warm)
    _runs(pool)
    _add_run(pool.db_path, "a")
    deadline = time.monotonic() + 10
    while _runs(pool) != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _runs(pool) == 1 and len(calls) == 2
    pool.close()
