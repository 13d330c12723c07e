"""One-shot `radar search` from the command line: wall time per search, before and after.

Each search is a fresh process, as when an analyst types the command: "before" is the former
CLI path (`commentary.run.run_search`: the full embedding stack — torch, sentence-transformers —
loaded, and the store opened for writing to check its BM25 index); "after" is `radar search`
(NumPy MiniLM for the query vector, the newest read copy of the store). Both print the same
documents; the script checks that they agree.

Usage (after `make demo`, which fills data/radar.duckdb):
    .venv/bin/python benchmarks/cli_search.py
    .venv/bin/python benchmarks/cli_search.py --db data/radar.duckdb --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUERIES = ("de minimis", "semiconductor export controls", "半導體 出口管制", "小額包裹免稅")

BEFORE = """
import json, sys
from radar.cli_base import env_defaults
env_defaults()
from commentary.run import run_search
from config.settings import load_settings
r = run_search(load_settings(), sys.argv[1], limit=10)
print(json.dumps([h.doc_id for h in r.docs]))
"""


def _env(db: Path) -> dict[str, str]:
    return {**os.environ, "RADAR_DB_PATH": str(db), "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1", "PREFECT_HOME": str(ROOT / ".prefect")}


def _timed(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    took = time.perf_counter() - t0
    if done.returncode not in (0, 1):  # 1: no documents match
        raise SystemExit(f"{cmd[:4]} failed:\n{done.stderr[-2000:]}")
    return took, done.stdout


def main() -> None:
    """Time each query `--runs` times per variant and print medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "data" / "radar.duckdb")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.db.exists():
        raise SystemExit(f"no store at {args.db}: run `make demo` first")
    env = _env(args.db.resolve())
    load = os.getloadavg()[0]
    print(f"store {args.db} · {args.runs} runs per query · load average {load:.1f} "
          f"on {os.cpu_count()} cores")
    print(f"{'query':<32} {'before s':>9} {'after s':>9}  same documents")
    befores, afters = [], []
    for query in QUERIES:
        before = [_timed([sys.executable, "-c", BEFORE, query], env) for _ in range(args.runs)]
        after = [_timed([sys.executable, "-m", "radar.cli", "search", query, "--json",
                         "--limit", "10"], env) for _ in range(args.runs)]
        old_ids = json.loads(before[-1][1] or "[]")
        new_ids = [d["id"] for d in json.loads(after[-1][1] or '{"documents": []}')["documents"]]
        b = statistics.median(t for t, _ in before)
        a = statistics.median(t for t, _ in after)
        befores.append(b)
        afters.append(a)
        print(f"{query:<32} {b:9.2f} {a:9.2f}  {'yes' if old_ids == new_ids else 'NO'}")
    print(f"{'median over queries':<32} {statistics.median(befores):9.2f} "
          f"{statistics.median(afters):9.2f}")


if __name__ == "__main__":
    main()
