"""Bring one file up to date with another by writing only the blocks that differ, and the
per-copy list of block checks (the manifest) that says which those are without reading the
copy.

A DuckDB file is three 4 KiB headers followed by 256 KiB blocks, each starting with DuckDB's
own 64-bit checksum of the rest of the block. The file is cut the same way (a 12 KiB header
unit, then 256 KiB units, the last one possibly short), and each unit is known by two checks
of different kinds: its first 8 bytes (DuckDB's checksum, an XOR of per-word products: blind
to words that move or cancel in pairs) and a keyed sum over its 8-byte words,
sum(K[i] * (w[i] ^ (w[i] >> 32))) mod 2^64 with fixed random odd keys K: position-dependent,
any single changed word always changes it, and the shift folds the high half of each word
into the low one so that no change goes unseen more often than about once in 2^33 (a
multiply-sum alone misses changes confined to the top bits). A changed unit passes for
unchanged only if both agree by chance. Measured on the 8.66 GB store here: the keyed sum
takes 4.7 GB/s of CPU (NumPy, no copy of the mapped file), CRC-32 2.0 GB/s, SHA-1 1.1 GB/s.
Nothing depends on the unit layout for correctness: a file cut differently still has every
unit checked, only with DuckDB's checksum being any 8 bytes.

A manifest is bound to its copy by inode, size and modification time: a copy changed by
anything else (or a manifest written for another file) is not trusted and the copy is
written in full instead.
"""

from __future__ import annotations

