"""The approximate vector index (store/vector_index.py) against exact search: recall of the
exact top 10 / top 100 for real labelled queries over a store's real vectors, score error,
and query time and memory at a million rows (issue 18).

Real recall: the store's primary vectors (MiniLM) and the queries of tests/dev/search_queries*.jsonl
encoded as `radar search` encodes them (the store of benchmarks/search_quality.py has 21,902
real documents with their vectors). The index is built over them whatever their count (in the
product it is used from `APPROX_MIN_ROWS`), and compared with what the cluster index (faiss IVF,
the usual first choice) finds at the same vectors.

Speed at 1M: `--rows 1000000` stacks copies of the store's vectors with Gaussian noise (sigma
0.0125 a component, as benchmarks/scale.py makes its store), builds the index a block at a time
as store/nearest.py does, and times single queries.

Usage:
    .venv/bin/python benchmarks/vector_index.py --db /tmp/sq.duckdb [--rows 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = [ROOT / "tests/dev/search_queries.jsonl", ROOT / "tests/dev/search_queries_heldout.jsonl"]


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each row of `exact` that `found` has."""
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact, strict=True)]))


def main() -> None:
    """Print recall, score error, and (with --rows) 1M build and query times."""
    import duckdb
    import faiss

    from config.settings import load_settings
    from nlp.embed import load_query_encoder
    from store.nearest import _read
    from store.vector_index import ApproxIndex

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="a store with primary vectors")
    ap.add_argument("--rows", type=int, default=0, help="also time an index of this many rows")
    args = ap.parse_args()
    settings = load_settings(db_path=args.db)
    encoder = load_query_encoder(settings.nlp)
    con = duckdb.connect(str(args.db), read_only=True)
    count = con.execute("SELECT count(*) FROM embeddings WHERE model = ?", [encoder.name]).fetchone()[0]
    _, x = _read(con, "embeddings", encoder.name, -1, count)
    con.close()
    queries = [json.loads(line)["query"] for p in QUERIES for line in p.read_text().splitlines()
               if line.strip()]
    q = np.asarray(encoder.encode(queries), dtype=np.float32)
    exact = np.argsort(-(q @ x.T), axis=1)
    n, dim = x.shape
    print(f"{n:,} real vectors ({encoder.name}), {len(queries)} labelled queries")
    index = ApproxIndex(dim)
    index.add(x)
    found10 = [index.search(v, 10)[0] for v in q]
    found100, errors = [], []
    for v in q:
        rows, scores = index.search(v, 100)
        found100.append(rows)
        errors.append(float(np.max(np.abs(scores - x[rows] @ v))))
    print(f"approximate index: recall@10 {recall(found10, exact[:, :10]):.3f}, recall@100 "
          f"{recall(found100, exact[:, :100]):.3f}, max |score error| median "
          f"{statistics.median(errors):.4f}")
    nlist = int(np.sqrt(n))
    ivf = faiss.IndexIVFScalarQuantizer(faiss.IndexFlatIP(dim), dim, nlist,
                                        faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT)
    ivf.train(x)
    ivf.add(x)
    for share in (0.03, 0.10):
        ivf.nprobe = max(1, round(nlist * share))
        _, got = ivf.search(q, 100)
        print(f"IVF {nlist} lists, {share:.0%} probed: recall@10 "
              f"{recall(got[:, :10], exact[:, :10]):.3f}, recall@100 {recall(got, exact[:, :100]):.3f}")
    if args.rows:
        rng = np.random.default_rng(0)
        big = ApproxIndex(dim)
        t0 = time.perf_counter()
        for start in range(0, args.rows, 100_000):
            block = x[np.arange(start, min(args.rows, start + 100_000)) % n]
            block = block + rng.normal(0, 0.0125, block.shape).astype(np.float32)
            big.add(block / np.linalg.norm(block, axis=1, keepdims=True))
        build = time.perf_counter() - t0
        times = []
        for v in q:
            t0 = time.perf_counter()
            big.search(v, 100)
            times.append((time.perf_counter() - t0) * 1000)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.rows:,} rows: built in {build:.1f} s; top 100 a query p50 "
              f"{statistics.median(times):.1f} ms, max {max(times):.1f} ms; "
              f"{(dim // 4 + dim) / 1e3 * args.rows / 1e3:.0f} MB of codes (float32: "
              f"{dim * 4 * args.rows / 1e6:.0f} MB); peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
