"""Nearest documents by embedding: the stored vectors of one model as an in-memory matrix,
loaded once per process and brought up to date when the stored embeddings change.

Scanning 100,000 FLOAT[] rows with `list_inner_product` takes ~0.7 s per query on the
development machine; a cached matrix answers in ~10 ms after a ~1 s load.

At a million documents (docs/performance.md, issue 18) three things matter:

* one matrix per store, model and table, not per file: the web UI opens each newly published
  read copy under a new name, and a cache per file name kept every copy's matrix (1.5 GB each);
* a read copy is never written, so while the connection's file is the one the matrix was read
  from (same inode, size and time), no query checks it; otherwise a cheap stamp (count, the
  sum of row hashes, the last rowid) tells an unchanged table, and rows appended since (a new
  copy after an enrichment) are read alone and appended when the rest is as before;
* the matrix is read in slices of rows, so a load does not hold the vectors twice.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from store.vector_index import APPROX_MIN_ROWS, PQ_DIMS, ApproxIndex

# Tables with (doc_id, model, content_hash, vector) rows: the primary and the multilingual vectors.
_TABLES = frozenset({"embeddings", "multilingual_embeddings"})
_LOCK = threading.Lock()
SLICE = 25_000  # rows read per statement while loading (a 512-d slice: 51 MB as float32)


@dataclass
class _Matrix:
    """One table's vectors of one model, with what identifies the stored rows they came from."""

    ids: np.ndarray  # object array of document ids, row order of `vectors` / `index`
    vectors: np.ndarray  # (n, dim) float32; (0, dim) when `index` holds the rows instead
    stamp: tuple[int, int, int]  # (count, sum of hash(doc_id, content_hash), last rowid)
    source: tuple[Any, ...] | None  # the read-only file it was last checked against
    rows: dict[str, int] | None = None  # doc id -> row, made on the first scoped query
    # `ids` and `vectors` are the first rows of these (spare rows after them), so appending
    # a day's vectors writes into the spare rows instead of copying the whole matrix: at 1M
    # the copy held 3.6 GB of matrices twice in the web process while a new read copy came in.
    spare_ids: np.ndarray | None = None
    spare_vectors: np.ndarray | None = None
    index: ApproxIndex | None = None  # from `APPROX_MIN_ROWS` rows: compressed, approximate
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # RowMask name -> bool per row


@dataclass(frozen=True)
class RowMask:
    """A condition on documents that `nearest` applies to its rows without a query per call.

    `rows(con, ids)` says, for document ids (in order), which meet it; it is asked once for
    every stored row and then for rows appended, and its answers are kept with the matrix
    under `name` (so one name must always mean one condition). For conditions that do not
    change while a document's vector stays (its language, say).
    """

    name: str
    rows: Callable[[duckdb.DuckDBPyConnection, list[str]], np.ndarray]
    negate: bool = False  # the rows that do not meet it (the same kept answers, inverted)


_CACHE: dict[tuple[str, str, str], _Matrix] = {}


def vector_literal(vector: np.ndarray) -> str:
    """A vector as text for a ``?::FLOAT[]`` parameter: DuckDB converts a Python list or array
    parameter element by element (~0.3 ms each here), one string costs nothing."""
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32).tolist()) + "]"


def _database_path(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                      ).fetchone()
    return row[0] if row and row[0] else f"memory:{id(con)}"


def _store_key(path: str) -> str:
    """The store a file belongs to: a read copy (``<store>.read/snap-*.duckdb``) is its store's."""
    p = Path(path)
    return str(p.parent) if p.parent.name.endswith(".read") else path


def _file_source(con: duckdb.DuckDBPyConnection, path: str) -> tuple[Any, ...] | None:
    """(path, inode, size, mtime) of the file and its WAL when the connection is read-only
    (nothing can change it while open), else None."""
    mode = con.execute("SELECT current_setting('access_mode')").fetchone()
    if not mode or mode[0] != "read_only" or path.startswith("memory:"):
        return None
    stats: list[Any] = [path]
    for name in (path, f"{path}.wal"):
        try:
            st = os.stat(name)
            stats.append((st.st_ino, st.st_size, st.st_mtime_ns))
        except FileNotFoundError:
            stats.append(None)
    return tuple(stats)


