"""Web UI benchmark: p50 / p95 page times of the digest, story and search pages over a
100,000-document store, through a real uvicorn server on loopback.

The store is benchmarks/digest.py's (the real corpus in ../shared/corpus repeated with shifted
dates, stories of 4 documents, topic tags, entities, fetch records), plus one embedding per
document and a centroid per story (random unit vectors of the configured model's name and
size: they cost what real ones cost to scan), the BM25 index, and that day's digest built
with the real embedding backend. Requests are sequential (one analyst at a time) after a
warm-up; the search page runs the real hybrid search (query embedding, BM25, cosine scan).

Usage:
    .venv/bin/python benchmarks/web.py                       # 100,000 documents
    .venv/bin/python benchmarks/web.py --docs 20000 --requests 50
    .venv/bin/python benchmarks/web.py --db /tmp/web100k.duckdb   # keep / reuse the store
    .venv/bin/python benchmarks/web.py --db /tmp/web100k.duckdb --steps   # + search's steps
"""

from __future__ import annotations

import argparse
import random
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.digest import CORPUS, build_store  # noqa: E402

QUERIES = ("tariff", "semiconductor export controls", "de minimis", "artificial intelligence",
           "critical minerals supply chain", "關稅", "reciprocal tariffs Taiwan", "energy prices")


def add_vectors(con, model: str, dim: int) -> None:
    """One random unit vector per document (model `model`) and per story centroid."""
    unit = ("list_transform(v, x -> (x / sqrt(list_sum(list_transform(v, y -> y * y))))::FLOAT)")
    rnd = f"list_transform(range({dim}), i -> random() - 0.5)"
    con.execute("SELECT setseed(0.42)")
    con.execute(
        f"INSERT INTO embeddings SELECT id, ?, content_hash, {dim}, {unit} FROM "  # noqa: S608
        f"(SELECT id, content_hash, {rnd} AS v FROM documents)", [model])
    con.execute(f"UPDATE stories SET centroid = (SELECT {unit} FROM (SELECT {rnd} AS v))")  # noqa: S608


def prepare(path: Path, n_docs: int, day: date) -> None:
    """Build the store at `path` unless it already has documents, then the index and digest."""
    from briefs.digest import build_digest
    from config.settings import load_settings
    from nlp.embed import load_backend
    from nlp.topics import load_taxonomy
    from store.fulltext import refresh_search_index
    from store.snapshot import writing

    settings = load_settings(db_path=path)
    # Through the writer's path, so a changed store is published as the UI's read copy.
    with writing(path, "benchmark store") as con:
        (have,) = con.execute("SELECT count(*) FROM documents").fetchone()
        fresh = not have
        backend = load_backend(settings.nlp)
        if fresh:
            t0 = time.perf_counter()
            have = build_store(con, n_docs, CORPUS)
            add_vectors(con, backend.name, backend.dim)
            print(f"store: {have:,} documents with vectors in {time.perf_counter() - t0:.0f} s")
        t0 = time.perf_counter()
        if refresh_search_index(con):  # a reused store may predate the current index layout
            print(f"BM25 index in {time.perf_counter() - t0:.0f} s")
        if not fresh:
            return
        t0 = time.perf_counter()
        for lang in ("zh-TW", "en"):
            build_digest(con, backend, load_taxonomy(), settings, day, "default", lang)
        print(f"digests of {day} in {time.perf_counter() - t0:.0f} s")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(path: Path):
    """The UI on a loopback port in a thread; returns (base URL, server)."""
    import uvicorn

    from config.settings import load_settings
    from web.app import create_app
    from web.auth import hash_password

    settings = load_settings(db_path=path, web={"users": {"bench": hash_password("bench")}})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def login(client, base: str) -> None:
    """Log the client in as the benchmark user."""
    page = client.get(f"{base}/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    r = client.post(f"{base}/login", data={"username": "bench", "password": "bench",
                                           "csrf": token, "next": "/digest"})
    r.raise_for_status()


def timed_logins(base: str, count: int) -> tuple[list[float], int]:
    """Milliseconds of `count` logins (a new browser each: the form, then the post) and how
    many were refused (a 503 when the store was busy, or anything but the redirect)."""
    import httpx

    times, refused = [], 0
    for _ in range(count):
        with httpx.Client(timeout=60, follow_redirects=False) as client:
            t0 = time.perf_counter()
            page = client.get(f"{base}/login").text
            token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            r = client.post(f"{base}/login", data={"username": "bench", "password": "bench",
                                                   "csrf": token, "next": "/digest"})
            times.append((time.perf_counter() - t0) * 1000)
            refused += r.status_code != 303
    return times, refused


