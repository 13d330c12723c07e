"""Mission relevance: precision/recall of the rules and of the classifier on the labelled set.

    python benchmarks/relevance.py [--split heldout] [--write-model] [--show-errors]

Labels: tests/dev/relevance.jsonl (hand-labelled; dev = tuning half, heldout = never tuned on).
Prints, per scorer and split, precision / recall / F1 at the floor (`digest.relevance_floor`)
and the best precision at recall >= 0.90; then the same on the 83 stories of
tests/dev/cards_labelled.jsonl (relevance labelled by another person). The classifier is the
packaged nlp/relevance_model.json; --write-model first retrains it on the dev half.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from config.settings import load_settings  # noqa: E402
from evaluation.relevance import (  # noqa: E402
    card_stories,
    doc_of,
    embed_records,
    load_labelled,
    snapshot_index,
)
from evaluation.relevance_train import (  # noqa: E402
    best_threshold,
    cv_probabilities,
    metrics,
    model_json,
    train,
    write_model,
)
from nlp.embed import load_minilm  # noqa: E402
from nlp.relevance import RuleScorer, load_model, score_documents  # noqa: E402
from nlp.topics import load_taxonomy  # noqa: E402

LABELS = ROOT / "tests" / "dev" / "relevance.jsonl"
CARDS = ROOT / "tests" / "dev" / "cards_labelled.jsonl"


def _line(name: str, labels: list[int], scores: list[float], floor: float) -> str:
    m = metrics(labels, scores, floor)
    t = best_threshold(labels, scores, 0.9)
    at = metrics(labels, scores, t)
    return (f"{name:<22} n={m.n:<4} pos={m.positives:<4} P={m.precision:.3f} R={m.recall:.3f} "
            f"F1={m.f1:.3f}   | best P at R>=0.90: P={at.precision:.3f} R={at.recall:.3f} "
            f"(t={t:.3f})")


def main() -> None:
    """Score every split with every method and print the figures."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--split", action="append", choices=("dev", "heldout"))
    ap.add_argument("--write-model", action="store_true", help="retrain on dev and write the model")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--cache", type=Path, help="keep the vectors in this .npy file between runs")
    args = ap.parse_args()
    splits = args.split or ["dev", "heldout"]
    settings = load_settings()
    floor = settings.digest.relevance_floor
    prof = settings.digest.profiles[settings.digest.profile]
    rules = RuleScorer(load_taxonomy(), tuple(prof.watchlist))
    index = snapshot_index(ROOT / "demo" / "snapshot")
    rows = load_labelled(LABELS)
    t0 = time.perf_counter()
    backend = load_minilm()
    recs = [index[r.id] for r in rows]
    if args.cache and args.cache.exists() and len(np.load(args.cache)) == len(recs):
        vectors = np.load(args.cache)
    else:
        vectors = embed_records(recs, backend, settings.nlp.embed_chars,
                                settings.nlp.embed_title_weight)
        if args.cache:
            np.save(args.cache, vectors)
    print(f"{len(rows)} labelled documents embedded with {backend.name} in "
          f"{time.perf_counter() - t0:.1f} s")
    if args.write_model:
        dev = [i for i, r in enumerate(rows) if r.split == "dev"]
        model, report = train(vectors[dev], np.array([rows[i].label for i in dev]), backend.name,
                              [rows[i].id for i in dev])
        path = write_model(model, ROOT / "nlp")
        print(f"wrote {path.relative_to(ROOT)} ({len(model_json(model))} bytes): C={report['C']} "
              f"threshold={report['threshold']:.3f}; CV: {report['cv']}")
    model = load_model()
    print(f"floor {floor}; rules {rules.version}; classifier {model.label if model else 'missing'}")
    for split in splits:
        idx = [i for i, r in enumerate(rows) if r.split == split]
        labels = [rows[i].label for i in idx]
        docs = [doc_of(recs[i], vectors[i]) for i in idx]
        print(f"\n[{split}]")
        for method in ("rules", "classifier", "blend"):
            res = score_documents(docs, rules, model, method)
            print(_line(method, labels, [r.score for r in res], floor))
            if split == "dev" and method != "rules" and model is not None:
                # in-sample figures flatter a fitted model: out-of-fold ones are the fair view
                p = cv_probabilities(np.asarray(vectors[idx]), np.array(labels),
                                     float(model.provenance.get("C", 1.0)))
                t = float(model.provenance.get("threshold_before_shift", 0.5))
                shifted = [1 / (1 + ((1 - q) / max(q, 1e-9)) * (t / (1 - t))) for q in p]
                rule = [r.score for r in score_documents(docs, rules, None, "rules")]
                cv = shifted if method == "classifier" else [(a + b) / 2 for a, b in
                                                             zip(shifted, rule, strict=True)]
                print(_line(f"{method} (5-fold CV)", labels, cv, floor))
            if args.show_errors:
                for i, r in zip(idx, res, strict=True):
                    if (r.score >= floor) != bool(rows[i].label):
                        kind = "FP" if r.score >= floor else "FN"
                        print(f"    {kind} {r.score:.2f} {r.reason:<32} {rows[i].title[:110]}")
    if CARDS.exists():
        cases = card_stories(CARDS, index)
        labels = [c.label for c in cases]
        flat = [d for c in cases for d in c.docs]
        card_vecs = embed_records(flat, backend, settings.nlp.embed_chars,
                                  settings.nlp.embed_title_weight)
        by_id = {d["id"]: v for d, v in zip(flat, card_vecs, strict=True)}
        print(f"\n[cards_labelled.jsonl: {len(cases)} stories labelled by someone else; "
              "a story scores its best member]")
        for method in ("rules", "classifier", "blend"):
            scores = [max(r.score for r in score_documents(
                [doc_of(d, by_id[d["id"]]) for d in c.docs], rules, model, method))
                for c in cases]
            print(_line(f"{method} (stories)", labels, scores, floor))
            if args.show_errors:
                for c, sc in zip(cases, scores, strict=True):
                    if (sc >= floor) != bool(c.label):
                        print(f"    {'FP' if sc >= floor else 'FN'} {sc:.2f} {c.titles[0][:110]}")

if __name__ == "__main__":
    main()