def _stamp(con: duckdb.DuckDBPyConnection, table: str, model: str,
           after: int = -1) -> tuple[int, int, int]:
    row = con.execute(
        f"SELECT count(*), coalesce(sum(hash(doc_id, content_hash)), 0), "  # noqa: S608
        f"coalesce(max(rowid), -1) FROM {table} WHERE model = ? AND rowid > ?",
        [model, after]).fetchone()
    assert row is not None  # an aggregate without GROUP BY always returns one row
    return int(row[0]), int(row[1]), int(row[2])


def _slices(con: duckdb.DuckDBPyConnection, table: str, model: str, after: int,
            count: int) -> Iterator[tuple[list[str], np.ndarray]]:
    """(ids, vectors) blocks of at most `SLICE` rows after rowid `after`, in rowid order,
    `count` rows in all."""
    done, low = 0, after
    while done < count:
        part = con.execute(
            f"SELECT doc_id, rowid FROM {table} WHERE model = ? AND rowid > ? "  # noqa: S608
            "ORDER BY rowid LIMIT ?", [model, low, SLICE]).fetchall()
        if not part:
            break
        high = part[-1][1]
        flat = con.execute(
            f"SELECT unnest(vector) AS x FROM (SELECT vector FROM {table} WHERE model = ? "  # noqa: S608
            "AND rowid > ? AND rowid <= ? ORDER BY rowid)", [model, low, high]).fetchnumpy()["x"]
        block = np.asarray(flat, dtype=np.float32).reshape(len(part), -1)
        n = min(len(part), count - done)
        yield [r[0] for r in part[:n]], block[:n]
        done += n
        low = high


