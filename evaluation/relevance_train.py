"""Train the relevance classifier (logistic regression over document vectors) and write it.

Run through ``benchmarks/relevance.py --write-model``: it embeds the dev half of
``tests/dev/relevance.jsonl`` the way enrichment does and calls :func:`train`. Only the dev half
is ever used here; the held-out half is scored, never fitted.
"""

from __future__ import annotations

import hashlib
import importlib.metadata as md
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlp.relevance import MODEL_FILE, RelevanceModel

MODEL_VERSION = "relevance-lr-v2"


@dataclass(frozen=True)
class Metrics:
    """Binary classification figures at one threshold."""

    n: int
    positives: int
    precision: float
    recall: float
    f1: float
    threshold: float


def metrics(labels: list[int], scores: list[float], threshold: float = 0.5) -> Metrics:
    """Precision, recall and F1 of `scores >= threshold` against `labels` (1 = belongs)."""
    tp = sum(1 for y, s in zip(labels, scores, strict=True) if y and s >= threshold)
    fp = sum(1 for y, s in zip(labels, scores, strict=True) if not y and s >= threshold)
    pos = sum(labels)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / pos if pos else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return Metrics(len(labels), pos, round(p, 4), round(r, 4), round(f, 4), threshold)


def best_threshold(labels: list[int], scores: list[float], min_recall: float = 0.9) -> float:
    """The threshold with the best precision among those keeping recall >= min_recall
    (ties: the higher threshold; none reaching it: the best F1)."""
    cands = sorted(set(round(s, 4) for s in scores))
    ok = [(metrics(labels, scores, t).precision, t) for t in cands
          if metrics(labels, scores, t).recall >= min_recall]
    if ok:
        return max(ok)[1]
    return max(cands, key=lambda t: (metrics(labels, scores, t).f1, t))


def cv_probabilities(x: np.ndarray, y: np.ndarray, c: float, folds: int = 5, seed: int = 15) -> np.ndarray:
    """Out-of-fold P(belongs) for every row (stratified folds, fixed seed)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    out = np.zeros(len(y), dtype=np.float64)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(x, y):
        clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced")
        clf.fit(x[tr], y[tr])
        out[te] = clf.predict_proba(x[te])[:, 1]
    return out


def train(
    x: np.ndarray,
    y: np.ndarray,
    embedding_model: str,
    ids: list[str],
    cs: tuple[float, ...] = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0),
) -> tuple[RelevanceModel, dict]:
    """Fit on the dev rows: C and the threshold chosen by 5-fold CV, the bias shifted so that
    the chosen threshold becomes 0.5 (one floor setting serves both scorers).

    Returns:
        The model and a report (C, CV figures per C, threshold).
    """
    from sklearn import __version__ as sk_version
    from sklearn.linear_model import LogisticRegression

    report: dict = {"cv": {}}
    best = None
    for c in cs:
        probs = cv_probabilities(x, y, c)
        t = best_threshold(list(map(int, y)), probs.tolist())
        m = metrics(list(map(int, y)), probs.tolist(), t)
        report["cv"][str(c)] = {"precision": m.precision, "recall": m.recall, "f1": m.f1,
                                "threshold": t}
        key = (m.f1, m.precision, -c)
        if best is None or key > best[0]:
            best = (key, c, t)
    _, c, t = best
    clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x, y)
    t = min(max(t, 1e-4), 1 - 1e-4)
    bias = float(clf.intercept_[0]) - math.log(t / (1 - t))
    # the hash covers the training rows only (id + label), so adding held-out rows to the
    # label file does not change it
    rows = "".join(f"{i}\t{int(v)}\n" for i, v in sorted(zip(ids, y.tolist(), strict=True)))
    digest = hashlib.sha256(rows.encode()).hexdigest()[:16]
    provenance = {
        "labels": f"tests/dev/relevance.jsonl split=dev n={len(y)} positives={int(y.sum())} "
                  f"sha256(id\\tlabel rows)={digest}",
        "trainer": f"scikit-learn {sk_version} LogisticRegression(C={c}, class_weight=balanced)",
        "C": c,
        "threshold_before_shift": round(t, 4),
        "numpy": md.version("numpy"),
    }
    report.update({"C": c, "threshold": t})
    model = RelevanceModel(MODEL_VERSION, embedding_model, clf.coef_[0].astype(np.float32),
                           bias, provenance)
    return model, report


def model_json(model: RelevanceModel) -> str:
    """The model file's text (weights rounded to 6 decimals: a few kB, stable diffs)."""
    head = json.dumps({
        "version": model.version,
        "embedding_model": model.embedding_model,
        "bias": round(model.bias, 6),
        "provenance": model.provenance,
    }, indent=1)
    weights = json.dumps([round(float(w), 6) for w in model.weights])
    return head[:-2] + f',\n "weights": {weights}\n}}\n'  # weights on one line, at the end


def write_model(model: RelevanceModel, package_dir: Path) -> Path:
    """Write the model next to nlp/relevance.py (the packaged copy the digest loads)."""
    path = package_dir / MODEL_FILE
    path.write_text(model_json(model), encoding="utf-8")
    return path
