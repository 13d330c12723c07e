"""Chinese / Japanese / Korean tokenisation for BM25 and near-duplicate shingles, measured on
real items: character bigrams vs the jieba-rs segmenter (store/segment.py), and, for shingles,
the former one-token-per-character cut.

BM25 (known-item search): each item's title is the query, the index holds the items' bodies
only (the title is not indexed), scored with Okapi BM25 (the fts extension's constants) over what the store's index holds
(CJK tokens + lower-case Latin words); reported: the share of titles whose own item comes
first (P@1), MRR@10, and the tokenising time. A
title's own item is the one relevant answer, so this measures how well the cut lets a short
text find the long text it summarises, with no hand labels.

Shingles (near duplicates): every item's MinHash signature (nlp/neardup.py, the store's
parameters) and the pairs the LSH + threshold report over the whole set; a pair is a true
copy when both titles are the same after removing spaces and punctuation (the corpora repeat
items under new ids), reported as precision and recall of the reported pairs.

Data: ../shared/corpus/foreign — tw-president (zh-Hant, full text), RTHK Chinese (zh-Hant news,
read here only, never bundled), METI (ja, title + lead), Korean news teasers (ko, title +
teaser; the only Korean items with a body).

Usage:
    .venv/bin/python benchmarks/cjk_tokens.py              # all sets
    .venv/bin/python benchmarks/cjk_tokens.py --rthk 3000  # RTHK sample size
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FOREIGN = ROOT.parent / "shared" / "corpus" / "foreign"
from store.segment import CJK_CLASS  # noqa: E402

_PUNCT = re.compile(r"[\W_]+")


def load_sets(rthk: int) -> dict[str, list[dict]]:
    """language set name -> items with a title and a body."""
    def read(name: str) -> list[dict]:
        with gzip.open(FOREIGN / name, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh]

    tw = [r for r in read("tw-president.jsonl.gz") if r.get("text") and r.get("title")]
    rt = [r for r in read("hk-rthk-news.jsonl.gz") if r["lang"].startswith("zh") and r.get("text")]
    rt = random.Random(7).sample(rt, min(rthk, len(rt)))
    ja = [r for r in read("jp-meti-rss.jsonl.gz") if r.get("text")]
    ko = [r for r in read("kr-policy-monitor.jsonl.gz") if r.get("text") and r.get("title")]
    return {"zh-Hant tw-president": tw, "zh-Hant RTHK": rt, "ja METI": ja, "ko news": ko}


def _index_tokens(text: str, mode: str) -> list[str]:
    """What the store's index holds for a text: its CJK tokens (store/segment.py) and its
    lower-case Latin words (the fts tokeniser keeps a-z)."""
    from store.segment import spaced

    return re.findall(r"[a-z]+|[^\sa-z]+", re.sub(r"[^a-z" + CJK_CLASS + r"]+", " ",
                                                  spaced(text, mode).lower()))


def bm25_known_item(items: list[dict], mode: str) -> tuple[float, float, float]:
    """(P@1, MRR@10, tokenising seconds) of title -> own body over `items`, with Okapi BM25
    (k1 1.2, b 0.75, the fts extension's constants) over the bodies' tokens."""
    import math
    from collections import Counter

    t0 = time.perf_counter()
    docs = [Counter(_index_tokens(r["text"], mode)) for r in items]
    took = time.perf_counter() - t0
    postings: dict[str, list[tuple[int, int]]] = {}
    for i, c in enumerate(docs):
        for tok, tf in c.items():
            postings.setdefault(tok, []).append((i, tf))
    n = len(docs)
    lens = [sum(c.values()) for c in docs]
    avg = sum(lens) / n
    hits1, rr = 0, 0.0
    for i, r in enumerate(items):
        scores: dict[int, float] = {}
        for tok in set(_index_tokens(r["title"], mode)):
            plist = postings.get(tok, ())
            idf = math.log((n - len(plist) + 0.5) / (len(plist) + 0.5) + 1)
            for j, tf in plist:
                scores[j] = scores.get(j, 0.0) + idf * tf * 2.2 / (
                    tf + 1.2 * (0.25 + 0.75 * lens[j] / avg))
        ranked = sorted(scores, key=lambda j: (-scores[j], j))[:10]
        if ranked and ranked[0] == i:
            hits1 += 1
        if i in ranked:
            rr += 1.0 / (ranked.index(i) + 1)
    return hits1 / n, rr / n, took


def neardup_pairs(items: list[dict], mode: str) -> tuple[float, float, int, int, float]:
    """(precision, recall, pairs reported, true pairs, signature seconds) of MinHash LSH."""
    from itertools import combinations

    import nlp.neardup as nd

    params = nd.MinHashParams()
    t0 = time.perf_counter()
    sigs = [s for i, r in enumerate(items)
            if (s := nd.signature(str(i), r["title"], r["text"], params, cjk=mode))]
    took = time.perf_counter() - t0
    index = nd.BandIndex()
    found: set[tuple[str, str]] = set()
    for s in sigs:
        for cid, cand in index.candidates(s).items():
            if nd.duplicate_score(s, cand, params) >= params.threshold:
                found.add(tuple(sorted((s.doc_id, cid))))
        index.add(s)
    key = {str(i): _PUNCT.sub("", r["title"]) for i, r in enumerate(items)}
    have = {s.doc_id for s in sigs}
    groups: dict[str, list[str]] = {}
    for i, k in key.items():
        if i in have:
            groups.setdefault(k, []).append(i)
    truth = {tuple(sorted(p)) for g in groups.values() for p in combinations(g, 2)}
    tp = len(found & truth)
    return (tp / len(found) if found else 1.0, tp / len(truth) if truth else 1.0, len(found),
            len(truth), took)


def main() -> None:
    """Print both tables."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rthk", type=int, default=2000, help="RTHK Chinese items sampled")
    args = ap.parse_args()
    if not FOREIGN.is_dir():
        raise SystemExit(f"no {FOREIGN}: this benchmark reads the shared foreign corpus")
    sets = load_sets(args.rthk)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print("BM25 known-item search (title -> its own body)")
    print(f"{'set':<22} {'items':>6} {'mode':<7} {'P@1':>6} {'MRR@10':>7} {'cut s':>8}")
    for name, items in sets.items():
        for mode in ("bigram", "words"):
            p1, mrr, took = bm25_known_item(items, mode)
            print(f"{name:<22} {len(items):6d} {mode:<7} {p1:6.3f} {mrr:7.3f} {took:8.2f}")
    print("\nNear-duplicate pairs (MinHash LSH, threshold 0.7; truth: same title)")
    print(f"{'set':<22} {'mode':<7} {'precision':>9} {'recall':>7} {'reported':>8} "
          f"{'true':>5} {'sign. s':>8}")
    for name, items in sets.items():
        for mode in ("char", "bigram", "words"):
            p, r, n, t, took = neardup_pairs(items, mode)
            print(f"{name:<22} {mode:<7} {p:9.3f} {r:7.3f} {n:8d} {t:5d} {took:8.2f}")


if __name__ == "__main__":
    main()