def _read(con: duckdb.DuckDBPyConnection, table: str, model: str, after: int,
          count: int, spare: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of the rows after rowid `after`, in rowid order, a slice at a time; with
    `spare`, views of arrays that many rows longer (their `.base`, for `_appended`)."""
    ids = np.empty(count + spare, dtype=object)
    matrix: np.ndarray | None = None
    done = 0
    for part, block in _slices(con, table, model, after, count):
        if matrix is None:
            matrix = np.empty((count + spare, block.shape[1]), dtype=np.float32)
        ids[done:done + len(part)] = part
        matrix[done:done + len(part)] = block
        done += len(part)
    if matrix is None:
        matrix = np.zeros((0, 0), dtype=np.float32)
    return ids[:done], matrix[:done]


def _read_approx(con: duckdb.DuckDBPyConnection, table: str, model: str,
                 count: int) -> tuple[np.ndarray, ApproxIndex | None]:
    """(ids, approximate index) of all the rows, added a slice at a time (no float matrix of
    every row is ever held); None when the dimension does not suit the index."""
    ids = np.empty(count, dtype=object)
    index: ApproxIndex | None = None
    done = 0
    for part, block in _slices(con, table, model, -1, count):
        if index is None:
            if block.shape[1] % PQ_DIMS:
                return ids[:0], None
            index = ApproxIndex(block.shape[1])
        index.add(block)
        ids[done:done + len(part)] = part
        done += len(part)
    return ids[:done], index


HEADROOM = 0.05  # spare rows allocated when the matrix must grow: ~18 days of 2,740 at 1M


def _appended(cached: _Matrix, ids: np.ndarray, vectors: np.ndarray,
              stamp: tuple[int, int, int], source: tuple[Any, ...] | None) -> _Matrix:
    """The matrix with rows appended: into its spare rows when they suffice (the rows before
    stay as they are, so a query still holding the old view is unaffected), else into a new
    buffer with `HEADROOM` to spare; with an approximate index, into the index (a view's
    searches ignore rows past its own ids). Called under `_LOCK`."""
    if cached.index is not None:
        cached.index.add(vectors)
        return _Matrix(np.concatenate([cached.ids, ids]), cached.vectors, stamp, source,
                       index=cached.index, masks=dict(cached.masks))
    n, k = len(cached.ids), len(ids)
    buf_ids, buf = cached.spare_ids, cached.spare_vectors
    if buf is None or buf_ids is None or len(buf) < n + k:
        size = n + k + max(k, int((n + k) * HEADROOM))
        buf_ids = np.empty(size, dtype=object)
        buf = np.empty((size, cached.vectors.shape[1]), dtype=np.float32)
        buf_ids[:n], buf[:n] = cached.ids, cached.vectors
    buf_ids[n:n + k], buf[n:n + k] = ids, vectors
    return _Matrix(buf_ids[:n + k], buf[:n + k], stamp, source, spare_ids=buf_ids,
                   spare_vectors=buf, masks=dict(cached.masks))


def _matrix(con: duckdb.DuckDBPyConnection, model: str, table: str = "embeddings") -> _Matrix:
    """The cached matrix of one model's vectors in `table`, brought up to date first."""
    if table not in _TABLES:
        raise ValueError(f"not a vector table: {table!r}")
    path = _database_path(con)
    key = (_store_key(path), model, table)
    source = _file_source(con, path)
    with _LOCK:
        cached = _CACHE.get(key)
    if cached is not None and source is not None and cached.source == source:
        return cached
    stamp = _stamp(con, table, model)
    if cached is not None and cached.stamp == stamp:
        cached.source = source
        return cached
    # An exact matrix that would grow past the threshold is read afresh, as an index.
    grows = cached is not None and (cached.index is not None or stamp[0] < APPROX_MIN_ROWS)
    if grows and cached is not None and stamp[0] > cached.stamp[0] and stamp[2] > cached.stamp[2]:
        tail = _stamp(con, table, model, after=cached.stamp[2])
        if (cached.stamp[0] + tail[0], cached.stamp[1] + tail[1]) == stamp[:2]:
            ids, vectors = _read(con, table, model, cached.stamp[2], tail[0])
            if vectors.shape[1:] == cached.vectors.shape[1:]:
                with _LOCK:
                    if _CACHE.get(key) is cached:
                        fresh = _appended(cached, ids, vectors, stamp, source)
                        _CACHE[key] = fresh
                        return fresh
    with _LOCK:
        _CACHE.pop(key, None)  # let the old matrix go before the new one is read
    del cached
    index = None
    if stamp[0] >= APPROX_MIN_ROWS:
        ids, index = _read_approx(con, table, model, stamp[0])
    if index is not None:
        fresh = _Matrix(ids, np.zeros((0, index.dim), np.float32), stamp, source, index=index)
    else:
        ids, vectors = _read(con, table, model, -1, stamp[0], spare=int(stamp[0] * HEADROOM))
        fresh = _Matrix(ids, vectors, stamp, source, spare_ids=ids.base,
                        spare_vectors=vectors.base)
    with _LOCK:
        _CACHE[key] = fresh
    return fresh


def nearest(con: duckdb.DuckDBPyConnection, vector: np.ndarray, model: str, limit: int,
            scope: set[str] | None = None, table: str = "embeddings",
            keep: Callable[[list[str]], set[str]] | None = None,
            mask: RowMask | None = None) -> list[tuple[str, float]]:
    """The `limit` documents whose embedding is closest (inner product) to `vector`.

    Args:
        con: the store.
        vector: the query's L2-normalised embedding.
        model: embedding model name (rows of other models are ignored).
        limit: how many.
        scope: restrict to these document ids (None: all).
        table: "embeddings" (primary vectors) or "multilingual_embeddings".
        keep: a condition on other tables: given candidate ids, those that meet it. It is
            asked about the best candidates a batch at a time (4 x `limit`, then 4 times as
            many) until `limit` are kept, so SQL checks a few rows, not every stored one.
        mask: a condition kept per row with the matrix (`RowMask`): no SQL per query.
    """
    m = _matrix(con, model, table)
    if not len(m.ids) or m.vectors.shape[1] != len(vector):
        return []
    query = np.asarray(vector, dtype=np.float32)
    rows = None
    if scope is not None:
        if m.rows is None:
            m.rows = {str(d): i for i, d in enumerate(m.ids)}
        index = m.rows
        rows = np.fromiter((index[d] for d in scope if d in index), dtype=np.int64)
        if not len(rows):
            return []
    allowed = _mask(con, m, mask) if mask is not None else None
    if allowed is not None and m.index is None:
        rows = np.flatnonzero(allowed) if rows is None else rows[allowed[rows]]
        allowed = None  # an exact scan scores the allowed rows alone
    rank = _approximate(m, query, rows, allowed) if m.index is not None \
        else _exact(m, query, rows)
    if keep is None:
        return rank(limit)
    found: list[tuple[str, float]] = []
    seen: set[str] = set()
    k = 4 * limit
    while len(found) < limit:
        ranked = rank(k)
        # An exact list of k starts with the smaller k's; an approximate one need not.
        batch = [(d, s) for d, s in ranked if d not in seen]
        seen.update(d for d, _ in batch)
        kept = keep([d for d, _ in batch]) if batch else set()
        found += [(d, s) for d, s in batch if d in kept]
        if len(ranked) < k or not batch:
            break  # every candidate has been asked about
        k *= 4
    found.sort(key=lambda p: (-p[1], p[0]))
    return found[:limit]


def _exact(m: _Matrix, query: np.ndarray,
           rows: np.ndarray | None) -> Callable[[int], list[tuple[str, float]]]:
    """The best k of a float32 scan of the matrix (or of `rows`), for any k."""
    if rows is None:
        scores = m.vectors @ query
    else:
        # A small scope's rows are gathered; a large one's scores picked from a full scan
        # (gathering half a million rows would copy a gigabyte).
        scores = m.vectors[rows] @ query if len(rows) * 20 < len(m.ids) \
            else (m.vectors @ query)[rows]
    return lambda k: _best(m.ids, rows, scores, k)


def _approximate(m: _Matrix, query: np.ndarray, rows: np.ndarray | None,
                 allowed: np.ndarray | None) -> Callable[[int], list[tuple[str, float]]]:
    """The best k by the approximate index (among `rows`, and `allowed` rows), by score then
    id. The mask is applied to the index's best, asked for 4 times as many until k remain
    (a row selector would turn the fast scan into a full 8-bit scan)."""
    def rank(k: int) -> list[tuple[str, float]]:
        assert m.index is not None
        want = k
        while True:
            found, scores = m.index.search(query, want, rows, below=len(m.ids))
            ok = allowed[found] if allowed is not None else np.ones(len(found), dtype=bool)
            if allowed is None or ok.sum() >= k or len(found) < want:
                break
            want *= 4
        pairs = [(str(m.ids[r]), float(s)) for r, s, y in zip(found, scores, ok, strict=True)
                 if y]
        return sorted(pairs, key=lambda p: (-p[1], p[0]))[:k]
    return rank


def _mask(con: duckdb.DuckDBPyConnection, m: _Matrix, mask: RowMask) -> np.ndarray:
    """The matrix's rows that meet `mask`, asked about the rows not yet known."""
    known = m.masks.get(mask.name)
    have = 0 if known is None else len(known)
    if have < len(m.ids):
        ids = [str(d) for d in m.ids[have:]]
        fresh = np.asarray(mask.rows(con, ids), dtype=bool)
        if len(fresh) != len(ids):
            raise ValueError(f"row mask {mask.name!r} answered {len(fresh)} of {len(ids)} rows")
        known = fresh if known is None else np.concatenate([known, fresh])
        m.masks[mask.name] = known
    assert known is not None
    return ~known[:len(m.ids)] if mask.negate else known[:len(m.ids)]


def _best(ids: np.ndarray, rows: np.ndarray | None, scores: np.ndarray,
          k: int) -> list[tuple[str, float]]:
    """The `k` best (id, score) pairs, by score then id; `rows` maps scores to `ids`."""
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    found = ids[top] if rows is None else ids[rows[top]]
    best = scores[top]
    order = np.lexsort((found, -best))
    return [(str(found[i]), float(best[i])) for i in order if np.isfinite(best[i])]
