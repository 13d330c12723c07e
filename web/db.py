"""How the UI reaches the store: reads from the newest published read copy (never blocked by
a writing flow), and short writes (drafts, watchlists) through the writers' queue.

Read copies are immutable files with a new name per version (store.snapshot), so the UI keeps
one read-only connection per copy and gives each request its own cursor: no per-request
open, and a newly published copy is picked up by the next request.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from radar.errors import TransientError
from radar.settings import Settings
from store import snapshot
from store.db import open_duckdb

_KEEP = 3  # connections to recent copies kept open (older requests may still use them)
_open: OrderedDict[Path, duckdb.DuckDBPyConnection] = OrderedDict()
_lock = threading.Lock()


def _connection(db_path: Path) -> duckdb.DuckDBPyConnection:
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
            except duckdb.Error as exc:  # pruned between listing and opening
                raise TransientError(f"read copy {copy.name} went away: {exc}") from exc
            _open[copy] = con
            while len(_open) > _KEEP:
                _open.popitem(last=False)[1].close()
        return con


@contextmanager
def reading(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only cursor on the newest read copy of the store, for one request.

    Raises:
        TransientError: no read copy could be opened.
    """
    cursor = _connection(Path(settings.db_path)).cursor()
    try:
        cursor.execute("SET TimeZone = 'UTC'")
        yield cursor
    finally:
        cursor.close()


@contextmanager
def writing(settings: Settings, wait_s: float = 20.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable connection for one short change, queued behind other writers; a read copy
    is published afterwards so the next page shows the change.

    Raises:
        TransientError: another writer held the store for `wait_s`.
    """
    with snapshot.writing(settings.db_path, "web UI", wait_s=wait_s) as con:
        yield con
