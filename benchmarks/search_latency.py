"""Search latency: `store.search.search` (BM25 half) on the 20 labelled queries of
tests/dev/search_queries.jsonl, prepared as `radar search` prepares them, `--rounds` times in
one process over benchmarks/search_store.py's store; prints p50/p95, the load and the slowest
queries. To time another version of the search code on the same store, put its store/ first
on the path (`git archive <commit> store | tar -x -C /tmp/old; PYTHONPATH=/tmp/old ...`).

Usage:
    nice -n 10 .venv/bin/python benchmarks/search_latency.py --db /tmp/sq.duckdb --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.append(str(ROOT))  # appended: a PYTHONPATH store/ comes first


def main() -> None:
    """Open the store (read-only) and print the timings."""
    import duckdb

    from benchmarks.search_quality import load_queries
    from commentary.query import load_vocabulary, prepare_query
    from config.settings import load_settings
    from store.search import search

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="a store made by search_quality.py --db")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    cs = load_settings().commentary
    con = duckdb.connect(str(args.db), read_only=True)
    vocabulary = load_vocabulary()
    texts = [prepare_query(q["query"], cs.max_query_chars, allow_cjk=True).search_text
             for q in load_queries()]
    search(con, None, texts[0], synonyms=vocabulary)  # the fts extension, caches
    times: dict[str, list[float]] = {t: [] for t in texts}
    cpu: list[float] = []  # CPU seconds of the process (all threads): less load-bound than wall
    for _ in range(args.rounds):
        for text in texts:
            t0, c0 = time.perf_counter(), time.process_time()
            search(con, None, text, limit=10, min_coverage=cs.min_coverage,
                   min_cosine=cs.min_cosine, synonyms=vocabulary)
            times[text].append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    every = sorted(d for ds in times.values() for d in ds)
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"{len(every)} searches ({len(texts)} queries x {args.rounds}) · load average {load}: "
          f"p50 {statistics.median(every) * 1000:.0f} ms, "
          f"p95 {every[max(0, int(0.95 * len(every)) - 1)] * 1000:.0f} ms; CPU per search "
          f"p50 {statistics.median(cpu) * 1000:.0f} ms, "
          f"p95 {sorted(cpu)[max(0, int(0.95 * len(cpu)) - 1)] * 1000:.0f} ms")
    for text, ds in sorted(times.items(), key=lambda kv: -min(kv[1]))[:5]:
        print(f"  {min(ds) * 1000:6.0f} ms best  {text[:60]!r}")
    con.close()


if __name__ == "__main__":
    main()
