"""Read-only connections to a store's published read copies, kept open for a long-lived
process (the web UI, a warm search process) and handed out as one cursor per request.

Read copies are files with a new name per version (store.snapshot), so a pool keeps one
connection per copy: no per-request open, and a newly published copy is picked up by a later
request. A connection to an older copy is closed as soon as no request uses it: a publish
brings an older copy that no process has open up to date in place instead of copying the
whole store (store/read_copies.py), and an idle connection kept open would force the full
copy every time.

A freshly opened copy is slow at first: DuckDB loads its key index and postings blocks as
queries touch them. At 1M documents a search's ~300 candidate rows cost ~190 ms on a new
connection against ~45 ms once ~2,000 lookups have loaded the index (docs/performance.md,
"Warm read copies"). With a ``warm`` function, a new copy is opened and warmed in a
background thread while requests keep using the copy before it; the pool switches when the
warm-up is done. After this process's own write (``fresh``) the next request takes the newest
copy at once, so a page after a change shows it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from config.errors import TransientError
from store import snapshot
from store.db import applied_schema, latest_schema, open_duckdb

log = logging.getLogger(__name__)
_UPGRADE_WAIT_S = 30.0

Warm = Callable[[duckdb.DuckDBPyConnection], None]


def _upgrade(db_path: Path) -> None:
    """Migrate the store and publish a copy at the code's schema: right after an upgrade the
    newest copy can predate a migration the readers rely on (a new column, a new table)."""
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


class ReaderPool:
    """One store's read copies, one open connection each, for many requests.

    Args:
        db_path: the store file (not a copy).
        warm: run on a newly published copy's connection before requests use it (in a
            background thread); None switches at once.

    Example:
        >>> pool = ReaderPool(settings.db_path, warm=warm_read_copy)
        >>> with pool.reading() as con:
        ...     con.execute("SELECT count(*) FROM documents").fetchone()
    """

    def __init__(self, db_path: Path | str, warm: Warm | None = None) -> None:
        self.db_path = Path(db_path)
        self._warm = warm
        self._open: dict[Path, duckdb.DuckDBPyConnection] = {}
        self._users: dict[Path, int] = {}  # requests using each copy's connection right now
        self._serving: Path | None = None  # the copy requests get
        self._warming: Path | None = None  # a newer copy being warmed in the background
        self._fresh = False
        self._lock = threading.Lock()

    @contextmanager
    def reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only cursor on the newest warmed read copy, for one request.

        Raises:
            TransientError: no read copy could be opened.
        """
        copy, con = self._connection()
        try:
            cursor = con.cursor()
            try:
                cursor.execute("SET TimeZone = 'UTC'")
                yield cursor
            finally:
                cursor.close()
        finally:
            self._release(copy)

    def fresh(self) -> None:
        """This process just wrote: the next request reads the newest copy, warmed or not."""
        with self._lock:
            self._fresh = True

    def close(self) -> None:
        """Close every connection (the process is stopping; no request may be running)."""
        with self._lock:
            for con in self._open.values():
                con.close()
            self._open.clear()
            self._users.clear()
            self._serving = None

    def _newest(self) -> Path:
        copy = snapshot.latest_snapshot(self.db_path)
        if copy is None:  # a fresh store: let store.snapshot make the first copy
            with snapshot.reading(self.db_path):
                pass
            copy = snapshot.latest_snapshot(self.db_path)
            if copy is None:
                raise TransientError(f"no read copy of {self.db_path} yet; try again shortly")
        return copy

    def _opened(self, copy: Path) -> tuple[Path, duckdb.DuckDBPyConnection]:
        """Open `copy` (upgrading the store first when the copy predates the code's schema)."""
        try:
            con = open_duckdb(copy, read_only=True)
            if applied_schema(con) < latest_schema():
                con.close()
                _upgrade(self.db_path)
                copy = snapshot.latest_snapshot(self.db_path) or copy
                con = self._open.get(copy) or open_duckdb(copy, read_only=True)
        except duckdb.Error as exc:  # pruned or being reused between listing and opening
            raise TransientError(f"read copy {copy.name} went away: {exc}") from exc
        return copy, con

    def _connection(self) -> tuple[Path, duckdb.DuckDBPyConnection]:
        """The copy to read and its connection, counted as used until ``_release``."""
        newest = self._newest()
        with self._lock:
            waiting = (self._warm is not None and not self._fresh and newest != self._serving
                       and self._serving in self._open and self._serving.exists())
            if waiting:
                if self._warming is None and newest not in self._open:
                    self._warming = newest
                    threading.Thread(target=self._warm_up, args=(newest,), daemon=True,
                                     name=f"warm {newest.name}").start()
                copy = self._serving
            else:
                copy = newest
                if copy not in self._open:
                    copy, con = self._opened(copy)
                    self._open.setdefault(copy, con)
                self._serving, self._fresh = copy, False
            self._users[copy] = self._users.get(copy, 0) + 1
            self._close_idle()
            return copy, self._open[copy]

    def _warm_up(self, copy: Path) -> None:
        try:
            copy, con = self._opened(copy)
            self._warm(con)  # type: ignore[misc]  # only started with a warm function
        except (duckdb.Error, TransientError) as exc:
            # The copy went away (a newer one replaced it) or the store was busy: requests
            # keep the copy they read, and the next one retries with the newest.
            log.warning("warming read copy %s failed: %s", copy.name, exc)
            with self._lock:
                self._warming = None
            return
        with self._lock:
            self._warming = None
            if copy in self._open:
                con.close()
            else:
                self._open[copy] = con
            if self._serving is None or copy.name > self._serving.name:
                self._serving = copy
            self._close_idle()

    def _release(self, copy: Path) -> None:
        with self._lock:
            self._users[copy] -= 1
            self._close_idle()

    def _close_idle(self) -> None:
        """Close the connections no request uses to every copy but the one being served."""
        for copy in [c for c in self._open if c != self._serving and not self._users.get(c)]:
            self._open.pop(copy).close()
            self._users.pop(copy, None)
