"""The published read copies of the store: where they are, which is newest, how one is
written, checked and renamed into place, and what a killed publisher left half-written.

Only the holder of the writer lock publishes (store/snapshot.py takes the lock, publishes
when a writing stage changed the store, and opens the newest copy for readers).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
import time
from pathlib import Path

import duckdb

from config.errors import TransientError
from config.pause_points import pause_point

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


def publish_locked(db_path: Path) -> Path:
    """Copy the (closed, checkpointed) store to a new read copy; the caller holds the lock.

    The copy is written under a temporary name, fsync'ed, opened once to check it, then
    renamed into place; older copies beyond the newest ``KEEP_SNAPSHOTS`` are removed.

    Raises:
        TransientError: the copy could not be written (full disk) or does not open; the
            previous copy stays in place.
    """
    folder = snapshot_dir(db_path)
    name = f"snap-{time.time_ns():020d}.duckdb"
    tmp = folder / f".{name}.tmp"
    wal = Path(f"{db_path}.wal")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(db_path, tmp)
        if wal.exists():  # a connection elsewhere in this process keeps the store open
            shutil.copyfile(wal, Path(f"{tmp}.wal"))
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        pause_point("read-copy-written")  # kill tests stop a publish before its rename
        _check_copy(tmp)
        final = folder / name
        os.replace(tmp, final)
        _link_stable(final, read_copy_path(db_path))
    except OSError as exc:
        for leftover in (tmp, Path(f"{tmp}.wal")):
            leftover.unlink(missing_ok=True)
        raise TransientError(
            f"could not publish the read copy of {db_path}: {exc}; the store is intact and "
            "readers keep the previous copy") from exc
    for old in snapshots(db_path)[:-KEEP_SNAPSHOTS]:
        old.unlink(missing_ok=True)
    return final


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
