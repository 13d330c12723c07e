"""Entity and tag precision on the hand-labelled sample (tests/dev/entities_labelled.jsonl).

Usage (project root):
    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/entities.py [--split dev|heldout|all] [--errors]

Prints one JSON line per split: mention and entity (chip) precision and recall per predicted
kind, countries+agencies together, all kinds, and topic / policy-instrument tag precision and
recall. docs/quality.md ("Entities and tags") records the figures; the labels and how they were
made are described in tests/dev/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from config.settings import NlpSettings  # noqa: E402
from evaluation.entities import Report, Tally, load_labelled, measure  # noqa: E402
from nlp.enrich import Models  # noqa: E402


def _fig(t: Tally, recall: bool = True) -> dict:
    out = {"precision": t.precision, "correct": t.correct, "predicted": t.predicted}
    return {**out, "recall": t.recall, "gold": t.gold} if recall else out


def summary(split: str, r: Report) -> dict:
    """The figures of one run as a JSON-able dict."""
    kinds = sorted(set(r.mentions) | set(r.entities))
    return {
        "split": split, "documents": r.documents,
        "gold_mentions": r.mention().gold,
        "countries_agencies": {"mentions": _fig(r.mention("country", "agency")),
                               "entities": _fig(r.entity("country", "agency"), False)},
        "all": {"mentions": _fig(r.mention()), "entities": _fig(r.entity(), False)},
        "by_kind": {k: {"mentions": _fig(r.mentions.get(k, Tally())),
                        "entities": _fig(r.entities.get(k, Tally()), False)} for k in kinds},
        "topics": _fig(r.topics), "instruments": _fig(r.instruments),
        "tags_per_document": r.tags_per_document,
    }


def main() -> None:
    """Measure the splits asked for and print their figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=("dev", "heldout", "all", "each"), default="each")
    ap.add_argument("--errors", action="store_true", help="also list every wrong mention")
    args = ap.parse_args()
    settings = NlpSettings()
    models = Models.load(settings)
    rows = load_labelled()
    splits = ("dev", "heldout", "all") if args.split == "each" else (args.split,)
    for split in splits:
        chosen = [r for r in rows if split == "all" or r["split"] == split]
        report = measure(chosen, models, settings)
        print(json.dumps(summary(split, report), ensure_ascii=False))
        if args.errors:
            for line in report.errors:
                print("  wrong:", line)


if __name__ == "__main__":
    main()
