"""The published read copies of the store: where they are, which is newest, how one is
written (an older copy no reader has open brought up to date block by block, else a full
copy), checked and renamed into place, and what a killed publisher left half-written.

Only the holder of the writer lock publishes (store/snapshot.py takes the lock, publishes
when a writing stage changed the store, and opens the newest copy for readers).
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import shutil
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from config.errors import TransientError
from config.pause_points import pause_point
from store.block_copy import copy_changed, manifest_path, read_manifest, write_manifest

log = logging.getLogger(__name__)

KEEP_SNAPSHOTS = 2


def snapshot_dir(db_path: Path | str) -> Path:
    """Folder of the published read copies (``data/radar.read/``)."""
    p = Path(db_path)
    return p.with_name(p.stem + ".read")


def read_copy_path(db_path: Path | str) -> Path:
    """Stable name of the newest read copy (a hard link), for people and tools."""
    p = Path(db_path)
    return p.with_name(p.stem + ".read.duckdb")


def snapshots(db_path: Path | str) -> list[Path]:
    """Published read copies, oldest first."""
    folder = snapshot_dir(db_path)
    if not folder.is_dir():
        return []
    return sorted(folder.glob("snap-*.duckdb"), key=lambda p: p.name)


def latest_snapshot(db_path: Path | str) -> Path | None:
    """The newest published read copy, if any."""
    found = snapshots(db_path)
    return found[-1] if found else None


@dataclass(frozen=True)
class Published:
    """One published read copy and how it was made."""

    path: Path
    reused: bool  # an older copy no reader had open was brought up to date in place
    units: int  # 256 KiB units of the store
    written: int  # units written (all of them for a full copy)
    bytes_written: int
    seconds: float  # in all; of which:
    copy_s: float  # reading and checking the store, writing the units that differ
    sync_s: float  # fsync of the copy
    check_s: float  # opening the copy once


def publish_locked(db_path: Path) -> Path:
    """Publish a read copy of the (closed, checkpointed) store; the caller holds the lock.

    Returns:
        The new copy's path (see ``publish_copy``).

    Raises:
        TransientError: the copy could not be written (full disk) or does not open; the
            previous copy stays in place.
    """
    return publish_copy(db_path).path


def publish_copy(db_path: Path) -> Published:
    """Publish a read copy, reusing an older copy that no reader has open when there is one.

    The reused copy (never the newest) is locked against readers, renamed to a temporary
    name, and only the 256 KiB units that differ from the store (by its manifest, see
    store/block_copy.py) are written. With no such copy (all held, a hard link on them, no
    valid manifest, a log file beside the store) the store is copied in full to a new file.
    Either way the copy is fsync'ed, opened once to check it, then renamed into place under
    a new name; older copies beyond the newest ``KEEP_SNAPSHOTS`` are removed.

    Raises:
        TransientError: as ``publish_locked``.
    """
    t0 = time.perf_counter()
    folder = snapshot_dir(db_path)
    name = f"snap-{time.time_ns():020d}.duckdb"
    tmp = folder / f".{name}.tmp"
    wal = Path(f"{db_path}.wal")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _close_parked()
        # a log beside the store: the copy gets the log and is checkpointed by its check
        taken = None if wal.exists() else _take_free_copy(db_path, tmp)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644) if taken is None else taken[0]
        try:
            t1 = time.perf_counter()
            copied = copy_changed(db_path, fd, None if taken is None else taken[1])
            t2 = time.perf_counter()
            os.fsync(fd)
            t3 = time.perf_counter()
        finally:
            os.close(fd)  # releases the lock: the copy has no name a reader would open
        if wal.exists():  # a connection elsewhere in this process keeps the store open
            shutil.copyfile(wal, Path(f"{tmp}.wal"))
        pause_point("read-copy-written")  # kill tests stop a publish before its rename
        _check_copy(tmp)
        t4 = time.perf_counter()
        final = folder / name
        if not Path(f"{tmp}.wal").exists():
            write_manifest(tmp, copied.checks, manifest_path(tmp))
        os.replace(tmp, final)
        if manifest_path(tmp).exists():
            os.replace(manifest_path(tmp), manifest_path(final))
        _link_stable(final, read_copy_path(db_path))
    except OSError as exc:
        for leftover in (tmp, Path(f"{tmp}.wal"), manifest_path(tmp)):
            leftover.unlink(missing_ok=True)
        raise TransientError(
            f"could not publish the read copy of {db_path}: {exc}; the store is intact and "
            "readers keep the previous copy") from exc
    for old in snapshots(db_path)[:-KEEP_SNAPSHOTS]:
        old.unlink(missing_ok=True)
    kept = {manifest_path(p).name for p in snapshots(db_path)}
    for orphan in folder.glob("snap-*.duckdb.blocks"):
        if orphan.name not in kept:
            orphan.unlink(missing_ok=True)
    done = Published(final, taken is not None, copied.units, copied.written,
                     copied.bytes_written, time.perf_counter() - t0, t2 - t1, t3 - t2, t4 - t3)
    log.info("published %s: %s, %d of %d units written (%.0f MB) in %.1f s (copy %.1f, fsync "
             "%.1f, check %.1f)", final.name, "older copy updated in place" if done.reused
             else "full copy", done.written, done.units, done.bytes_written / 1e6, done.seconds,
             done.copy_s, done.sync_s, done.check_s)
    return done


# Descriptors of older copies a reader held when a publish tried them. Closing a descriptor
# drops every POSIX lock this process holds on that file, including the one DuckDB took for
# a connection of this process, so they stay open until the file is unlinked.
_PARKED: dict[tuple[int, int], int] = {}


def _close_parked() -> None:
    for key, fd in list(_PARKED.items()):
        if os.fstat(fd).st_nlink == 0:  # unlinked: no publisher can find it any more
            os.close(_PARKED.pop(key))


def _lock_against_readers(fd: int) -> bool:
    """Take an open-file-description write lock on the whole file without waiting.

    DuckDB takes a POSIX read lock on a file it opens read-only, for as long as the
    database is open, and such locks conflict with this one even within one process: the
    lock is granted only when no reader anywhere has the copy open, and while it is held a
    reader's open fails (and it takes the newest copy instead).
    """
    lock = struct.pack("hhqqi", fcntl.F_WRLCK, os.SEEK_SET, 0, 0, 0)
    try:
        fcntl.fcntl(fd, fcntl.F_OFD_SETLK, lock)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return False
        raise
    return True


def _take_free_copy(db_path: Path, tmp: Path) -> tuple[int, np.ndarray] | None:
    """An older copy no reader has open, locked and renamed to `tmp`, with its checks; None
    when there is none. Never the newest copy; never one with another name linked to it
    (the stable name, a flow's frozen input), which someone may open at any time."""
    if not hasattr(fcntl, "F_OFD_SETLK"):  # not Linux: always a full copy
        return None
    for old in snapshots(db_path)[:-1]:
        if read_manifest(old) is None:
            continue
        try:
            st = os.stat(old)
            if st.st_nlink != 1:
                continue
            key = (st.st_dev, st.st_ino)
            fd = _PARKED.pop(key, None)
            if fd is None:
                fd = os.open(old, os.O_RDWR)
        except FileNotFoundError:
            continue
        try:
            locked = _lock_against_readers(fd)
        except OSError:  # no such locks on this file system: treat the copy as held
            locked = False
        if not locked:
            _PARKED[key] = fd
            continue
        checks = read_manifest(old)
        if os.fstat(fd).st_nlink != 1 or checks is None:  # linked or changed meanwhile
            os.close(fd)  # we hold the lock: no POSIX lock of this process is on the file
            continue
        os.replace(old, tmp)
        manifest_path(old).unlink(missing_ok=True)
        return fd, checks
    return None


def remove_partial_copies(db_path: Path | str) -> list[Path]:
    """Remove read copies a killed publisher left half-written; returns what was removed.

    Only a writer-lock holder publishes, so the caller must hold the lock: then every
    ``.snap-*.duckdb.tmp`` (and its ``.wal``) in the copies' folder, and every temporary
    link of the stable name, is a leftover of a process that died while publishing.
    """
    folder, stable = snapshot_dir(db_path), read_copy_path(db_path)
    found = list(folder.glob(".snap-*.duckdb.tmp*")) if folder.is_dir() else []
    found += list(stable.parent.glob(f".{stable.name}.*.tmp"))
    removed = []
    for path in found:
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            continue
    if removed:
        log.info("removed %d partial read copies left by a killed writer", len(removed))
    return removed


def _check_copy(path: Path) -> None:
    try:
        con = duckdb.connect(str(path), read_only=True)
        try:
            con.execute("SELECT count(*) FROM schema_version").fetchone()
        finally:
            con.close()
    except duckdb.Error as exc:
        raise OSError(errno.EIO, f"read copy does not open: {exc}") from exc
    wal = Path(f"{path}.wal")
    if wal.exists():  # a read-only open replays the log in memory; fold it in for good
        con = duckdb.connect(str(path))
        con.execute("CHECKPOINT")
        con.close()
        wal.unlink(missing_ok=True)


def _link_stable(target: Path, stable: Path) -> None:
    tmp = stable.with_name(f".{stable.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.link(target, tmp)
    except OSError:  # no hard links on this file system: a plain copy keeps the name useful
        shutil.copyfile(target, tmp)
    pause_point("stable-link-made")  # kill tests stop a publish before the stable name moves
    os.replace(tmp, stable)