def timed(client, url: str, timeout: float | None = None) -> float:
    """Milliseconds for one page (the response must be 200)."""
    t0 = time.perf_counter()
    r = client.get(url) if timeout is None else client.get(url, timeout=timeout)
    ms = (time.perf_counter() - t0) * 1000
    if r.status_code != 200:
        raise SystemExit(f"{url}: HTTP {r.status_code}\n{r.text[:500]}")
    return ms


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def run(path: Path, day: date, requests: int, before_timing=None) -> None:
    """Time the three pages and logins, and print p50 / p95; `before_timing` (if any) is
    called after the first login and the warm-up (benchmarks/scale_measure.py starts its
    writer there, so pages and logins are timed while a writing stage holds the store)."""
    import duckdb
    import httpx

    from store.snapshot import latest_snapshot

    # The read copy, as the UI reads it: a writer may hold the store itself.
    con = duckdb.connect(str(latest_snapshot(path) or path), read_only=True)
    stories = [r[0] for r in con.execute(
        "SELECT story_id FROM digest_items UNION ALL SELECT * FROM "
        "(SELECT id FROM stories USING SAMPLE 200 ROWS)").fetchall()]
    (n_docs,) = con.execute("SELECT count(*) FROM documents").fetchone()
    con.close()
    base, server = start_server(path)
    rng = random.Random(7)
    try:
        with httpx.Client(timeout=60, follow_redirects=True) as client:
            login(client, base)
            pages = {
                "digest": lambda: f"{base}/digest?profile=default&day={day}",
                "story": lambda: f"{base}/stories/{rng.choice(stories)}",
                "search": lambda: f"{base}/search?q={rng.choice(QUERIES)}",
            }
            for make in pages.values():  # warm-up: model load, first connection, templates
                for _ in range(3):  # the first search builds the vector indexes (~1 min at 1M)
                    timed(client, make(), timeout=900)
            # Timing a search that fell back to one method would flatter it: check both ran.
            summary = client.get(f"{base}/search?q=tariff").text
            if "（BM25） + 語意相近" not in summary:  # zh-TW labels of bm25 + embedding
                raise SystemExit("the search page did not run both BM25 and embeddings")
            if before_timing is not None:
                before_timing()
            print(f"{n_docs:,} documents, {requests} sequential requests per page")
            for name, make in pages.items():
                times = [timed(client, make()) for _ in range(requests)]
                print(f"{name:<7} p50 {statistics.median(times):7.1f} ms   p95 "
                      f"{pct(times, 95):7.1f} ms   max {max(times):7.1f} ms")
            times, refused = timed_logins(base, max(5, requests // 2))
            print(f"{'login':<7} p50 {statistics.median(times):7.1f} ms   p95 "
                  f"{pct(times, 95):7.1f} ms   max {max(times):7.1f} ms   "
                  f"{refused} of {len(times)} refused (not 303)")
    finally:
        server.should_exit = True


STEPS = ("bm25", "nearest", "_candidates", "_coverage", "_story_hits")


def search_steps(path: Path, repeats: int = 5) -> None:
    """Median milliseconds of each step of store.search.search per benchmark query (the query
    embedding is computed once beforehand, as the page's encoder cache does not)."""
    import numpy as np

    from config.settings import load_settings
    from nlp.embed import load_backend
    from store import search as module
    from store.db import open_duckdb
    from store.snapshot import latest_snapshot

    backend = load_backend(load_settings(db_path=path).nlp)
    con = open_duckdb(latest_snapshot(path) or path, read_only=True)
    spent: dict[str, float] = {}

    def timing(name: str, fn):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + (time.perf_counter() - t0) * 1000
        return run

    originals = {name: getattr(module, name) for name in STEPS}
    for name, fn in originals.items():
        setattr(module, name, timing(name, fn))
    try:
        print(f"{'query':<32} {'total':>7} " + " ".join(f"{n.strip('_'):>11}" for n in STEPS))
        for q in QUERIES:
            vec = np.asarray(backend.encode([q]), np.float32)[0]
            module.search(con, backend, q, vector=vec)  # warm
            runs = []
            for _ in range(repeats):
                spent.clear()
                t0 = time.perf_counter()
                module.search(con, backend, q, vector=vec)
                runs.append(((time.perf_counter() - t0) * 1000, dict(spent)))
            total = statistics.median(r[0] for r in runs)
            cols = " ".join(f"{statistics.median(r[1].get(n, 0.0) for r in runs):9.1f}ms"
                            for n in STEPS)
            print(f"{q:<32} {total:5.1f}ms {cols}")
    finally:
        for name, fn in originals.items():
            setattr(module, name, fn)
        con.close()


def main() -> None:
    """Parse arguments, build or reuse the store, and time the pages."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--date", default="2025-01-15", help="digest date (YYYY-MM-DD)")
    ap.add_argument("--db", type=Path, default=None, help="keep/reuse the store at this path")
    ap.add_argument("--requests", type=int, default=100)
    ap.add_argument("--steps", action="store_true", help="also time search's steps per query")
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    path = args.db or Path(tmp.name) / "web.duckdb"
    day = date.fromisoformat(args.date)
    prepare(path, args.docs, day)
    run(path, day, args.requests)
    if args.steps:
        search_steps(path)
    tmp.cleanup()


if __name__ == "__main__":
    main()
