"""Measure lifecycle events: precision and recall on the hand-labelled measures
(tests/dev/lifecycle.jsonl), dev and held-out.

Usage (project root):
    nice -n 10 .venv/bin/python benchmarks/lifecycle.py [--errors] [--store-index]

Match rule (evaluation/lifecycle.py): per measure, the extractor's events over the measure's
documents as (kind, date) pairs; a pair is correct when the labels have that kind on that
date. Prints one JSON line per split: precision, recall, counts, citation and instrument
agreement, measures under one key, and the time taken. ``--store-index`` also teaches
instrument numbers from every snapshot document (as story building does from the store).
docs/quality.md ("Measure lifecycle") records the figures.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawlers.registry import load_registry  # noqa: E402
from evaluation.lifecycle import evaluate, load_labels  # noqa: E402
from nlp.lifecycle import MODEL  # noqa: E402
from replay.snapshot_docs import snapshot_documents  # noqa: E402

LABELS = ROOT / "tests" / "dev" / "lifecycle.jsonl"
SNAPSHOT = ROOT / "demo" / "snapshot"


def main() -> None:
    """Score every split and print its figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--errors", action="store_true", help="list missed and extra events")
    ap.add_argument("--store-index", action="store_true",
                    help="learn instrument numbers from the whole snapshot too")
    args = ap.parse_args()
    labels = load_labels(LABELS)
    wanted = {u for m in labels for u in m.docs}
    t0 = time.perf_counter()
    if args.store_index:
        every = list(snapshot_documents(SNAPSHOT, load_registry()))
        docs = {d.url: d for d in every if d.url in wanted}
    else:
        every = []
        docs = {d.url: d for d in snapshot_documents(SNAPSHOT, load_registry(),
                                                     keep=lambda r: r["url"] in wanted)}
    t1 = time.perf_counter()
    scores = evaluate(labels, docs, every)
    t2 = time.perf_counter()
    missing = sorted(wanted - set(docs))
    for split in ("dev", "heldout"):
        s = scores[split]
        print(json.dumps({
            "split": split, "model": MODEL, "measures": s.measures,
            "precision": round(s.precision, 3), "recall": round(s.recall, 3),
            "correct": s.tp, "predicted": s.tp + s.fp, "labelled": s.tp + s.fn,
            "citation_agreement": round(s.cited_ok / s.tp, 3) if s.tp else None,
            "instrument_agreement": round(s.instrument_ok / s.instrument_labelled, 3)
            if s.instrument_labelled else None,
            "measures_one_key": s.one_key, "store_index": args.store_index,
            "documents": len(docs), "missing_documents": len(missing),
            "load_s": round(t1 - t0, 1), "extract_s": round(t2 - t1, 2),
        }, ensure_ascii=False))
        if args.errors:
            for line in s.misses:
                print("  MISS ", line)
            for line in s.extras:
                print("  EXTRA", line)


if __name__ == "__main__":
    main()
