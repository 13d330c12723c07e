"""Publishing read copies: an older copy no reader has open is brought up to date in place
and equals the store byte for byte; a copy a reader holds (in another process or this one),
or one with another name linked to it, is never rewritten; a copy being rewritten cannot be
opened; without a free copy the store is copied in full."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from store import read_copies
from store.block_copy import manifest_path
from store.read_copies import publish_copy, read_copy_path, snapshots
from store.snapshot import reading, writer_lock, writing

ROOT = Path(__file__).resolve().parent.parent

HOLD = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("SELECT count(*), sum(i) FROM bulk").fetchone(), flush=True)
sys.stdin.readline()
print(con.execute("SELECT count(*), sum(i) FROM bulk").fetchone(), flush=True)
"""


def _count(stage: int) -> int:
    return 400_000 + 1_000 * stage


def _write(db: Path, stage: int) -> None:
    """A writing stage: 400,000 rows first (~15 MB), then 1,000 new rows and a changed one;
    no publish."""
    with writing(db, "test", publish=False) as con:
        con.execute("CREATE TABLE IF NOT EXISTS bulk (i BIGINT, h VARCHAR)")
        con.execute("INSERT INTO bulk SELECT range, md5((range + ?)::VARCHAR) FROM range(?, ?)",
                    [stage, _count(stage - 1) if stage else 0, _count(stage)])
        con.execute("UPDATE bulk SET h = ? WHERE i = 7", [f"stage {stage}"])


def _publish(db: Path) -> read_copies.Published:
    with writer_lock(db, what="test publish", publish_on_release=False):
        return publish_copy(db)


def _rows(path: Path) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT count(*), sum(i), max(h), max(h) FILTER (i = 7) FROM bulk"
                           ).fetchall()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _store_with_two_copies(tmp_path: Path) -> tuple[Path, Path, Path]:
    db = tmp_path / "radar.duckdb"
    _write(db, 0)
    first = _publish(db)
    _write(db, 1)
    second = _publish(db)
    assert not first.reused and not second.reused  # the newest copy is never reused
    return db, first.path, second.path


def test_an_older_copy_is_updated_in_place_and_equals_the_store(tmp_path):
    db, first, second = _store_with_two_copies(tmp_path)
    inode = first.stat().st_ino
    for stage, reused in ((2, first), (3, second)):
        ino = reused.stat().st_ino
        _write(db, stage)
        done = _publish(db)
        assert done.reused and done.path.stat().st_ino == ino and not reused.exists()
        assert 0 < done.written < done.units  # not a full copy
        assert _digest(done.path) == _digest(db)  # byte for byte the store's file
        assert snapshots(db)[-1] == done.path and len(snapshots(db)) == 2
        assert read_copy_path(db).stat().st_ino == done.path.stat().st_ino
        assert manifest_path(done.path).exists() and not manifest_path(reused).exists()
        with reading(db) as con:
            assert con.execute("SELECT count(*), max(h) FILTER (i = 7) FROM bulk").fetchone() == (
                _count(stage), f"stage {stage}")
    assert done.path.stat().st_ino != inode  # the two files took turns
    assert sorted(p.name for p in db.parent.glob("radar.read/*")) == sorted(
        [p.name for p in snapshots(db)] + [manifest_path(p).name for p in snapshots(db)])


def test_a_copy_held_by_a_reader_in_another_process_is_never_rewritten(tmp_path, monkeypatch):
    monkeypatch.setattr(read_copies, "KEEP_SNAPSHOTS", 3)  # keep the held copy listed
    db, held, second = _store_with_two_copies(tmp_path)
    before, rows = _digest(held), _rows(held)
    reader = subprocess.Popen([sys.executable, "-c", HOLD, str(held)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        opened = reader.stdout.readline()
        _write(db, 2)
        third = _publish(db)  # the only older copy is held: a full copy
        assert not third.reused and third.written == third.units
        _write(db, 3)
        second_ino = second.stat().st_ino
        fourth = _publish(db)  # the held one is skipped, the next older one is free
        assert fourth.reused and fourth.path.stat().st_ino == second_ino
        assert _digest(held) == before and _rows(held) == rows
        assert _digest(fourth.path) == _digest(db)
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline() == opened  # what it read before, still there
    finally:
        reader.communicate(timeout=30)
    _write(db, 4)
    held_ino = held.stat().st_ino
    fifth = _publish(db)  # let go: the oldest copy is reused now
    assert fifth.reused and fifth.path.stat().st_ino == held_ino
    assert _digest(fifth.path) == _digest(db)


def _posix_read_locks(path: Path) -> int:
    st = path.stat()
    dev = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    return sum(1 for line in Path("/proc/locks").read_text().splitlines()
               if "POSIX" in line and f" {os.getpid()} " in line and f" {dev} " in line)


def test_a_copy_held_by_this_process_is_never_rewritten_and_keeps_its_lock(tmp_path,
                                                                          monkeypatch):
    # the web UI publishes after its own writes while its requests read older copies
    monkeypatch.setattr(read_copies, "KEEP_SNAPSHOTS", 3)
    db, held, _ = _store_with_two_copies(tmp_path)
    before, rows = _digest(held), _rows(held)
    con = duckdb.connect(str(held), read_only=True)
    try:
        assert _posix_read_locks(held) == 1
        for stage in (2, 3):
            _write(db, stage)
            done = _publish(db)
            assert done.path.stat().st_ino != held.stat().st_ino
            assert _digest(done.path) == _digest(db)
        # trying the held copy did not drop DuckDB's lock on it (closing any descriptor of a
        # file drops all of the process's POSIX locks on it), so another process still cannot
        assert _posix_read_locks(held) == 1
        assert _digest(held) == before
        assert con.execute("SELECT count(*), sum(i), max(h), max(h) FILTER (i = 7) FROM bulk"
                           ).fetchall() == rows
    finally:
        con.close()
    _write(db, 4)
    held_ino = held.stat().st_ino
    done = _publish(db)
    assert done.reused and done.path.stat().st_ino == held_ino
    assert _digest(done.path) == _digest(db)


def test_a_copy_being_rewritten_cannot_be_opened(tmp_path):
    db, older, newest = _store_with_two_copies(tmp_path)
    fd = os.open(older, os.O_RDWR)
    try:
        assert read_copies._lock_against_readers(fd)
        with pytest.raises(duckdb.IOException, match="lock"):
            duckdb.connect(str(older), read_only=True)
        with reading(db) as con:  # readers take the newest copy, which is not locked
            assert con.execute("SELECT count(*) FROM bulk").fetchone() == (_count(1),)
    finally:
        os.close(fd)


def test_a_linked_copy_or_one_without_its_manifest_is_not_reused(tmp_path):
    db, older, newest = _store_with_two_copies(tmp_path)
    frozen = tmp_path / "input.duckdb"
    os.link(older, frozen)  # a flow's frozen input (runners/fanout.py) is a hard link
    before = _digest(frozen)
    _write(db, 2)
    done = _publish(db)
    assert not done.reused and _digest(frozen) == before and _digest(done.path) == _digest(db)
    manifest_path(newest).unlink()
    _write(db, 3)
    done = _publish(db)
    assert not done.reused and _digest(done.path) == _digest(db)
    assert len(snapshots(db)) == 2 and not manifest_path(newest).exists()
