"""One writer, many readers over the DuckDB store.

DuckDB lets one process write a database file, and a process cannot even open the file
read-only while another one writes it. So:

* **Writers queue on a lock file** (``radar.duckdb.lock``, ``fcntl.flock``): a crawl, an
  enrichment, the CLI and the digest each hold it for one stage, then close the store. A
  second writer waits (up to ``wait_s``) instead of failing; a wait that runs out is a
  ``TransientError`` (the task is retried later). The lock is re-entrant within a process.
* **After each writing stage the writer publishes a read copy**: the store is checkpointed
  and closed; an older copy that no reader has open is brought up to date in place (only
  the 256 KiB blocks that differ are written) under a temporary name, or the store is
  copied in full when none is free; the copy is checked and renamed into place as
  ``radar.read/snap-<ns>.duckdb`` (atomic). ``radar.read.duckdb`` is a hard link to the
  newest copy for people and tools.
* **Readers never touch the writer's file**: ``reading()`` opens the newest copy read-only
  (a fresh file name per version, so a reader never gets a stale cached instance), with a
  retry when a copy is pruned between listing and opening.

A full disk or another write error is a ``TransientError`` with a clear message; DuckDB's
write-ahead log keeps the store as of its last committed transaction, and readers keep
the previous copy. How a copy is written, checked and pruned is store/read_copies.py.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from config.errors import TransientError
from store.db import open_duckdb
from store.read_copies import latest_snapshot, publish_locked, remove_partial_copies
from store.write_errors import write_error

log = logging.getLogger(__name__)

WRITER_WAIT_S = 3600.0  # a crawl of a slow source can hold the store for minutes


def lock_path(db_path: Path | str) -> Path:
    """The writers' lock file next to the store."""
    p = Path(db_path)
    return p.with_name(p.name + ".lock")


@dataclass
class _ProcessLock:
    """The writer lock as held by this process: a thread lock plus one flock'ed file."""

    thread_lock: threading.RLock = field(default_factory=threading.RLock)
    fd: int | None = None
    depth: int = 0
    dirty: bool = False


_LOCKS: dict[str, _ProcessLock] = {}
_LOCKS_GUARD = threading.Lock()


def _process_lock(db_path: Path) -> _ProcessLock:
    key = str(Path(db_path).resolve())
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, _ProcessLock())


def holds_writer_lock(db_path: Path | str) -> bool:
    """Whether this process holds the store's writer lock right now."""
    with _LOCKS_GUARD:
        plock = _LOCKS.get(str(Path(db_path).resolve()))
    return plock is not None and plock.depth > 0


def holder(db_path: Path | str) -> dict[str, Any]:
    """Who holds (or last held) the writer lock: pid, host, what, since (may be empty)."""
    try:
        data: dict[str, Any] = json.loads(lock_path(db_path).read_text(encoding="utf-8") or "{}")
        return data
    except (OSError, ValueError):
        return {}


def is_locked(db_path: Path | str) -> bool:
    """Whether some process holds the writer lock right now (does not wait)."""
    return lock_held(lock_path(db_path))


def lock_held(path: Path) -> bool:
    """Whether some process holds an flock on the lock file `path` right now (does not wait;
    no file: nobody). Also `radar serve`'s lock."""
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing releases a lock we may just have taken
    return False


def _flock(path: Path, wait_s: float, what: str, db_path: Path) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_s
    pause = 0.02
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                h = holder(db_path)
                raise TransientError(
                    f"store busy: the writer lock on {db_path} is held by "
                    f"{h.get('what', '?')} (pid {h.get('pid', '?')} on {h.get('host', '?')}, "
                    f"since {h.get('since', '?')}) for more than {wait_s:.0f}s") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "what": what,
                              "since": datetime.now(UTC).isoformat(timespec="seconds")}).encode(), 0)
    return fd


