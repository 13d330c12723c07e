"""Story clustering on every labelled story set, with and without dates, beside HDBSCAN and
agglomerative baselines on the same vectors; prints a table (and JSON lines).

Usage (project root, HF_HUB_OFFLINE=1):
    .venv/bin/python benchmarks/stories.py [--sets stories_dev,news_dev,...] [--online-only]

Sets (tests/dev/README.md): policy dev/held-out, templated notices, RTHK general news
dev/held-out (read from ../shared; skipped without it). The online rows run
``nlp.enrich.assign_stories`` (what ``radar cluster`` runs) with the default settings and with
the settings before the templated-notice/title-word changes; "undated" removes every
publication date (all documents first seen at one instant). The baselines' one parameter
(agglomerative distance threshold) is chosen on the tuning sets only (dev, news dev, notices),
as the online settings were; held-out sets are only reported.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.enrich import enriched_memory_store, story_scores  # noqa: E402
from config.settings import NlpSettings  # noqa: E402
from evaluation.clusters import bcubed  # noqa: E402
from evaluation.story_sets import BUNDLED, NEWS, TUNING, story_set  # noqa: E402
from nlp.cluster_cli import internal_id  # noqa: E402
from nlp.enrich import Models  # noqa: E402

# The clustering defaults before the templated-notice round (threshold 0.65, entity weight 0.25,
# no case, recurring-title, title-word or instrument terms, 45-day window, one threshold for
# undated documents too): the "before" row.
BEFORE = {"cluster_threshold": 0.65, "cluster_entity_weight": 0.25, "cluster_title_weight": 0.0,
          "cluster_case_penalty": 0.0, "cluster_case_bonus": 0.0, "cluster_recurring_days": 1e9,
          "cluster_window_days": 45, "cluster_instrument_weight": 0.0,
          "cluster_undated_threshold": 0.65}
AGGLO_THRESHOLDS = (0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5)


def undate(con) -> None:
    """Drop every publication date in the store (documents keep one shared first-seen time)."""
    con.execute("UPDATE documents SET published_at = NULL, "
                "first_seen_at = TIMESTAMPTZ '2026-01-01 00:00:00+00'")


def _vectors(con, rows):
    vecs = dict(con.execute("SELECT doc_id, vector FROM embeddings").fetchall())
    ids = [r["id"] for r in rows if internal_id(r["id"]) in vecs]
    return ids, np.asarray([vecs[internal_id(i)] for i in ids], dtype=np.float32)


def baselines(ids, x, gold) -> dict:
    """HDBSCAN (min_cluster_size 2) and average-linkage agglomerative at each threshold."""
    from sklearn.cluster import HDBSCAN, AgglomerativeClustering

    out = {}
    t0 = time.perf_counter()
    labels = HDBSCAN(min_cluster_size=2, copy=True).fit_predict(x)
    pred = {i: (f"h{lab}" if lab >= 0 else f"noise:{i}") for i, lab in zip(ids, labels, strict=True)}
    out["hdbscan"] = {**bcubed(gold, {k: pred.get(k, "x:" + k) for k in gold}).__dict__,
                      "seconds": round(time.perf_counter() - t0, 2)}
    for t in AGGLO_THRESHOLDS:
        t0 = time.perf_counter()
        labels = AgglomerativeClustering(n_clusters=None, distance_threshold=t, metric="cosine",
                                         linkage="average").fit_predict(x)
        pred = dict(zip(ids, (f"a{lab}" for lab in labels), strict=True))
        out[f"agglomerative@{t}"] = {**bcubed(gold, {k: pred.get(k, "x:" + k) for k in gold}).__dict__,
                                     "seconds": round(time.perf_counter() - t0, 2)}
    return out


def main() -> None:
    """Run every set, print JSON lines, then the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sets", default=",".join(("stories_dev", "stories_heldout", "news_dev",
                                                 "news_heldout", "stories_notices")))
    ap.add_argument("--online-only", action="store_true",
                    help="only the default online rows, dated and undated (~30 s a set)")
    args = ap.parse_args()
    settings = NlpSettings()
    variants = (("online", {}),) if args.online_only else (("online", {}), ("online, before", BEFORE))
    models = Models.load(settings)
    results: dict[str, dict] = {}
    for name in args.sets.split(","):
        rows = story_set(name)
        if rows is None:
            print(json.dumps({name: "skipped (../shared/corpus/foreign not found)"}))
            continue
        gold = {r["id"]: r["story"] for r in rows}
        con = enriched_memory_store(rows, models, settings)
        res = {}
        for label, update in variants:
            t0 = time.perf_counter()
            res[label] = {**story_scores(con, models, settings.model_copy(update=update), rows),
                          "seconds": round(time.perf_counter() - t0, 2)}
        if not args.online_only:
            ids, x = _vectors(con, rows)
            res.update(baselines(ids, x, gold))
        undate(con)
        for label, update in variants:
            res[label + ", undated"] = story_scores(con, models, settings.model_copy(update=update), rows)
        con.close()
        results[name] = res
        print(json.dumps({name: res, "documents": len(rows), "load_avg": os.getloadavg()[0]}), flush=True)
    if args.online_only:
        return
    tuned = [n for n in TUNING if n in results]
    if tuned:
        best = max(AGGLO_THRESHOLDS, key=lambda t: np.mean([results[n][f"agglomerative@{t}"]["f1"]
                                                            for n in tuned]))
        print(json.dumps({"agglomerative_threshold_chosen_on": tuned, "threshold": best}))
    else:
        best = AGGLO_THRESHOLDS[2]
    methods = ["online", "online, undated", "online, before", "online, before, undated", "hdbscan",
               f"agglomerative@{best}"]
    names = [n for n in (*BUNDLED[:2], *NEWS, BUNDLED[2]) if n in results]
    print("\n| method | " + " | ".join(f"{n} P/R/F1" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for m in methods:
        cells = [f"{results[n][m]['precision']:.3f} / {results[n][m]['recall']:.3f} / "
                 f"**{results[n][m]['f1']:.3f}**" for n in names]
        print(f"| {m} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
