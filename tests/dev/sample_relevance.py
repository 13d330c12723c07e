"""Draw the documents to label for the relevance set (tests/dev/relevance.jsonl).

The population is what the demo crawls: every White House page of the bundled snapshot and the
Federal Register documents the ``fr-trade-technology`` source's full-text query finds (the
mirror's own matcher). The draw is seeded; whole publication days go to one split (templated
same-day notices must not sit on both sides), the demo day and its eve are forced into dev.

    .venv/bin/python tests/dev/sample_relevance.py --split dev > /tmp/review-dev.txt

prints one block per document (id, date, source, title, the first 400 characters of the
text) for the labeller to read. ``--ids`` prints ids only.

Round 2 (``--round 2``): the first held-out half was spent on reporting rules v1 (it became
tuning data for v2), so a second held-out set is drawn, seeded, from publication days that
round 1 never touched (no same-day sibling of a tuned-on notice can leak in).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
from pathlib import Path

import yaml

from replay.mirror_fedreg import matches, normalize, parse_term

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOT = ROOT / "demo" / "snapshot"
SEED = 15
FOCUS = ("2025-03", "2025-04")
FORCED_DEV_DAYS = ("2025-04-02", "2025-04-03")
# (source, in FOCUS months?) -> how many to draw
QUOTA = {("fr", True): 190, ("wh", True): 50, ("fr", False): 130, ("wh", False): 70}
SEED_2 = 152
QUOTA_2 = {"fr": 150, "wh": 70}


def _rows(name: str) -> list[dict]:
    with gzip.open(SNAPSHOT / f"{name}.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def split_of(day: str) -> str:
    """dev | heldout for a publication day (a stable hash, so the split never moves)."""
    if day in FORCED_DEV_DAYS:
        return "dev"
    return "dev" if hashlib.sha1(day.encode()).digest()[0] % 2 == 0 else "heldout"


def population() -> list[dict]:
    """The crawled population: all WH pages + FR documents matching the FR source's query."""
    sources = yaml.safe_load((ROOT / "crawlers" / "sources.yaml").read_text(encoding="utf-8"))
    fr_src = next(s for s in sources["sources"] if s["id"] == "fr-trade-technology")
    tree = parse_term(fr_src["params"]["conditions[term]"])
    out = []
    for r in _rows("federal_register"):
        if matches(tree, normalize(f"{r['title']} {r.get('text') or ''}")):
            out.append({**r, "source": "fr"})
    out.extend({**r, "source": "wh"} for r in _rows("whitehouse"))
    return out


def draw() -> list[dict]:
    """The labelling sample: seeded quotas (focus months and the rest) + the demo day."""
    rng = random.Random(SEED)
    pool = sorted(population(), key=lambda r: r["id"])
    picked: dict[str, dict] = {}
    for (source, focus), n in QUOTA.items():
        group = [r for r in pool if r["source"] == source and (r["published"][:7] in FOCUS) == focus]
        for r in rng.sample(group, min(n, len(group))):
            picked[r["id"]] = r
    for r in pool:  # every candidate of the demo morning (published, or filed for the next day)
        if r["published"][:10] in FORCED_DEV_DAYS:
            picked[r["id"]] = r
    rows = sorted(picked.values(), key=lambda r: (r["published"][:10], r["id"]))
    return [{**r, "split": split_of(r["published"][:10])} for r in rows]


def draw_round2() -> list[dict]:
    """The second held-out draw: seeded quotas over the days round 1 did not sample."""
    used = {r["published"][:10] for r in draw()}
    rng = random.Random(SEED_2)
    pool = sorted((r for r in population() if r["published"][:10] not in used),
                  key=lambda r: r["id"])
    picked = []
    for source, n in QUOTA_2.items():
        group = [r for r in pool if r["source"] == source]
        picked.extend(rng.sample(group, min(n, len(group))))
    rows = sorted(picked, key=lambda r: (r["published"][:10], r["id"]))
    return [{**r, "split": "heldout"} for r in rows]


def main() -> None:
    """Print the review listing (or ids) of one split."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--split", choices=("dev", "heldout", "all"), default="all")
    ap.add_argument("--ids", action="store_true")
    ap.add_argument("--round", type=int, choices=(1, 2), default=1)
    args = ap.parse_args()
    rows = draw() if args.round == 1 else draw_round2()
    for i, r in enumerate(x for x in rows if args.split in ("all", x["split"])):
        if args.ids:
            print(r["id"])
            continue
        lead = " ".join((r.get("text") or "").split())[:400]
        print(f"[{i}] {r['id']} {r['published'][:10]} {r['source']} {r['split']}\n"
              f"  T: {r['title']}\n  L: {lead}\n")


if __name__ == "__main__":
    main()
