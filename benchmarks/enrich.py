"""Enrichment benchmarks: quality on the labelled dev sets, speed, clustering scale, HDBSCAN baseline.

Usage (project root, HF_HUB_OFFLINE=1):
    .venv/bin/python benchmarks/enrich.py quality [--backend minilm|use]
    .venv/bin/python benchmarks/enrich.py tune [--backend minilm|use]
    .venv/bin/python benchmarks/enrich.py speed [--n 5000] [--backend minilm|use]
        [--multilingual use|none] [--foreign N] [--sample corpus|demo] [--profile FILE]
    .venv/bin/python benchmarks/enrich.py scale [--n 100000] [--store]
    .venv/bin/python benchmarks/enrich.py baseline [--backend minilm|use]
    .venv/bin/python benchmarks/enrich.py language [--n 5000]

Prints numbers (JSON lines); docs/performance.md ("Enrichment") records them.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from benchmarks.enrich_samples import (  # noqa: E402
    corpus_sample,
    demo_sample,
    read_gz,
    rthk_sample,
)
from config.settings import NlpSettings  # noqa: E402
from evaluation.clusters import bcubed, group_pairs, pair_scores  # noqa: E402
from nlp.cluster import ClusterItem, ClusterState, cluster_items  # noqa: E402
from nlp.cluster_cli import internal_id, load_documents  # noqa: E402
from nlp.enrich import Models, assign_stories, enrich_documents, minhash_params  # noqa: E402
from nlp.neardup import find_near_duplicates, signature  # noqa: E402
from store.db import connect, migrate  # noqa: E402

DEV = ROOT / "tests" / "dev"


def as_input(rows: list[dict]) -> list[dict]:
    """Dev-set rows in the ``radar cluster`` input shape."""
    return [{"id": r["id"], "title": r["title"], "text": r["text"],
             "published_at": r["published_at"], "url": r["url"]} for r in rows]


def enriched_memory_store(rows: list[dict], models: Models, settings: NlpSettings):
    """An in-memory store holding the rows, enriched (what ``radar cluster`` does first)."""
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    migrate(con)
    with tempfile.TemporaryDirectory() as tmp:
        load_documents(con, as_input(rows), Path(tmp))
    enrich_documents(con, models, settings)
    return con


def story_scores(con, models: Models, settings: NlpSettings, rows: list[dict]) -> dict:
    """Re-run story assignment from scratch with ``settings``; B-cubed against gold."""
    for table in ("stories", "story_members", "story_events"):
        con.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    counts = assign_stories(con, models, settings)
    member = dict(con.execute("SELECT doc_id, story_id FROM story_members").fetchall())
    gold = {r["id"]: r["story"] for r in rows}
    pred = {r["id"]: member.get(internal_id(r["id"])) or "single:" + r["id"] for r in rows}
    s = bcubed(gold, pred)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1,
            "stories": len(set(pred.values())), "gold_stories": len(set(gold.values())),
            "merges": counts.merges}


def neardup_scores(rows: list[dict], settings: NlpSettings) -> dict:
    """Pairwise P/R of MinHash near-duplicate groups against the gold groups."""
    params = minhash_params(settings)
    ordered = sorted(rows, key=lambda r: (r["published_at"] or "", r["id"]))
    sigs = [s for r in ordered
            if (s := signature(r["id"], r["title"], r["text"], params, _posix(r["published_at"])))]
    t0 = time.perf_counter()
    dups = find_near_duplicates(sigs, lambda _s: {}, params)
    elapsed = time.perf_counter() - t0
    pred = {r["id"]: None for r in rows}
    for d in dups:
        pred[d.doc_id] = d.duplicate_of
        pred[d.duplicate_of] = d.duplicate_of
    gold = {r["id"]: r["dup_group"] for r in rows}
    s = pair_scores(gold, pred)
    return {"precision": s.precision, "recall": s.recall, "f1": s.f1, "documents": len(rows),
            "gold_pairs": len(group_pairs(gold)), "seconds": round(elapsed, 2)}


def _posix(value: str | None) -> float | None:
    from nlp.cluster_cli import parse_published

    when, _ = parse_published(value)
    return when.timestamp() if when else None


def cmd_quality(args) -> None:
    settings = NlpSettings(embedding_backend=args.backend)
    print(json.dumps({"neardup": neardup_scores(read_gz(DEV / "neardup.jsonl.gz"), settings)}))
    models = Models.load(settings)
    for name in ("stories_dev", "stories_heldout"):
        rows = read_gz(DEV / f"{name}.jsonl.gz")
        con = enriched_memory_store(rows, models, settings)
        print(json.dumps({name: story_scores(con, models, settings, rows), "backend": models.backend.name}))


def cmd_tune(args) -> None:
    base = NlpSettings(embedding_backend=args.backend)
    models = Models.load(base)
    rows = read_gz(DEV / "stories_dev.jsonl.gz")
    con = enriched_memory_store(rows, models, base)
    grid = itertools.product((0.5, 0.55, 0.6, 0.65, 0.7), (0.0, 0.25, 0.5), (0.1, 0.3), (0.8, 0.9))
    results = []
    for thr, ent, tw, merge in grid:
        s = base.model_copy(update={"cluster_threshold": thr, "cluster_entity_weight": ent,
                                    "cluster_time_weight": tw, "cluster_merge_threshold": merge})
        r = story_scores(con, models, s, rows)
        results.append((r["f1"], thr, ent, tw, merge, r))
        print(json.dumps({"threshold": thr, "entity_weight": ent, "time_weight": tw,
                          "merge": merge, **r}), flush=True)
    best = max(results, key=lambda x: x[0])
    print(json.dumps({"best": best[1:5], "f1": best[0]}))


def _sweep(args, updates: list[dict]) -> None:
    """B-cubed scores of the dev and held-out story sets for each settings update."""
    base = NlpSettings(embedding_backend=args.backend)
    models = Models.load(base)
    for name in ("stories_dev", "stories_heldout"):
        rows = read_gz(DEV / f"{name}.jsonl.gz")
        con = enriched_memory_store(rows, models, base)
        for update in updates:
            r = story_scores(con, models, base.model_copy(update=update), rows)
            print(json.dumps({"set": name, **update, **r}), flush=True)


def cmd_splits(args) -> None:
    """Story scores across split thresholds."""
    _sweep(args, [{"cluster_split_threshold": t, "cluster_split_min": n}
                  for t, n in itertools.product((0.3, 0.45, 0.55, 0.65), (2, 3))])


def cmd_products(args) -> None:
    """Story scores across product-conflict penalties."""
    _sweep(args, [{"cluster_product_penalty": p} for p in (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)])


# what the per-stage table of `speed --profile` sums (cumulative time of these functions).
# MiniLM runs in enrichment's second thread, which cProfile does not see: what it shows is
# the first thread's wait for it after NER, the multilingual vectors and MinHash.
STAGES = {"screening": "screen_document", "spaCy NER + gazetteer": "pipe",
          "waiting for the primary vectors (MiniLM thread)": "result",
          "multilingual vectors (USE)": "multilingual_rows", "topic tags": "tag_document",
          "MinHash signatures": "signature", "near-duplicate lookup": "find_near_duplicates",
          "write rows": "write_enrichment", "pending documents": "pending_documents",
          "story assignment": "assign_stories"}


def _stage_seconds(profile) -> dict[str, float]:
    """Cumulative seconds of the STAGES functions in a cProfile run (outermost call only)."""
    import pstats

    stats = pstats.Stats(profile).stats
    out = {}
    for label, name in STAGES.items():
        hits = [(k, v) for k, v in stats.items() if k[2] == name]
        if name == "pipe":  # spaCy's Language.pipe, not a component's own pipe
            hits = [(k, v) for k, v in hits if k[0].endswith("spacy/language.py")]
        if name == "result":  # concurrent.futures' Future.result
            hits = [(k, v) for k, v in hits if k[0].endswith("concurrent/futures/_base.py")]
        out[label] = round(sum(v[3] for _, v in hits), 1)
    return out


def cmd_speed(args) -> None:
    settings = NlpSettings(embedding_backend=args.backend, multilingual_backend=args.multilingual)
    if args.sample == "demo":
        rows = demo_sample(args.n)
    else:
        rows = corpus_sample(args.n - args.foreign) + rthk_sample(args.foreign)
    t_load = time.perf_counter()
    models = Models.load(settings)
    load_s = time.perf_counter() - t_load
    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "bench.duckdb")
        load_documents(con, as_input(rows), Path(tmp))
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        cpu0, t0 = time.process_time(), time.perf_counter()
        counts = enrich_documents(con, models, settings)
        t1 = time.perf_counter()
        cc = assign_stories(con, models, settings)
        t2 = time.perf_counter()
        cpu = time.process_time() - cpu0
        con.close()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    print(json.dumps({
        "documents": len(rows), "foreign": args.foreign, "backend": models.backend.name,
        "multilingual": models.multilingual.name if models.multilingual else None,
        "model_load_s": round(load_s, 1),
        "enrich_s": round(t1 - t0, 1), "docs_per_s": round(len(rows) / (t1 - t0), 1),
        "cluster_s": round(t2 - t1, 1), "total_docs_per_s": round(len(rows) / (t2 - t0), 1),
        "cpu_s": round(cpu, 1), "peak_rss_gb": round(rss_gb, 2), "load_avg": os.getloadavg()[0],
        "cpu_ms_per_doc": round(1000 * cpu / len(rows), 1), "sample": args.sample,
        "torch_threads": _torch_threads(),
        "counts": counts.__dict__, "cluster": cc.__dict__,
        **({"stage_s": _stage_seconds(args.profile)} if args.profile else {}),
    }))


def _torch_threads() -> int | None:
    try:
        import torch
    except ImportError:
        return None
    return torch.get_num_threads()


def synthetic_items(n: int, base: np.ndarray, seed: int = 5,
                    titles: list[str] | None = None) -> list[ClusterItem]:
    """n items whose vectors are real document embeddings plus noise, spread over two years
    (with ``titles``: each item carries the real title of the document its vector came from,
    so the title features — case slots, recurring titles, title words — cost what they do)."""
    rng = np.random.default_rng(seed)
    t0 = datetime(2024, 1, 1, tzinfo=UTC)
    picks = rng.integers(0, len(base), size=n)
    noise = rng.normal(0, 0.02, size=(n, base.shape[1])).astype(np.float32)
    vecs = base[picks] + noise
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    days = np.sort(rng.uniform(0, 730, size=n))
    return [ClusterItem(f"x{i}", t0 + timedelta(days=float(days[i])), vecs[i],
                        frozenset({f"e{picks[i] % 97}"}),
                        titles[picks[i]] if titles else f"t{i}") for i in range(n)]


def cmd_scale(args) -> None:
    settings = NlpSettings()
    models = Models.load(settings)
    rows = corpus_sample(3000, seed=9)
    base = models.backend.encode([f"{r['title']}. {r['text'][:600]}" for r in rows])
    items = synthetic_items(args.n, base, titles=[r["title"] for r in rows])
    t0 = time.perf_counter()
    state = ClusterState(dim=models.backend.dim)
    out = cluster_items(items, state, settings)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"core": "cluster_items", "items": len(items), "seconds": round(elapsed, 1),
                      "stories": len({a.story_id for a in out}), "merges": len(state.events),
                      "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1048576, 2)}))
    if args.store:
        print(json.dumps(_scale_through_store(items, models, settings)))


def _scale_through_store(items: list[ClusterItem], models: Models, settings: NlpSettings) -> dict:
    """The same items as enriched documents in a DuckDB file; time ``assign_stories`` (load,
    cluster, save stories/members/events)."""
    from store.enrichment import bulk_insert

    with tempfile.TemporaryDirectory() as tmp:
        con = connect(Path(tmp) / "scale.duckdb")
        rows = [{"id": i.doc_id, "title": i.title, "text": "", "url": f"https://example.org/{i.doc_id}",
                 "published_at": i.at.isoformat()} for i in items]
        load_documents(con, rows, Path(tmp))
        now = datetime.now(UTC)
        bulk_insert(con, "enrichments", [{"doc_id": internal_id(i.doc_id), "content_hash": "-",
                                          "language": "en", "status": "ok", "note": None,
                                          "pipeline_version": "bench", "enriched_at": now} for i in items])
        bulk_insert(con, "embeddings", [{"doc_id": internal_id(i.doc_id), "model": models.backend.name,
                                         "content_hash": "-", "dim": models.backend.dim,
                                         "vector": np.round(i.vector, 6)} for i in items])
        bulk_insert(con, "entities", [{"doc_id": internal_id(i.doc_id), "entity_id": e, "kind": "org",
                                       "label_en": e, "label_zh": None, "mentions": 1,
                                       "origin": "gazetteer", "model": "bench"}
                                      for i in items for e in i.entities])
        t0 = time.perf_counter()
        counts = assign_stories(con, models, settings)
        elapsed = time.perf_counter() - t0
        con.close()
    return {"core": "assign_stories (DuckDB file)", "items": len(items), "seconds": round(elapsed, 1),
            **counts.__dict__}


def cmd_baseline(args) -> None:
    from sklearn.cluster import HDBSCAN

    settings = NlpSettings(embedding_backend=args.backend)
    models = Models.load(settings)
    for name in ("stories_dev", "stories_heldout"):
        rows = read_gz(DEV / f"{name}.jsonl.gz")
        con = enriched_memory_store(rows, models, settings)
        t0 = time.perf_counter()
        online = story_scores(con, models, settings, rows)
        t_online = time.perf_counter() - t0
        member = dict(con.execute("SELECT doc_id, story_id FROM story_members").fetchall())
        vecs = dict(con.execute("SELECT doc_id, vector FROM embeddings").fetchall())
        ids = [r["id"] for r in rows if internal_id(r["id"]) in vecs]
        x = np.asarray([vecs[internal_id(i)] for i in ids], dtype=np.float32)
        t0 = time.perf_counter()
        labels = HDBSCAN(min_cluster_size=2, copy=True).fit_predict(x)
        t_h = time.perf_counter() - t0
        hd = {i: (f"h{lab}" if lab >= 0 else f"noise:{i}") for i, lab in zip(ids, labels, strict=True)}
        gold = {r["id"]: r["story"] for r in rows}
        h = bcubed(gold, hd)
        agree = bcubed({i: hd[i] for i in ids}, {i: member.get(internal_id(i), i) for i in ids})
        print(json.dumps({name: {"online": online, "online_s": round(t_online, 2),
                                 "hdbscan": h.__dict__, "hdbscan_s": round(t_h, 2),
                                 "agreement_bcubed_f1": agree.f1}}))
    rows = corpus_sample(3000, seed=9)
    base = models.backend.encode([f"{r['title']}. {r['text'][:600]}" for r in rows])
    items = synthetic_items(args.n, base)
    t0 = time.perf_counter()
    state = ClusterState(dim=models.backend.dim)
    online = {a.doc_id: a.story_id for a in cluster_items(items, state, settings)}
    t_online = time.perf_counter() - t0
    t0 = time.perf_counter()
    labels = HDBSCAN(min_cluster_size=2, copy=True).fit_predict(np.asarray([i.vector for i in items]))
    t_h = time.perf_counter() - t0
    hd = {i.doc_id: (f"h{lab}" if lab >= 0 else f"noise:{i.doc_id}") for i, lab in zip(items, labels, strict=True)}
    print(json.dumps({"synthetic": {"items": len(items), "online_s": round(t_online, 1),
                                    "hdbscan_s": round(t_h, 1),
                                    "agreement_bcubed_f1": bcubed(hd, online).f1}}))


def cmd_language(args) -> None:
    """Language id on real titles (all English in this corpus): share detected as en, speed."""
    from nlp.language import detect_language, load_identifiers

    ids = load_identifiers()
    rows = corpus_sample(args.n, seed=13)
    for field, prior in (("title", None), ("title", "en"), ("title+lead", None)):
        texts = [r["title"] if field == "title" else f"{r['title']}\n{r['text'][:1500]}" for r in rows]
        t0 = time.perf_counter()
        guesses = [detect_language(t, ids, prior=prior) for t in texts]
        elapsed = time.perf_counter() - t0
        wrong = [(t[:80], g.code, g.confidence) for t, g in zip(texts, guesses, strict=True) if g.code != "en"]
        print(json.dumps({"field": field, "source_prior": prior, "n": len(texts), "en_share": round(1 - len(wrong) / len(texts), 4),
                          "per_s": round(len(texts) / elapsed), "examples_not_en": wrong[:8]}, ensure_ascii=False))


def main() -> None:
    ap = argparse.ArgumentParser(description="enrichment benchmarks")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("quality", "tune", "splits", "products", "speed", "baseline", "language"):
        p = sub.add_parser(name)
        p.add_argument("--backend", default="minilm")
        p.add_argument("--n", type=int, default=5000)
        p.add_argument("--multilingual", default="use", help="second vector: use | none")
        p.add_argument("--foreign", type=int, default=0, help="of the n, RTHK items (zh + en)")
        p.add_argument("--sample", default="corpus", choices=("corpus", "demo"),
                       help="speed: ../shared/corpus documents, or the bundled demo/snapshot mix")
        p.add_argument("--profile", default="", help="speed: write a cProfile dump here and "
                       "print seconds per stage")
    p = sub.add_parser("scale")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--store", action="store_true", help="also time assign_stories on a DuckDB file")
    args = ap.parse_args()
    {"quality": cmd_quality, "tune": cmd_tune, "splits": cmd_splits, "products": cmd_products,
     "speed": cmd_speed, "scale": cmd_scale, "baseline": cmd_baseline,
     "language": cmd_language}[args.cmd](args)


if __name__ == "__main__":
    main()
