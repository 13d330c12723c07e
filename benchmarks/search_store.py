"""The search-quality store: every document of the bundled snapshot (demo/snapshot: the 2025
White House, Federal Register and USA TODAY documents, and demo/snapshot/foreign: Taiwan's
presidential office in zh-Hant, METI in Japanese, Korean ministries' press-release titles, EU
and UK items), each embedded once with the configured backend (title + a short lead), and the
BM25 index. Nothing is read from ../shared, so the gate test builds the same store.

Used by benchmarks/search_quality.py and the search-precision gate (tests/test_search.py).
"""

from __future__ import annotations

import gzip
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SNAPSHOT = ROOT / "demo" / "snapshot"
FOREIGN = SNAPSHOT / "foreign"
FILES = ("whitehouse.jsonl.gz", "federal_register.jsonl.gz", "usatoday.jsonl.gz")
LEAD_CHARS = 120
COUNTRY_SOURCE = {"TW": "tw-president", "JP": "jp-meti", "KR": "kr-ministries",
                  "EU": "eu-sources", "GB": "uk-govuk"}


def foreign_items(folder: Path = FOREIGN) -> list[dict]:
    """The bundled foreign items that have a title (deduplicated by URL)."""
    rows: dict[str, dict] = {}
    for path in sorted(folder.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if rec.get("title") and rec.get("url"):
                    rows.setdefault(rec["url"], rec)
    return list(rows.values())


def build_store(con) -> int:
    """Fill an empty store with the snapshot and the foreign items; returns the count."""
    from benchmarks.commentary import build_store as build_snapshot

    files = [str(SNAPSHOT / f) for f in FILES]
    (n,) = con.execute("SELECT count(*) FROM read_json_auto(?, format='newline_delimited', "
                       "union_by_name=true) WHERE title IS NOT NULL AND url IS NOT NULL",
                       [files]).fetchone()
    build_snapshot(con, n)
    items = foreign_items()
    countries = {r["country"]: r for r in items}
    con.executemany(
        "INSERT INTO sources (id, name, publisher, country, language, kind, url, authority) "
        "VALUES (?, ?, ?, ?, ?, 'listing', ?, 2.0)",
        [(COUNTRY_SOURCE.get(c, c.lower()), r["publisher"], r["publisher"], c, r["lang"],
          r["url"]) for c, r in countries.items()])
    rows = [("f-" + r["id"], r["url"], COUNTRY_SOURCE.get(r["country"], r["country"].lower()),
             r["title"], r.get("text") or "", r["lang"], (r["published"] or "")[:19])
            for r in items]
    con.executemany(
        "INSERT INTO documents (id, version, url, canonical_url, source_id, title, text, "
        "language, published_at, published_precision, first_seen_at, updated_at, content_hash) "
        "VALUES (?, 1, ?2, ?2, ?, ?, ?, ?, CAST(?7 AS TIMESTAMP), 'date', CAST(?7 AS TIMESTAMP), "
        "now(), md5(?4 || ?5))", rows)
    return int(con.execute("SELECT count(*) FROM documents").fetchone()[0])


def mark_near_duplicates(con) -> int:
    """Record the store's near-duplicates (a USA TODAY copy of a White House order) with the
    real MinHash stage, oldest first, as enrichment would; returns how many."""
    from nlp.neardup import MinHashParams, find_near_duplicates, signature

    params = MinHashParams()
    rows = con.execute("SELECT id, title, text, epoch(published_at) FROM documents "
                       "ORDER BY published_at, id").fetchall()
    sigs = [s for r in rows if (s := signature(r[0], r[1], r[2], params, r[3]))]
    dups = find_near_duplicates(sigs, lambda _: {}, params)
    con.executemany("INSERT INTO near_duplicates VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                    [(d.doc_id, d.duplicate_of, d.similarity, d.method) for d in dups])
    return len(dups)


def prepared_store(path: Path, quiet: bool = False, embed: bool = True):
    """Open (building it first when empty) the search-quality store at `path`; returns
    (connection, embedding backend or None without `embed`). The BM25 index is refreshed
    every time."""
    from benchmarks.commentary import embed_store
    from config.settings import load_settings
    from nlp.embed import load_backend
    from store.db import connect
    from store.fulltext import refresh_search_index

    say = (lambda *a: None) if quiet else print
    settings = load_settings(db_path=path)
    backend = load_backend(settings.nlp) if embed else None
    con = connect(path)
    if not con.execute("SELECT count(*) FROM documents").fetchone()[0]:
        t0 = time.perf_counter()
        n = build_store(con)
        say(f"store: {n:,} documents in {time.perf_counter() - t0:.0f} s")
    if not con.execute("SELECT count(*) FROM near_duplicates").fetchone()[0]:
        t0 = time.perf_counter()
        n = mark_near_duplicates(con)
        say(f"near-duplicates: {n:,} in {time.perf_counter() - t0:.0f} s")
    if backend is not None and not con.execute("SELECT count(*) FROM embeddings").fetchone()[0]:
        t0 = time.perf_counter()
        distinct = embed_store(con, backend)
        say(f"embedded {distinct:,} texts ({backend.name}) in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    if refresh_search_index(con):
        say(f"BM25 index in {time.perf_counter() - t0:.1f} s")
    return con, backend
