"""Search precision: top-10 precision of the 20 hand-labelled queries (English and Chinese) in
tests/dev/search_queries.jsonl, per query and the mean, before and after.

"Before" is the ranking the search had when the queries were labelled (each row's `before`:
the top-10 URLs of the search as it was at commit 5e6376d, BM25 half); "after" is the search
as it is now, run the way `radar search` runs it (query through the glossary, the search
vocabulary) with its BM25 half; `--embeddings` adds the query encoder (the labels were pooled
from BM25 rankings, so more documents may be unjudged there). A document nobody judged counts
as not relevant, and the count is printed: label it (`--pool`) rather than let it pass.

The store is benchmarks/search_store.py's: the whole bundled 2025 snapshot plus the real
zh-Hant / ja / ko items, embedded with the configured backend.

Usage:
    .venv/bin/python benchmarks/search_quality.py                     # temporary store
    .venv/bin/python benchmarks/search_quality.py --db /tmp/sq.duckdb # keep / reuse it
    .venv/bin/python benchmarks/search_quality.py --db /tmp/sq.duckdb --pool /tmp/pool.txt
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUERIES = ROOT / "tests" / "dev" / "search_queries.jsonl"
DEPTH = 10


def load_queries(path: Path = QUERIES) -> list[dict]:
    """The labelled queries: id, query, lang, intent, before (URLs), judgements {URL: 0/1}."""
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def ranked_urls(con, encoder, query: str, limit: int = DEPTH) -> list[tuple[str, str]]:
    """(URL, title) of the top documents for `query`, searched as `radar search` does."""
    from commentary.query import load_vocabulary, prepare_query
    from config.settings import load_settings
    from store.search import search

    cs = load_settings().commentary
    prepared = prepare_query(query, cs.max_query_chars, allow_cjk=True)
    result = search(con, encoder, prepared.search_text, limit=limit,
                    min_coverage=cs.min_coverage, min_cosine=cs.min_cosine,
                    synonyms=load_vocabulary())
    return [(h.url, h.title) for h in result.docs]


def precision(urls: list[str], judged: dict[str, int], depth: int = DEPTH) -> tuple[float, int]:
    """(relevant share of the top `depth` results shown, unjudged among them). A query with
    fewer results is judged on what it shows (the store may hold fewer than `depth` relevant
    documents: "CHIPS Act" has 9); no result at all is 0. `recall` reports what is missed."""
    top = urls[:depth]
    if not top:
        return 0.0, 0
    return sum(judged.get(u, 0) for u in top) / len(top), sum(1 for u in top if u not in judged)


def recall(urls: list[str], judged: dict[str, int], depth: int = DEPTH) -> float:
    """Relevant documents in the top `depth` over the relevant ones known (at most `depth`)."""
    known = sum(judged.values())
    return sum(judged.get(u, 0) for u in urls[:depth]) / min(depth, known) if known else 1.0


def evaluate(con, encoder, queries: list[dict]) -> list[dict]:
    """Per query: before/after precision, unjudged counts and the after ranking."""
    out = []
    for q in queries:
        after = [u for u, _ in ranked_urls(con, encoder, q["query"])]
        pb, ub = precision(q["before"], q["judgements"])
        pa, ua = precision(after, q["judgements"])
        out.append({"id": q["id"], "query": q["query"], "before": pb, "after": pa,
                    "recall_before": recall(q["before"], q["judgements"]),
                    "recall_after": recall(after, q["judgements"]),
                    "unjudged_before": ub, "unjudged_after": ua, "ranking": after})
    return out


def write_pool(con, encoder, queries: list[dict], path: Path, depth: int = 20) -> int:
    """A review listing of every pooled, not yet judged document (before top 10 + current top
    `depth`): title, source, date and the opening of its text. Returns how many."""
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for q in queries:
            pool = list(dict.fromkeys(q["before"] + [u for u, _ in
                                                     ranked_urls(con, encoder, q["query"], depth)]))
            todo = [u for u in pool if u not in q["judgements"]]
            if not todo:
                continue
            fh.write(f"\n=== {q['id']} {q['query']!r} — {q['intent']}\n")
            for u in todo:
                row = con.execute("SELECT title, source_id, published_at::DATE, text FROM "
                                  "documents WHERE url = ?", [u]).fetchone()
                text = " ".join((row[3] or "").split())[:420] if row else ""
                fh.write(f"- {u}\n  [{row[1] if row else '?'} {row[2] if row else ''}] "
                         f"{row[0] if row else '?'}\n  {text}\n")
                n += 1
    return n


def main() -> None:
    """Build or reuse the store, then print the table (or write the review pool)."""
    from benchmarks.search_store import prepared_store

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--db", type=Path, default=None, help="keep/reuse the store at this path")
    ap.add_argument("--pool", type=Path, default=None, help="write unjudged pooled documents")
    ap.add_argument("--queries", type=Path, default=QUERIES,
                    help="labelled queries (tests/dev/search_queries_heldout.jsonl: the held-out set)")
    ap.add_argument("--embeddings", action="store_true",
                    help="embed the store and search hybrid (slow: 21,902 documents)")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    con, encoder = prepared_store(args.db or Path(tmp.name) / "sq.duckdb",
                                  embed=args.embeddings)
    queries = load_queries(args.queries)
    if args.pool:
        print(f"{write_pool(con, encoder, queries, args.pool)} unjudged documents -> {args.pool}")
        return
    rows = evaluate(con, encoder, queries)
    print(f"{len(queries)} queries · top-{DEPTH} precision · "
          f"{'hybrid' if encoder else 'BM25 half'} · load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'query':<36} {'P@10 before':>11} {'after':>6} {'R@10 before':>11} {'after':>6}"
          "  unjudged after")
    for r in rows:
        print(f"{r['query']:<36} {r['before']:11.2f} {r['after']:6.2f} "
              f"{r['recall_before']:11.2f} {r['recall_after']:6.2f}  {r['unjudged_after']}")
    mean = {k: statistics.mean(r[k] for r in rows)
            for k in ("before", "after", "recall_before", "recall_after")}
    print(f"{'mean':<36} {mean['before']:11.3f} {mean['after']:6.3f} "
          f"{mean['recall_before']:11.3f} {mean['recall_after']:6.3f}")
    con.close()
    tmp.cleanup()


if __name__ == "__main__":
    main()
