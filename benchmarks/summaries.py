"""Summary quality: the digest's story summaries against lead and centroid baselines.

ROUGE-1/2/L F1 of the extractive summaries against the hand-written references in
evaluation/summary_references.jsonl (23 dev stories, 17 held-out stories; how they were written:
tests/dev/README.md, "Reference summaries"), with two baselines cut to the same number of
tokens as each system summary (lead of the explanatory document; TF-IDF centroid). Prints
one line per story, the means per split and the ROUGE-2 ratios ours/lead and ours/centroid
(docs/quality.md, "Summaries"; the floors are pinned in tests/test_evaluation_summaries.py).

Usage (project root):
    HF_HUB_OFFLINE=1 nice .venv/bin/python benchmarks/summaries.py [--corpus DIR] [--rows]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
SNAPSHOT = ROOT / "demo" / "snapshot"


def run(corpus: Path, rows: bool = True) -> dict:
    """Evaluate and print; returns the per-split figures."""
    from config.settings import load_settings
    from evaluation.summaries import evaluate
    from nlp.embed import load_backend

    settings = load_settings()
    backend = load_backend(settings.nlp)
    t0 = time.perf_counter()
    report = evaluate(corpus, backend, settings.digest)
    elapsed = time.perf_counter() - t0
    if rows:
        print(f"{'split':<8} {'story':<46} {'ours R2':>7} {'lead':>6} {'centr':>6}")
        for r in report.rows:
            print(f"{r.split:<8} {r.story_id[:46]:<46} {r.system.r2:7.3f} {r.lead.r2:6.3f} "
                  f"{r.centroid.r2:6.3f}")
    out = {}
    for name, s in report.splits.items():
        out[name] = {
            "stories": s.stories,
            "ours": {"r1": s.system.r1, "r2": s.system.r2, "rl": s.system.rl},
            "lead": {"r1": s.lead.r1, "r2": s.lead.r2, "rl": s.lead.rl},
            "centroid": {"r1": s.centroid.r1, "r2": s.centroid.r2, "rl": s.centroid.rl},
            "r2_ours_over_lead": round(s.ratio_lead, 3),
            "r2_ours_over_centroid": round(s.ratio_centroid, 3),
        }
        print(json.dumps({"split": name, **out[name]}, default=lambda x: round(x, 4)))
    print(f"{len(report.rows)} stories in {elapsed:.1f} s (backend {backend.name})")
    return out


def main() -> None:
    """Parse arguments and run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=SNAPSHOT,
                    help="bundled snapshot (default) or the shared corpus folder")
    ap.add_argument("--no-rows", action="store_true", help="only the per-split figures")
    args = ap.parse_args()
    run(args.corpus, rows=not args.no_rows)


if __name__ == "__main__":
    main()