import json
import mmap
import os
import threading
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER_BYTES = 3 * 4096  # DuckDB's main header and its two database headers
UNIT_BYTES = 256 * 1024  # DuckDB's default block allocation size
CHUNK_UNITS = 64  # 16 MiB a task
THREADS = 2  # the check is CPU-bound; NumPy lets go of the GIL
_VERSION = 2  # 1: CRC-32 instead of the keyed sum
_KEYS = np.random.default_rng(20261202).integers(1, 2**63, UNIT_BYTES // 8, dtype=np.uint64) | 1
_SHIFT = np.uint64(32)
_scratch = threading.local()


def unit_check(unit: memoryview | bytes) -> int:
    """The keyed sum of one unit (see the module docstring); a short tail is folded in by its
    CRC-32."""
    n = len(unit) // 8
    words = np.frombuffer(unit, dtype="<u8", count=n)
    buf = getattr(_scratch, "buf", None)
    if buf is None:
        buf = _scratch.buf = np.empty(UNIT_BYTES // 8, dtype=np.uint64)
    mixed = buf[:n]
    np.right_shift(words, _SHIFT, out=mixed)
    np.bitwise_xor(mixed, words, out=mixed)
    np.multiply(mixed, _KEYS[:n], out=mixed)
    del words  # the caller releases the unit's view
    total = int(mixed.sum(dtype=np.uint64))
    if len(unit) % 8:
        total ^= zlib.crc32(unit[8 * n:]) << 32
    return total


@dataclass(frozen=True)
class Copied:
    """What one update wrote."""

    checks: np.ndarray  # (units, 2) uint64: keyed sum and first 8 bytes of each source unit
    units: int  # units in the source
    written: int  # units written to the copy
    bytes_written: int


def unit_bounds(size: int) -> list[tuple[int, int]]:
    """(start, end) of each unit of a file of `size` bytes: the header, then 256 KiB blocks."""
    bounds = [(0, min(size, HEADER_BYTES))] if size else []
    start = HEADER_BYTES
    while start < size:
        bounds.append((start, min(size, start + UNIT_BYTES)))
        start += UNIT_BYTES
    return bounds


def copy_changed(src: Path, dst_fd: int, old: np.ndarray | None) -> Copied:
    """Write into `dst_fd` every unit of `src` whose checks differ from `old` (all of them
    when `old` is None), then cut or extend the copy to the source's size.

    The caller fsyncs. The header unit is always written (every checkpoint changes it).

    Args:
        src: the file to copy (not being written while this runs).
        dst_fd: the copy, open for writing.
        old: the copy's checks as they are (its manifest), or None.

    Raises:
        OSError: a read or write failed (a full disk, a file size limit).
    """
    with open(src, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        bounds = unit_bounds(size)
        known = [] if old is None else [tuple(row) for row in old.tolist()]
        checks = np.zeros((len(bounds), 2), dtype=np.uint64)
        if not size:
            os.ftruncate(dst_fd, 0)
            return Copied(checks, 0, 0, 0)
        # mapped, not read: the checks run on the page cache itself (no copy of 8 GB)
        with mmap.mmap(fh.fileno(), size, prot=mmap.PROT_READ) as mapped:
            mapped.madvise(mmap.MADV_SEQUENTIAL)
            whole = memoryview(mapped)

            def chunk(first: int) -> tuple[int, int]:
                written = nbytes = 0
                for i, (a, b) in enumerate(bounds[first:first + CHUNK_UNITS], start=first):
                    with whole[a:b] as unit:
                        check = (unit_check(unit), int.from_bytes(unit[:8], "little"))
                        checks[i] = check
                        if i == 0 or i >= len(known) or known[i] != check:
                            _write_all(dst_fd, unit, a)
                            written, nbytes = written + 1, nbytes + b - a
                return written, nbytes

            try:
                with ThreadPoolExecutor(THREADS) as pool:
                    done = list(pool.map(chunk, range(0, len(bounds), CHUNK_UNITS)))
            finally:
                whole.release()
        os.ftruncate(dst_fd, size)
    return Copied(checks, len(bounds), sum(w for w, _ in done), sum(n for _, n in done))


def _write_all(fd: int, data: memoryview, offset: int) -> None:
    """pwrite until all of `data` is written: a write cut short (a file size limit, a disk
    filling up) is retried, and the retry raises the error (EFBIG, ENOSPC)."""
    done = 0
    while done < len(data):
        done += os.pwrite(fd, data[done:], offset + done)


def manifest_path(copy: Path) -> Path:
    """Where the manifest of `copy` lives (beside it, renamed with it)."""
    return copy.with_name(copy.name + ".blocks")


def write_manifest(copy: Path, checks: np.ndarray, manifest: Path | None = None) -> Path:
    """Record `checks` as the manifest of `copy` as the file is now (fsync'ed, then renamed
    into place so a reader of the manifest never sees half of one).

    Args:
        copy: the copy the checks describe.
        checks: from ``copy_changed``.
        manifest: where to write it (default ``manifest_path(copy)``).
    """
    manifest = manifest or manifest_path(copy)
    st = os.stat(copy)
    head = {"version": _VERSION, "header": HEADER_BYTES, "unit": UNIT_BYTES, "ino": st.st_ino,
            "dev": st.st_dev, "size": st.st_size, "mtime_ns": st.st_mtime_ns,
            "units": len(checks)}
    tmp = manifest.with_name(manifest.name + ".part")
    with open(tmp, "wb") as fh:
        fh.write(json.dumps(head).encode() + b"\n")
        fh.write(np.ascontiguousarray(checks, dtype="<u8").tobytes())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, manifest)
    return manifest


def read_manifest(copy: Path, manifest: Path | None = None) -> np.ndarray | None:
    """The checks of `copy` from its manifest, or None when there is none or it does not
    describe the file as it is now (another inode, size or modification time)."""
    manifest = manifest or manifest_path(copy)
    try:
        st = os.stat(copy)
        raw = manifest.read_bytes()
        line, _, body = raw.partition(b"\n")
        head = json.loads(line)
    except (OSError, ValueError):
        return None
    expected = {"version": _VERSION, "header": HEADER_BYTES, "unit": UNIT_BYTES,
                "ino": st.st_ino, "dev": st.st_dev, "size": st.st_size,
                "mtime_ns": st.st_mtime_ns, "units": len(unit_bounds(st.st_size))}
    if head != expected or len(body) != 16 * head["units"]:
        return None
    return np.frombuffer(body, dtype="<u8").reshape(-1, 2)