@contextmanager
def writer_lock(db_path: Path | str, wait_s: float = WRITER_WAIT_S, what: str = "write",
                publish_on_release: bool = True) -> Iterator[None]:
    """Hold the store's writer lock (re-entrant in this process); publish on final release.

    Args:
        db_path: the store file.
        wait_s: how long to queue behind another writer before giving up.
        what: shown to other writers and in ``radar status`` while held.
        publish_on_release: publish a read copy when the outermost holder releases and the
            store changed.

    Raises:
        TransientError: the lock was not free within ``wait_s``.
    """
    db_path = Path(db_path)
    plock = _process_lock(db_path)
    if not plock.thread_lock.acquire(timeout=wait_s):
        raise TransientError(f"store busy: another thread of this process holds {db_path}")
    try:
        if plock.depth == 0:
            plock.fd = _flock(lock_path(db_path), wait_s, what, db_path)
            plock.dirty = False
            remove_partial_copies(db_path)
        plock.depth += 1
        failed = False
        try:
            yield
        except BaseException:
            failed = True
            raise
        finally:
            plock.depth -= 1
            if plock.depth == 0:
                try:
                    if publish_on_release and (plock.dirty or not latest_snapshot(db_path)):
                        _publish_after(db_path, failed)
                finally:
                    assert plock.fd is not None  # taken when depth went from 0 to 1
                    fcntl.flock(plock.fd, fcntl.LOCK_UN)
                    os.close(plock.fd)
                    plock.fd = None
    finally:
        plock.thread_lock.release()


def _publish_after(db_path: Path, failed: bool) -> None:
    if not db_path.exists():
        return
    try:
        publish_locked(db_path)
    except TransientError as exc:
        if not failed:
            raise
        log.warning("read copy not published after a failed stage: %s", exc)


def _stamp(db_path: Path) -> tuple[Any, ...]:
    stamps: list[tuple[int, int] | None] = []
    for p in (db_path, Path(f"{db_path}.wal")):
        try:
            st = p.stat()
            stamps.append((st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            stamps.append(None)
    return tuple(stamps)


@contextmanager
def writing(db_path: Path | str, what: str = "write", wait_s: float = WRITER_WAIT_S,
            publish: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable, migrated connection held under the writer lock for one stage.

    On exit the store is checkpointed and closed and, when it changed, a read copy is
    published (see ``publish_locked``).

    Args:
        db_path: the store file.
        what: the stage, shown to waiting writers.
        wait_s: how long to queue behind another writer.
        publish: publish a read copy afterwards.

    Raises:
        TransientError: lock not free in time, or a write error such as a full disk.
    """
    from store.db import connect

    db_path = Path(db_path)
    with writer_lock(db_path, wait_s, what, publish_on_release=publish):
        plock = _process_lock(db_path)
        before = _stamp(db_path)
        try:
            con = connect(db_path)
        except Exception as exc:
            raise (write_error(exc, db_path) or exc) from exc
        try:
            yield con
            con.execute("CHECKPOINT")
        except Exception as exc:
            clear = write_error(exc, db_path)
            if clear is not None:
                raise clear from exc
            raise
        finally:
            try:
                con.close()
            except Exception:  # an invalidated connection after a write error
                log.warning("closing the store failed", exc_info=True)
            plock.dirty = plock.dirty or _stamp(db_path) != before


def publish(db_path: Path | str, wait_s: float = WRITER_WAIT_S) -> Path:
    """Take the writer lock and publish a read copy now; returns the copy's path."""
    with writer_lock(db_path, wait_s, "publish", publish_on_release=False):
        return publish_locked(Path(db_path))


@contextmanager
def reading(db_path: Path | str, attempts: int = 20,
            bootstrap_wait_s: float = 60.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the newest read copy; never blocked by a writer.

    With no copy yet (a fresh install), one is made first (creating an empty store).

    Args:
        db_path: the store file (not the copy).
        attempts: tries when a copy disappears between listing and opening.
        bootstrap_wait_s: how long to wait for the writer lock to make the first copy.

    Raises:
        TransientError: no copy could be opened.
    """
    last: Exception | None = None
    con = None
    for attempt in range(attempts):
        snap = latest_snapshot(db_path)
        if snap is None:
            with writing(db_path, "first read copy", wait_s=bootstrap_wait_s):
                pass
            continue
        try:
            con = open_duckdb(snap, read_only=True)
            con.execute("SET TimeZone = 'UTC'")
            break
        except duckdb.Error as exc:  # pruned after listing: take the newer one
            last = exc
            time.sleep(min(0.01 * 2**attempt, 0.2))
    if con is None:
        raise TransientError(f"no read copy of {db_path} could be opened: {last}")
    try:
        yield con
    finally:
        con.close()
