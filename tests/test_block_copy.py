"""Bringing a copy up to date block by block: only units that differ are written, the result
is byte-identical to the source (grown, shrunk, changed in the middle), and a manifest is
trusted only for the file it was written for."""

from __future__ import annotations

import os

import duckdb
import numpy as np

from store.block_copy import (
    HEADER_BYTES,
    UNIT_BYTES,
    copy_changed,
    read_manifest,
    unit_bounds,
    unit_check,
    write_manifest,
)


def _sync(src, dst, old):
    fd = os.open(dst, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        return copy_changed(src, fd, old)
    finally:
        os.close(fd)


def test_units_are_the_header_then_duckdb_blocks():
    size = HEADER_BYTES + 2 * UNIT_BYTES + 5
    assert unit_bounds(size) == [(0, HEADER_BYTES), (HEADER_BYTES, HEADER_BYTES + UNIT_BYTES),
                                 (HEADER_BYTES + UNIT_BYTES, HEADER_BYTES + 2 * UNIT_BYTES),
                                 (HEADER_BYTES + 2 * UNIT_BYTES, size)]
    assert unit_bounds(100) == [(0, 100)] and unit_bounds(0) == []


def test_only_changed_units_are_written_and_the_copy_equals_the_source(tmp_path):
    rng = np.random.default_rng(1)
    src, dst = tmp_path / "src", tmp_path / "dst"
    data = bytearray(rng.integers(0, 256, HEADER_BYTES + 40 * UNIT_BYTES + 999, dtype=np.uint8))
    src.write_bytes(data)
    first = _sync(src, dst, None)
    assert first.written == first.units == 42 and dst.read_bytes() == data

    data[HEADER_BYTES + 7 * UNIT_BYTES + 100] ^= 1  # one bit in unit 8
    data[HEADER_BYTES + 20 * UNIT_BYTES: HEADER_BYTES + 21 * UNIT_BYTES] = bytes(UNIT_BYTES)
    data += b"grown" * 70_000  # the file grows by a unit and a bit
    src.write_bytes(data)
    second = _sync(src, dst, first.checks)
    assert dst.read_bytes() == data
    # the header, units 8 and 21, the old short last unit (now full) and one new unit
    assert second.written == 5 and second.units == 43

    del data[HEADER_BYTES + 10 * UNIT_BYTES:]  # shrinks
    src.write_bytes(data)
    third = _sync(src, dst, second.checks)
    assert third.written == 1 and dst.read_bytes() == data  # only the header: cut to size


def _one_unit_changed(tmp_path, change) -> int:
    src, dst = tmp_path / "src", tmp_path / "dst"
    unit = bytearray(np.random.default_rng(3).integers(0, 256, UNIT_BYTES, dtype=np.uint8))
    src.write_bytes(bytes(HEADER_BYTES) + unit)
    first = _sync(src, dst, None)
    change(unit)
    src.write_bytes(bytes(HEADER_BYTES) + unit)
    second = _sync(src, dst, first.checks)
    assert dst.read_bytes() == src.read_bytes()
    return second.written


def test_words_that_swap_places_are_a_change(tmp_path):
    # DuckDB's own block checksum is an XOR over the block's 8-byte words: blind to a swap
    def swap(unit):
        unit[8:16], unit[16:24] = unit[16:24], unit[8:16]

    assert _one_unit_changed(tmp_path, swap) == 2  # the header and the unit


def test_the_top_bit_flipped_in_two_words_is_a_change(tmp_path):
    # blind spot of every multiply-based word sum: 2^63 * (k1 + k2) is 0 mod 2^64 for odd
    # k1, k2, so DuckDB's checksum and a plain keyed sum both miss it
    def flip(unit):
        unit[5 * 8 + 7] ^= 0x80
        unit[9 * 8 + 7] ^= 0x80

    assert _one_unit_changed(tmp_path, flip) == 2


def test_a_single_changed_word_always_changes_the_check():
    words = np.random.default_rng(5).integers(0, 2**63, UNIT_BYTES // 8, dtype=np.uint64)
    base = unit_check(words.tobytes())
    for i, delta in ((0, 1), (17, 1 << 63), (32767, 1 << 32), (100, 0xFFFF_FFFF)):
        changed = words.copy()
        changed[i] ^= np.uint64(delta)
        assert unit_check(changed.tobytes()) != base
    assert unit_check(words.tobytes()[:1000 * 8 + 3]) != unit_check(
        words.tobytes()[:1000 * 8] + b"\x00\x00\x01")  # a short tail counts too


def test_a_duckdb_file_after_a_checkpoint_is_copied_exactly(tmp_path):
    src, dst = tmp_path / "s.duckdb", tmp_path / "d.duckdb"
    con = duckdb.connect(str(src))
    con.execute("CREATE TABLE t AS SELECT range AS i, md5(range::VARCHAR) AS h FROM range(300000)")
    con.close()
    first = _sync(src, dst, None)
    con = duckdb.connect(str(src))
    con.execute("INSERT INTO t SELECT range, 'new' FROM range(300000, 300100)")
    con.execute("UPDATE t SET h = 'changed' WHERE i = 5")
    con.close()
    second = _sync(src, dst, first.checks)
    assert dst.read_bytes() == src.read_bytes()
    assert 1 < second.written < second.units  # a few blocks, not the file
    with duckdb.connect(str(dst), read_only=True) as copy:
        assert copy.execute("SELECT count(*), max(h) FILTER (i = 5) FROM t").fetchone() == (
            300100, "changed")


def test_a_manifest_describes_only_the_file_as_it_was_written(tmp_path):
    src, dst = tmp_path / "src", tmp_path / "dst"
    src.write_bytes(os.urandom(HEADER_BYTES + 3 * UNIT_BYTES))
    copied = _sync(src, dst, None)
    write_manifest(dst, copied.checks)
    assert np.array_equal(read_manifest(dst), copied.checks)
    assert read_manifest(src) is None  # no manifest of its own
    os.utime(dst, ns=(1, 1))  # touched by someone else
    assert read_manifest(dst) is None
    write_manifest(dst, copied.checks)
    with open(dst, "ab") as fh:
        fh.write(b"x")
    assert read_manifest(dst) is None
    os.truncate(dst, HEADER_BYTES + 3 * UNIT_BYTES)
    write_manifest(dst, copied.checks)
    assert read_manifest(dst) is not None
    replacement = tmp_path / "replacement"
    replacement.write_bytes(dst.read_bytes())
    replacement.replace(dst)  # same name and bytes, another file
    assert read_manifest(dst) is None
