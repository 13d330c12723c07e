"""DuckDB connections and versioned migrations (schema_version table)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import duckdb

_MIGRATION_RE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
# Pages look up a few hundred documents by id (search candidates, cards, story members). Up
# to this many distinct ids, DuckDB turns such a join into an IN filter inside the scan, so
# the long text column is read only for the rows wanted (3x faster at 100k documents; above
# the default of 50 it falls back to a min/max range that lets almost every row through).
ID_FILTER_MAX = 256


class HasDbPath(Protocol):
    """Anything that names the store file (the settings object)."""

    @property
    def db_path(self) -> Path: ...  # noqa: D102


# Above this many ids a literal IN list costs more to bind (~0.1 ms a parameter) than the
# packed string's semi join costs to run.
LITERAL_IDS_MAX = 2000


def ids_in(column: str, ids: Sequence[str]) -> tuple[str, list[str]]:
    """A condition ``<column> IN (?, ?, ...)`` on a primary key and its parameters.

    DuckDB answers a literal IN list on a primary key from its index and reads the wide
    columns (a document's text) of those rows only; the semi join with a packed string scans
    every row. At 1M documents, 200 ids with their text: 72 ms against 201 ms (1000 ids: 249
    against 773 ms). Above ``LITERAL_IDS_MAX`` ids, the packed form.

    Args:
        column: the (qualified) key column, written by the caller, never a value.
        ids: the keys wanted.
    """
    if len(ids) > LITERAL_IDS_MAX:
        return f"{column} IN (SELECT unnest(string_split(?, chr(31))))", [packed(ids)]
    if not ids:
        return "false", []
    return f"{column} IN ({', '.join('?' for _ in ids)})", list(ids)


def numbered_in(ids: Sequence[str], first: int = 1) -> tuple[Callable[[str], str], list[str]]:
    """`ids_in` with numbered parameters from ``$first``, for one key list used on several
    tables: the caller writes ``cond("t.doc_id")`` as often as it needs, and the values are
    bound (and converted, ~0.07 ms each) once. At 1M documents, 300 candidates' documents,
    story and near-duplicate rows: 70 ms in one statement, against 190 ms when the two
    joined tables were probed with every row.

    Args:
        ids: the keys wanted.
        first: the number of the first parameter (those before it are the caller's).
    """
    if not ids:
        return (lambda column: "false"), []
    if len(ids) > LITERAL_IDS_MAX:
        return (lambda column: f"{column} IN (SELECT unnest(string_split(${first}, chr(31))))"
                ), [packed(ids)]
    marks = ", ".join(f"${first + i}" for i in range(len(ids)))
    return (lambda column: f"{column} IN ({marks})"), list(ids)


def packed(values: Sequence[str]) -> str:
    """A list parameter as one string for ``string_split(?, chr(31))``: DuckDB converts a
    Python list parameter element by element (~0.3 ms each here); one string costs nothing."""
    return "\x1f".join(values)


def migrations() -> list[tuple[int, str, str]]:
    """All packaged migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("store.migrations").iterdir():
        m = _MIGRATION_RE.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def latest_schema() -> int:
    """The schema version this code migrates a store to (its newest migration)."""
    return migrations()[-1][0]


def one(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...]:
    """The one row of an aggregate query without GROUP BY (count, max, ...), which always
    has exactly one."""
    row = con.execute(sql, params).fetchone()
    assert row is not None, sql
    return row


def applied_schema(con: duckdb.DuckDBPyConnection) -> int:
    """Highest migration version applied to a migrated store (read-only connections too)."""
    return int(one(con, "SELECT coalesce(max(version), 0) FROM schema_version")[0])


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """Highest applied migration version (0 for an empty file)."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version "
        "(version INTEGER PRIMARY KEY, name TEXT, applied_at TIMESTAMPTZ)"
    )
    return applied_schema(con)


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One explicit transaction around a block: committed when the block ends, rolled back
    when it (or the COMMIT) raises, and the error goes on.

    Every multi-statement write of the store goes through here, so a crash or a refused row
    leaves nothing half-written.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply every migration newer than the file's version; returns the versions applied."""
    current = schema_version(con)
    applied = []
    for version, name, sql in migrations():
        if version <= current:
            continue
        with transaction(con):
            con.execute(sql)
            con.execute(
                "INSERT INTO schema_version VALUES (?, ?, ?)", [version, name, datetime.now(UTC)]
            )
        applied.append(version)
    return applied


# A reader's buffer pool. DuckDB's default is 80 % of the machine's memory per database, and
# the web UI opens each newly published read copy as another database while pages still use
# the one before: at 1M documents its process reached 12.9 GB with a writer publishing every
# stage. Readers scan little (keys, postings, a day's stories); the writer keeps the default.
READER_MEMORY = "512MB"


def open_duckdb(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A plain DuckDB connection to a store file with the project's settings (no migration)."""
    config: dict[str, str | int] = {"dynamic_or_filter_threshold": ID_FILTER_MAX}
    if read_only:
        config["memory_limit"] = READER_MEMORY
    return duckdb.connect(str(path), read_only=read_only, config=config)


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the store (creating and migrating it when writable).

    Args:
        path: DuckDB file; parent directories are created.
        read_only: open without taking the writer lock.
    """
    path = Path(path)
    if read_only:
        return open_duckdb(path, read_only=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = open_duckdb(path)
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    return con


@contextmanager
def opened(path: Path | str, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store for one stage, always closed afterwards.

    Writable: queued on the writer lock, and a read copy is published afterwards when the
    store changed (``store.snapshot.writing``), so concurrent writers wait instead of failing.
    ``read_only=True`` opens the store file itself, which fails while a writer holds it:
    readers that must not fail use ``open_reader``.
    """
    if not read_only:
        from store.snapshot import writing

        with writing(path) as con:
            yield con
        return
    con = connect(path, read_only=True)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def open_reader(settings_or_path: HasDbPath | Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the newest published read copy of the store.

    Never fails on the writer lock (readers do not open the writer's file); the data is as of
    the last finished writing stage. Open one per request or page and let it close.

    Args:
        settings_or_path: the loaded ``Settings`` (its ``db_path``) or the store's path.

    Example:
        >>> with open_reader(settings) as con:
        ...     con.execute("SELECT count(*) FROM documents").fetchone()
    """
    from store.snapshot import reading

    path = settings_or_path if isinstance(settings_or_path, (str, Path)) else settings_or_path.db_path
    with reading(Path(path)) as con:
        yield con
