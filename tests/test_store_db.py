"""store/db.py in a real DuckDB file: `transaction(con)` commits a block or rolls all of it
back; migrations are versioned and applied once."""

from __future__ import annotations

import duckdb
import pytest

from store.db import applied_schema, connect, latest_schema, migrate, transaction


@pytest.fixture
def con(tmp_path):
    con = connect(tmp_path / "radar.duckdb")
    con.execute("CREATE TABLE t (k INTEGER PRIMARY KEY)")
    yield con
    con.close()


def test_a_transaction_commits_the_whole_block(con):
    with transaction(con) as same:
        assert same is con
        con.execute("INSERT INTO t VALUES (1), (2)")
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 2


def test_a_block_that_raises_leaves_nothing_and_the_error_goes_on(con):
    with pytest.raises(duckdb.ConstraintException), transaction(con):
        con.execute("INSERT INTO t VALUES (1)")
        con.execute("INSERT INTO t VALUES (1)")  # duplicate key: the store refuses the row
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with pytest.raises(ValueError), transaction(con):
        con.execute("INSERT INTO t VALUES (3)")
        raise ValueError("a bug in the caller")
    assert con.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    with transaction(con):  # the connection is usable again
        con.execute("INSERT INTO t VALUES (4)")
    assert con.execute("SELECT k FROM t").fetchall() == [(4,)]


def test_migrations_apply_once(con):
    assert applied_schema(con) == latest_schema()
    assert migrate(con) == []


def test_numbered_key_lists_bind_once_for_several_tables(tmp_path):
    from store.db import LITERAL_IDS_MAX, numbered_in

    con = duckdb.connect(str(tmp_path / "k.duckdb"))
    con.execute("CREATE TABLE a (id TEXT PRIMARY KEY, x INT)")
    con.execute("CREATE TABLE b (id TEXT PRIMARY KEY, y INT)")
    con.executemany("INSERT INTO a VALUES (?, ?)", [(f"k{i}", i) for i in range(3000)])
    con.executemany("INSERT INTO b VALUES (?, ?)", [(f"k{i}", -i) for i in range(0, 3000, 2)])
    for wanted in (["k1", "k2", "k'3", "nope"], [f"k{i}" for i in range(LITERAL_IDS_MAX + 5)], []):
        cond, params = numbered_in(wanted, first=2)
        rows = con.execute(
            "WITH x AS (SELECT id, x FROM a WHERE " + cond("id") + "), "  # noqa: S608
            "y AS (SELECT id, y FROM b WHERE " + cond("id") + ") "
            "SELECT x.id, x.x + $1, y.y FROM x LEFT JOIN y USING (id) ORDER BY x.x",
            [1000, *params]).fetchall()
        expect = sorted((d, int(d[1:]) + 1000, -int(d[1:]) if int(d[1:]) % 2 == 0 else None)
                        for d in wanted if d[1:].isdigit() and int(d[1:]) < 3000)
        assert sorted(rows) == expect
    con.close()
