"""The hand-labelled cross-lingual RTHK set (tests/dev/crosslingual_rthk.jsonl) and its measures.

The label file holds only corpus ids, languages, event labels, roles and splits; the RTHK
titles and texts are read from ../shared/corpus/foreign/ (copyrighted news, never bundled), so
`load_set` returns None where that corpus is absent and callers skip.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
LABELS = ROOT / "tests" / "dev" / "crosslingual_rthk.jsonl"
RTHK = ROOT.parent / "shared" / "corpus" / "foreign" / "hk-rthk-news.jsonl.gz"


def load_set(split: str = "all", corpus: Path = RTHK) -> list[dict] | None:
    """Labelled rows ("dev" | "heldout" | "all") with their RTHK title, text, date and URL.

    Returns:
        Rows with id, lang, event, role, split, title, text, published_at, url; None when
        the RTHK corpus file is not there.
    """
    if not corpus.exists():
        return None
    labels = [json.loads(line) for line in LABELS.read_text(encoding="utf-8").splitlines()]
    labels = [r for r in labels if split == "all" or r["split"] == split]
    wanted = {r["id"] for r in labels}
    found = {}
    with gzip.open(corpus, "rt", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["id"] in wanted:
                found[row["id"]] = row
    return [{**r, "title": found[r["id"]]["title"], "text": found[r["id"]]["text"] or "",
             "published_at": found[r["id"]]["published"], "url": found[r["id"]]["url"]}
            for r in labels if r["id"] in found]


def cross_bcubed(gold: dict[str, str], pred: dict[str, str], lang: dict[str, str]) -> dict:
    """B-cubed over cross-language links only: each item's precision and recall count just the
    items of the other language (an item with no such item in its gold event has no recall
    term, one with none in its predicted cluster no precision term)."""
    p_sum = r_sum = 0.0
    n_p = n_r = 0
    for i in gold:
        other = [j for j in gold if lang[j] != lang[i]]
        same_gold = {j for j in other if gold[j] == gold[i]}
        same_pred = {j for j in other if pred[j] == pred[i]}
        if same_gold:
            r_sum += len(same_gold & same_pred) / len(same_gold)
            n_r += 1
        if same_pred:
            p_sum += len(same_gold & same_pred) / len(same_pred)
            n_p += 1
    p = p_sum / n_p if n_p else 1.0
    r = r_sum / n_r if n_r else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def other_language_recall(rows: list[dict], vectors: np.ndarray) -> tuple[float, int]:
    """Share of English event documents whose nearest Chinese item (cosine) is of their event.

    Args:
        rows: the set's rows (English and Chinese, distractors included).
        vectors: one L2-normalised vector per row, same order.

    Returns:
        (recall@1, number of English event documents that have a Chinese item in the set).
    """
    en = [i for i, r in enumerate(rows) if r["lang"] == "en"]
    zh = np.array([i for i, r in enumerate(rows) if r["lang"] != "en"])
    hits = total = 0
    for i in en:
        if rows[i]["role"] != "event" or not any(rows[j]["event"] == rows[i]["event"] for j in zh):
            continue
        total += 1
        hits += rows[zh[int(np.argmax(vectors[zh] @ vectors[i]))]]["event"] == rows[i]["event"]
    return (hits / total if total else 0.0), total
