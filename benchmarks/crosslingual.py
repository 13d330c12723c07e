"""Cross-lingual story clustering on the hand-labelled RTHK set (tests/dev/crosslingual_rthk.jsonl).

The English and Chinese RTHK services report the same events; the labels say which items are
one event (tests/dev/README.md, "Cross-lingual story labels"). RTHK text is read from
../shared/corpus/foreign/ (never bundled); without it the benchmark says so and exits 0.

Usage (project root):
    .venv/bin/python benchmarks/crosslingual.py cluster [--split dev|heldout|all]
    .venv/bin/python benchmarks/crosslingual.py pairs          # nearest other-language item
    .venv/bin/python benchmarks/crosslingual.py speed [--n 1000]  # multilingual vector cost

`cluster` runs the project's enrichment and story clustering (nlp.enrich.assign_stories, the
code `radar cluster` runs) on the set, once per vector configuration, and prints B-cubed
precision/recall/F1 over all items and over the cross-language links alone. Prints JSON lines;
docs/performance.md ("Cross-lingual") records them.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from config.settings import NlpSettings  # noqa: E402
from evaluation.clusters import bcubed  # noqa: E402
from evaluation.crosslingual import RTHK, cross_bcubed, load_set, other_language_recall  # noqa: E402
from nlp.cluster_cli import internal_id, load_documents  # noqa: E402
from nlp.embed import embed_documents, load_minilm, load_use  # noqa: E402
from nlp.enrich import Models, assign_stories, enrich_documents  # noqa: E402
from store.db import migrate  # noqa: E402


def enriched_store(rows: list[dict], models: Models, settings: NlpSettings):
    """An in-memory store holding the rows, enriched (what ``radar cluster`` does first)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    with tempfile.TemporaryDirectory() as tmp:
        load_documents(con, [{"id": r["id"], "title": r["title"], "text": r["text"],
                              "published_at": r["published_at"], "url": r["url"]} for r in rows],
                       Path(tmp))
    enrich_documents(con, models, settings)
    return con


def scores(con, models: Models, settings: NlpSettings, rows: list[dict]) -> dict:
    """Story assignment from scratch; B-cubed against the event labels (all and cross-language)."""
    for table in ("stories", "story_members", "story_events"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    assign_stories(con, models, settings)
    member = dict(con.execute("SELECT doc_id, story_id FROM story_members").fetchall())
    gold = {r["id"]: r["event"] for r in rows}
    pred = {r["id"]: member.get(internal_id(r["id"])) or "single:" + r["id"] for r in rows}
    lang = {r["id"]: r["lang"][:2] for r in rows}
    s = bcubed(gold, pred)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1,
            "cross": cross_bcubed(gold, pred, lang), "stories": len(set(pred.values())),
            "events": len(set(gold.values())), "documents": len(rows)}


# Vector configurations (settings changes). "minilm": MiniLM vectors only; "use": USE as the
# only vector for every document; "use+multilingual": USE as the primary vector and the
# multilingual one; "default": the shipped settings, MiniLM primary plus the
# multilingual USE vector, which the clusterer uses for pairs of documents in different
# languages where it supports that (nlp/cluster.py).
CONFIGS = {
    "minilm": {"embedding_backend": "minilm", "multilingual_backend": "none"},
    "use": {"embedding_backend": "use", "multilingual_backend": "none"},
    "use+multilingual": {"embedding_backend": "use"},
    "default": {},
}


def cmd_cluster(args) -> None:
    rows = load_set(args.split)
    if rows is None:
        print(json.dumps({"skipped": f"{RTHK} not found (RTHK text is never bundled)"}))
        return
    for name in args.configs.split(","):
        settings = NlpSettings(**CONFIGS[name])
        models = Models.load(settings)
        t0 = time.perf_counter()
        con = enriched_store(rows, models, settings)
        out = scores(con, models, settings, rows)
        print(json.dumps({"config": name, "split": args.split, "backend": models.backend.name,
                          **out, "seconds": round(time.perf_counter() - t0, 1),
                          "load_avg": os.getloadavg()[0]}))


def cmd_pairs(args) -> None:
    """Nearest other-language item (recall@1) per event document, per embedding recipe."""
    rows = load_set(args.split)
    if rows is None:
        print(json.dumps({"skipped": f"{RTHK} not found"}))
        return
    recipes = [("minilm", load_minilm(), 1000), ("use-title+lead1000", load_use(), 1000),
               ("use-title+lead300", None, 300), ("use-title+lead150", None, 150),
               ("use-title", None, 0)]
    use = recipes[1][1]
    for name, backend, chars in recipes:
        backend = backend or use
        texts = [r["text"] if chars else "" for r in rows]
        vectors = embed_documents(backend, [r["title"] for r in rows], texts, max(chars, 1),
                                  0.5 if chars else 1.0)
        recall, total = other_language_recall(rows, vectors)
        print(json.dumps({"recipe": name, "split": args.split, "en_with_zh": total,
                          "recall_at_1": round(recall, 4)}))


def cmd_speed(args) -> None:
    """Multilingual-vector cost per document on real RTHK items (title + lead, both languages)."""
    if not RTHK.exists():
        print(json.dumps({"skipped": f"{RTHK} not found"}))
        return
    with gzip.open(RTHK, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for _, line in zip(range(args.n), fh, strict=False)]
    use = load_use()
    use.encode(["warm up"])
    for chars in (150, 300, 1000):
        t0 = time.perf_counter()
        embed_documents(use, [r["title"] for r in rows], [r["text"] or "" for r in rows], chars)
        dt = time.perf_counter() - t0
        print(json.dumps({"chars": chars, "documents": len(rows), "docs_per_s": round(len(rows) / dt, 1),
                          "load_avg": os.getloadavg()[0]}))


def main() -> None:
    ap = argparse.ArgumentParser(description="cross-lingual clustering benchmark")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("cluster")
    p.add_argument("--split", default="dev", choices=("dev", "heldout", "all"))
    p.add_argument("--configs", default=",".join(CONFIGS))
    p = sub.add_parser("pairs")
    p.add_argument("--split", default="dev", choices=("dev", "heldout", "all"))
    p = sub.add_parser("speed")
    p.add_argument("--n", type=int, default=1000)
    args = ap.parse_args()
    {"cluster": cmd_cluster, "pairs": cmd_pairs, "speed": cmd_speed}[args.cmd](args)


if __name__ == "__main__":
    main()
