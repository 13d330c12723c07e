"""How the UI reaches the store: the newest read copy, one connection per copy, and a copy
that predates the code's schema (right after an upgrade) migrated and republished first."""

from __future__ import annotations

from config.settings import load_settings
from store import snapshot
from store.db import latest_schema, opened
from web.db import reading, writing


def test_pages_read_the_newest_copy_and_see_their_own_writes(tmp_path):
    settings = load_settings(db_path=tmp_path / "radar.duckdb")
    with reading(settings) as con:  # a fresh store: the first copy is made on demand
        assert con.execute("SELECT count(*) FROM watchlists").fetchone()[0] == 0
    with writing(settings) as con:
        con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('r', 'x', now(), 'ok')")
    with reading(settings) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_a_copy_from_before_a_migration_is_upgraded_before_pages_use_it(tmp_path):
    db = tmp_path / "radar.duckdb"
    with opened(db) as con:  # roll the store back to how migration 007 left it
        con.execute("ALTER TABLE watchlists DROP COLUMN channel")
        con.execute("ALTER TABLE watchlists DROP COLUMN target")
        con.execute("DROP TABLE web_sessions")  # migration 009
        con.execute("DELETE FROM schema_version WHERE version >= 8")
    old = snapshot.latest_snapshot(db)
    with snapshot.reading(db) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == 7
    with reading(load_settings(db_path=db)) as con:
        assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == latest_schema()
        assert con.execute("SELECT count(channel), count(target) FROM watchlists").fetchone() == (0, 0)
    assert snapshot.latest_snapshot(db) != old


def test_an_older_copy_is_let_go_when_no_request_uses_it_so_a_publish_can_reuse_it(tmp_path):
    # a connection kept open holds DuckDB's lock on its copy: a publish could then never
    # update an older copy in place and would copy the whole store every time
    settings = load_settings(db_path=tmp_path / "radar.duckdb")
    inodes = []
    for i in range(4):
        with writing(settings) as con:
            con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES (?, 'x', now(), 'ok')",
                        [str(i)])
        with reading(settings) as con:
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == i + 1
        inodes.append(snapshot.latest_snapshot(settings.db_path).stat().st_ino)
    # the first copy was still open when the second was published; from then on two files
    assert inodes[2] == inodes[0] != inodes[1] == inodes[3]

    with reading(settings) as slow:  # a request still reading the older copy
        with writing(settings) as con:
            con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('s', 'x', now(), 'ok')")
        with reading(settings) as con:
            assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 5
        with writing(settings) as con:  # the slow request's copy is skipped: a full copy
            con.execute("INSERT INTO runs (id, flow, started_at, status) VALUES ('t', 'x', now(), 'ok')")
        assert slow.execute("SELECT count(*) FROM runs").fetchone()[0] == 4
    assert snapshot.latest_snapshot(settings.db_path).stat().st_ino not in inodes
