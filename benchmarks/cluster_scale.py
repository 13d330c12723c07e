"""Story clustering at scale: ``nlp.cluster.cluster_items`` over N documents in time order.

Usage (project root, HF_HUB_OFFLINE=1):
    .venv/bin/python benchmarks/cluster_scale.py [--n 1000000] [--days 730] [--profile FILE]

The items are made as ``benchmarks/enrich.py scale`` makes them (``synthetic_items``): the
MiniLM vectors of 3,000 real documents (White House archive, USA TODAY, Federal Register; fixed
seed) plus Gaussian noise (cosine ~0.93 to the original), each with the real title of the
document its vector came from (so case slots, recurring titles and title words cost what they
do) and one entity, at times spread uniformly over ``--days``. Prints one JSON line: wall and
CPU (process) seconds, the machine's load average before and after (the machine is shared),
documents per CPU second, stories, the active-story index's size, peak RSS; a progress line
after each ``--chunk`` items.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.enrich import corpus_sample, synthetic_items  # noqa: E402
from config.settings import NlpSettings  # noqa: E402
from nlp.cluster import ClusterState, cluster_items  # noqa: E402
from nlp.enrich import Models  # noqa: E402

SPAN_DAYS = 730.0  # what synthetic_items spreads its items over


def main() -> None:
    """Build the items, cluster them once, print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--days", type=float, default=730.0, help="time span the items are spread over")
    ap.add_argument("--profile", help="write a cProfile dump of the clustering here")
    ap.add_argument("--chunk", type=int, default=100_000,
                    help="cluster in runs of this many items (as the pipeline's incremental runs "
                         "do, one shared state) and print a progress line after each")
    args = ap.parse_args()
    settings = NlpSettings()
    models = Models.load(settings)
    rows = corpus_sample(3000, seed=9)
    base = models.backend.encode([f"{r['title']}. {r['text'][:600]}" for r in rows])
    items = synthetic_items(args.n, base, titles=[r["title"] for r in rows])
    if args.days != SPAN_DAYS:  # synthetic_items spreads over two years; squeeze or stretch
        start = items[0].at
        items = [replace(i, at=start + (i.at - start) * (args.days / SPAN_DAYS)) for i in items]
    del models
    state = ClusterState(dim=base.shape[1])
    load_before = os.getloadavg()
    profiler = cProfile.Profile() if args.profile else None
    cpu0, t0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    out = []
    for start in range(0, len(items), args.chunk):
        out += cluster_items(items[start:start + args.chunk], state, settings)
        print(json.dumps({"done": len(out), "cpu_s": round(time.process_time() - cpu0, 1),
                          "wall_s": round(time.perf_counter() - t0, 1),
                          "index_rows": len(state.index), "load_avg": round(os.getloadavg()[0], 1)}),
              flush=True)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - t0
    print(json.dumps({
        "core": "cluster_items", "items": len(items), "days": args.days,
        "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "docs_per_cpu_s": round(len(items) / cpu),
        "stories": len({a.story_id for a in out}), "events": len(state.events),
        "index_rows_at_end": len(state.index),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1048576, 2),
        "load_avg_before": [round(x, 1) for x in load_before],
        "load_avg_after": [round(x, 1) for x in os.getloadavg()],
    }))


if __name__ == "__main__":
    main()
