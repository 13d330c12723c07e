"""Quality measures for clustering and near-duplicate detection (used by gates and benchmarks)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import combinations


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1."""

    precision: float
    recall: float
    f1: float


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def bcubed(gold: Mapping[str, str], predicted: Mapping[str, str]) -> Scores:
    """B-cubed precision/recall/F1 of a clustering over the items in ``gold``.

    Args:
        gold: item -> gold cluster label.
        predicted: item -> predicted cluster label (items missing here count as singletons).
    """
    pred = {i: predicted.get(i, f"__single__{i}") for i in gold}
    gold_members: dict[str, set[str]] = defaultdict(set)
    pred_members: dict[str, set[str]] = defaultdict(set)
    for item, label in gold.items():
        gold_members[label].add(item)
    for item, label in pred.items():
        pred_members[label].add(item)
    p_sum = r_sum = 0.0
    for item in gold:
        same_pred = pred_members[pred[item]]
        same_gold = gold_members[gold[item]]
        both = len(same_pred & same_gold)
        p_sum += both / len(same_pred)
        r_sum += both / len(same_gold)
    n = len(gold) or 1
    p, r = p_sum / n, r_sum / n
    return Scores(round(p, 4), round(r, 4), round(_f1(p, r), 4))


def group_pairs(groups: Mapping[str, str | None]) -> set[frozenset[str]]:
    """All unordered item pairs that share a (non-None) group label."""
    by_label: dict[str, list[str]] = defaultdict(list)
    for item, label in groups.items():
        if label is not None:
            by_label[label].append(item)
    return {frozenset(p) for members in by_label.values() for p in combinations(sorted(members), 2)}


def pair_scores(gold: Mapping[str, str | None], predicted: Mapping[str, str | None]) -> Scores:
    """Pairwise precision/recall/F1 of duplicate groups (restricted to items in ``gold``)."""
    g = group_pairs(gold)
    p = group_pairs({k: v for k, v in predicted.items() if k in gold})
    tp = len(g & p)
    prec = tp / len(p) if p else 1.0
    rec = tp / len(g) if g else 1.0
    return Scores(round(prec, 4), round(rec, 4), round(_f1(prec, rec), 4))
