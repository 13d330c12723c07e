"""Commentary benchmarks: hybrid search latency (p50/p95) and the time of one quick-commentary
draft with the default (extractive) writer, over a store of 100,000 documents.

The store is made from the bundled real snapshot (demo/snapshot: every 2025 White House,
Federal Register and USA TODAY document, ~21,000), repeated with shifted dates and distinct
URLs up to --docs documents. Every distinct text is embedded once with the real backend
(title + a short lead: enrichment embeds a longer lead, which only costs build time here);
a repeat carries its original's vector and is recorded as its near-duplicate, as the MinHash
stage would. The BM25 index is built once. Store build,
embedding, index build and model load are timed apart from the measured calls.

Usage:
    .venv/bin/python benchmarks/commentary.py                       # 100,000 documents
    .venv/bin/python benchmarks/commentary.py --docs 20000 --db /tmp/c.duckdb   # keep the store
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SNAPSHOT = ROOT / "demo" / "snapshot"
FILES = ("whitehouse.jsonl.gz", "federal_register.jsonl.gz", "usatoday.jsonl.gz")
SEARCHES = (
    "de minimis", "US ends de minimis for Chinese parcels", "semiconductor tariffs",
    "export controls on advanced AI chips", "reciprocal tariff rates", "critical minerals supply chain",
    "Section 232 steel and aluminum", "pharmaceutical imports", "antidumping duty order",
    "artificial intelligence action plan", "美國取消中國小額包裹免稅", "晶片出口管制",
    "trade agreement with Japan", "shipbuilding and maritime", "lumber and timber imports",
    "energy emergency", "Taiwan", "tariffs on Canada and Mexico", "quantum computing research",
    "drug prices most favored nation",
)
LEAD_CHARS = 120  # embedded: title + this much lead (enrichment embeds 1000; ~10x the CPU time)
DRAFTS = ("de minimis", "US ends de minimis for Chinese parcels", "semiconductor tariffs",
          "reciprocal tariff rates", "美國取消中國小額包裹免稅")


def build_store(con, n_docs: int) -> int:
    """Fill an empty store with `n_docs` documents from the snapshot; returns the count."""
    files = [str(SNAPSHOT / f) for f in FILES]
    con.execute(
        "CREATE TEMP TABLE corpus AS SELECT k, title, text, pub, CASE WHEN row_number() OVER "
        "(PARTITION BY url ORDER BY k) = 1 THEN url ELSE url || '#copy' || k END AS url FROM "
        "(SELECT row_number() OVER (ORDER BY url, id) AS k, title, coalesce(text, '') AS text, "
        "url, CAST(substr(published, 1, 19) AS TIMESTAMP) AS pub "
        "FROM read_json_auto(?, format='newline_delimited', union_by_name=true) "
        "WHERE title IS NOT NULL AND url IS NOT NULL)", [files])
    (n_corpus,) = con.execute("SELECT count(*) FROM corpus").fetchone()
    con.execute(
        "INSERT INTO sources (id, name, publisher, country, language, kind, url, authority) "
        "VALUES ('wh', 'White House', 'The White House', 'US', 'en', 'listing', "
        "'https://www.whitehouse.gov/', 3.0), ('fr', 'Federal Register', "
        "'Office of the Federal Register (NARA)', 'US', 'en', 'api', "
        "'https://www.federalregister.gov/', 2.5), ('usat', 'USA TODAY', 'USA TODAY', 'US', 'en', "
        "'feed', 'https://www.usatoday.com/', 1.0)")
    con.execute(
        """
        INSERT INTO documents (id, version, url, canonical_url, source_id, title, text, language,
            published_at, published_precision, first_seen_at, updated_at, content_hash)
        SELECT 'b' || i, 1, url || CASE WHEN rep = 0 THEN '' ELSE '#r' || rep END,
            url || CASE WHEN rep = 0 THEN '' ELSE '#r' || rep END,
            CASE WHEN url LIKE '%federalregister%' THEN 'fr' WHEN url LIKE '%whitehouse%'
                 THEN 'wh' ELSE 'usat' END,
            title, text, 'en', pub - to_days(CAST(rep * 371 AS INTEGER)), 'datetime',
            pub - to_days(CAST(rep * 371 AS INTEGER)), now(), md5(title || text)
        FROM (SELECT (row_number() OVER (ORDER BY r.rep, c.k) - 1) AS i, r.rep, c.*
              FROM corpus c, range(?) r(rep) ORDER BY r.rep, c.k LIMIT ?)
        """, [-(-n_docs // n_corpus), n_docs])
    con.execute(
        "INSERT INTO near_duplicates SELECT d.id, o.id, 1.0, 'bench-copy' FROM documents d "
        "JOIN documents o ON o.canonical_url = split_part(d.canonical_url, '#r', 1) "
        "WHERE d.id <> o.id")
    return int(con.execute("SELECT count(*) FROM documents").fetchone()[0])


def embed_store(con, backend, batch: int = 256) -> int:
    """Embed each distinct text once (title + lead); repeats share their original's vector."""
    from nlp.embed import embedding_input
    from store.nearest import vector_literal

    rows = con.execute(
        "SELECT min(id), any_value(title), any_value(text), content_hash FROM documents "
        "GROUP BY content_hash ORDER BY content_hash").fetchall()
    vectors: dict[str, object] = {}
    for start in range(0, len(rows), batch):
        part = rows[start:start + batch]
        vecs = backend.encode([embedding_input(r[1], r[2], max_chars=LEAD_CHARS) for r in part])
        vectors.update({r[3]: v for r, v in zip(part, vecs, strict=True)})
    con.execute("CREATE TEMP TABLE vecs (content_hash TEXT, vector FLOAT[])")
    con.executemany("INSERT INTO vecs VALUES (?, ?::FLOAT[])",
                    [(h, vector_literal(v)) for h, v in vectors.items()])
    con.execute(
        "INSERT INTO embeddings SELECT d.id, ?, d.content_hash, ?, v.vector FROM documents d "
        "JOIN vecs v USING (content_hash)", [backend.name, backend.dim])
    return len(vectors)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def run(n_docs: int, db: Path | None, rounds: int) -> None:
    """Build (or reuse) the store, then time searches and drafts."""
    from commentary.draft import write_commentary
    from commentary.query import load_synonyms, prepare_query
    from config.settings import load_settings
    from nlp.embed import load_backend
    from store.db import connect
    from store.fulltext import refresh_search_index
    from store.search import search

    tmp = tempfile.TemporaryDirectory()
    path = db or Path(tmp.name) / "bench.duckdb"
    settings = load_settings(db_path=path, out_dir=Path(tmp.name) / "out")
    con = connect(path)
    t0 = time.perf_counter()
    backend = load_backend(settings.nlp)
    backend.encode(["warm up"])
    print(f"model loaded ({backend.name}) in {time.perf_counter() - t0:.1f} s")
    (have,) = con.execute("SELECT count(*) FROM documents").fetchone()
    if have == 0:
        t0 = time.perf_counter()
        have = build_store(con, n_docs)
        print(f"store built: {have:,} documents in {time.perf_counter() - t0:.1f} s")
    if not con.execute("SELECT count(*) FROM embeddings").fetchone()[0]:
        t0 = time.perf_counter()
        distinct = embed_store(con, backend)
        print(f"embedded {distinct:,} distinct texts in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    rebuilt = refresh_search_index(con)
    print(f"BM25 index {'built' if rebuilt else 'reused'} in {time.perf_counter() - t0:.1f} s")
    cs = settings.commentary
    synonyms = load_synonyms()
    timings = []
    for _ in range(rounds):
        for q in SEARCHES:
            text = prepare_query(q, cs.max_query_chars).text
            t0 = time.perf_counter()
            result = search(con, backend, text, limit=20, min_coverage=cs.min_coverage,
                            min_cosine=cs.min_cosine, synonyms=synonyms)
            timings.append(time.perf_counter() - t0)
            assert result.methods == ("bm25", "embedding"), result.methods
    print(f"SEARCH over {have:,} documents, {len(timings)} queries: "
          f"p50 {statistics.median(timings) * 1000:.0f} ms, p95 {percentile(timings, 95) * 1000:.0f} ms, "
          f"max {max(timings) * 1000:.0f} ms")
    draft_times = []
    for q in DRAFTS:
        t0 = time.perf_counter()
        draft = write_commentary(con, backend, settings, q)
        elapsed = time.perf_counter() - t0
        draft_times.append(elapsed)
        print(f"  draft {q!r}: {elapsed:.2f} s — {len(draft.references)} sources, "
              f"{len(draft.timeline)} timeline events, {len(draft.facts)} facts, claim check "
              f"removed {len(draft.check.removed)}/{draft.check.checked}")
    print(f"DRAFT over {have:,} documents (extractive writer): median "
          f"{statistics.median(draft_times):.2f} s, max {max(draft_times):.2f} s (budget 5 s)")
    con.close()
    tmp.cleanup()


def main() -> None:
    """Parse arguments and run."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--db", type=Path, default=None, help="keep/reuse the store at this path")
    ap.add_argument("--rounds", type=int, default=3, help="times each search query is run")
    args = ap.parse_args()
    run(args.docs, args.db, args.rounds)


if __name__ == "__main__":
    main()
