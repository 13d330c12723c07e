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
