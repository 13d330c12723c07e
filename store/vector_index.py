"""A compressed, approximate inner-product index for large vector tables (issue 18).

Below `APPROX_MIN_ROWS` stored vectors, `store.nearest` scans a float32 matrix exactly (100k x
384 in ~10 ms). At a million documents the two tables' matrices held 3.6 GB in every reading
process, and each query read all of it (~116 ms a table). Above the threshold this index is
used instead: faiss's 4-bit product-quantisation fast scan over every row (48 bytes a
384-d vector), its best `k x REFINE` candidates re-scored with 8-bit scalar-quantised vectors
(one byte a component; a score within ~1e-3 of the exact inner product). At 1M x 384: ~1/4 of
the memory of float32, ~5-11 ms a query on one thread.

Why exhaustive PQ and not a cluster index (IVF): a text query's vector sits far from every
stored one (cosine ~0.5), between clusters; on the 21,902 real documents of the search
benchmark, IVF probing 3 % of the lists found 64 % of the exact top 100 (10 %: 82 %), this
index 99 % (docs/performance.md, "Approximate vectors").
"""

from __future__ import annotations

import threading

import faiss
import numpy as np

APPROX_MIN_ROWS = 200_000  # fewer stored vectors: the exact float32 matrix
REFINE = 10  # candidates re-scored per result wanted
PQ_DIMS = 4  # vector components per 4-bit sub-quantiser
SQ_MARGIN = 0.1  # the 8-bit range is the first block's min..max widened by this share


class ApproxIndex:
    """Rows added in order (row i is the i-th vector added); searched by inner product.

    The first block added trains the quantisers (it should be large: ≥ 10,000 rows). Adding
    and searching share a lock: faiss does not let one thread read while another adds.
    """

    def __init__(self, dim: int) -> None:
        """An empty index for `dim`-dimensional vectors (`dim` a multiple of `PQ_DIMS`)."""
        if dim % PQ_DIMS:
            raise ValueError(f"dimension {dim} is not a multiple of {PQ_DIMS}")
        self.dim = dim
        # The parts are kept as attributes: the refine index holds bare pointers to them.
        self._coarse = faiss.IndexPQFastScan(dim, dim // PQ_DIMS, 4, faiss.METRIC_INNER_PRODUCT)
        self._fine = faiss.IndexScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit,
                                                faiss.METRIC_INNER_PRODUCT)
        self._fine.sq.rangestat = faiss.ScalarQuantizer.RS_minmax
        self._fine.sq.rangestat_arg = SQ_MARGIN  # later rows may reach past the first block's
        self._index = faiss.IndexRefine(self._coarse, self._fine)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        """Append rows (float32, shape (k, dim)); the first call trains on its rows."""
        block = np.ascontiguousarray(vectors, dtype=np.float32)
        if not len(block):
            return
        with self._lock:
            if not self._index.is_trained:
                self._index.train(block)
            self._index.add(block)

    def search(self, query: np.ndarray, k: int, rows: np.ndarray | None = None,
               below: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The best `k` rows for `query`: (rows, scores), best first.

        Args:
            query: a (dim,) vector.
            k: how many at most.
            rows: consider only these row numbers (None: all).
            below: ignore rows at or after this number (rows added after the caller's view).
        """
        total = len(self)
        if k <= 0 or not total:
            return np.empty(0, np.int64), np.empty(0, np.float32)
        extra = total - below if below is not None and below < total else 0
        want = min(k + extra, total)
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, -1))
        if rows is None:
            with self._lock:
                scores, found = self._index.search(
                    q, want, params=faiss.IndexRefineSearchParameters(k_factor=REFINE))
        else:
            # The fast scan takes no row selector: a scope is scanned in the 8-bit vectors
            # alone (every row's code is read, ~85 ms at 1M x 384; only the scope's scored).
            allowed = np.zeros(total, dtype=bool)
            allowed[rows[(rows >= 0) & (rows < total)]] = True
            bitmap = np.packbits(allowed, bitorder="little")
            selector = faiss.IDSelectorBitmap(total, faiss.swig_ptr(bitmap))
            with self._lock:
                scores, found = self._fine.search(q, want,
                                                  params=faiss.SearchParameters(sel=selector))
            del bitmap  # the selector's bits had to outlive the search
        scores, found = scores[0], found[0]
        ok = found >= 0
        if below is not None:
            ok &= found < below
        return found[ok][:k].astype(np.int64), scores[ok][:k]
