"""How the UI reaches the store: reads from the newest published read copy (never blocked by
a writing flow), and short writes (drafts, watchlists) through the writers' queue.

Read copies are files with a new name per version (store.snapshot), so the UI keeps one
read-only connection per copy and gives each request its own cursor: no per-request open,
and a newly published copy is picked up by the next request. A connection to an older copy
is closed as soon as no request uses it: a publish brings an older copy that no process has
open up to date in place instead of copying the whole store (store/read_copies.py), and an
idle connection kept open would force the full copy every time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from config.errors import TransientError
from config.settings import Settings
from store import snapshot
from store.db import applied_schema, latest_schema, open_duckdb

log = logging.getLogger(__name__)
_UPGRADE_WAIT_S = 30.0
_open: dict[Path, duckdb.DuckDBPyConnection] = {}
_users: dict[Path, int] = {}  # requests using each copy's connection right now
_lock = threading.Lock()


def _upgrade(db_path: Path) -> None:
    """Migrate the store and publish a copy at the code's schema: right after an upgrade the
    newest copy can predate a migration the pages rely on (a new column, a new table)."""
    try:
        with snapshot.writing(db_path, "schema upgrade", wait_s=_UPGRADE_WAIT_S) as con:
            current = applied_schema(con)
        copy = snapshot.latest_snapshot(db_path)
        with open_duckdb(copy, read_only=True) as check:
            stale = applied_schema(check) < current
        if stale:  # the store was migrated earlier but never published
            snapshot.publish(db_path, _UPGRADE_WAIT_S)
    except TransientError as exc:
        log.warning("the read copy predates the code's schema and the store is busy (%s); "
                    "it is upgraded by the next writing stage", exc)


def _connection(db_path: Path) -> tuple[Path, duckdb.DuckDBPyConnection]:
    """The newest copy and its connection, counted as used until ``_release``."""
    copy = snapshot.latest_snapshot(db_path)
    if copy is None:  # a fresh store: let store.snapshot make the first copy
        with snapshot.reading(db_path):
            pass
        copy = snapshot.latest_snapshot(db_path)
        if copy is None:
            raise TransientError(f"no read copy of {db_path} yet; try again shortly")
    with _lock:
        con = _open.get(copy)
        if con is None:
            try:
                con = open_duckdb(copy, read_only=True)
                if applied_schema(con) < latest_schema():
                    con.close()
                    _upgrade(db_path)
                    copy = snapshot.latest_snapshot(db_path) or copy
                    con = _open.get(copy) or open_duckdb(copy, read_only=True)
            except duckdb.Error as exc:  # pruned or being reused between listing and opening
                raise TransientError(f"read copy {copy.name} went away: {exc}") from exc
            _open[copy] = con
        _users[copy] = _users.get(copy, 0) + 1
        _close_idle()
        return copy, con


def _release(copy: Path) -> None:
    with _lock:
        _users[copy] -= 1
        _close_idle()


def _close_idle() -> None:
    """Close the connections that no request uses to every copy but the newest of its store."""
    newest: dict[Path, Path] = {}
    for copy in _open:
        if copy.name > newest.get(copy.parent, Path()).name:
            newest[copy.parent] = copy
    for copy in [c for c in _open if c != newest[c.parent] and not _users.get(c)]:
        _open.pop(copy).close()
        _users.pop(copy, None)


@contextmanager
def reading(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the newest read copy of the store, for one request.

    Raises:
        TransientError: no read copy could be opened.
    """
    copy, con = _connection(Path(settings.db_path))
    try:
        cursor = con.cursor()
        try:
            cursor.execute("SET TimeZone = 'UTC'")
            yield cursor
        finally:
            cursor.close()
    finally:
        _release(copy)


@contextmanager
def writing(settings: Settings, wait_s: float = 20.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection for one short change, queued behind other writers; a read copy
    is published afterwards so the next page shows the change.

    Raises:
        TransientError: another writer held the store for `wait_s`.
    """
    with snapshot.writing(settings.db_path, "web UI", wait_s=wait_s) as con:
        yield con
