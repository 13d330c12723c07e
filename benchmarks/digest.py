"""Digest benchmarks: speed of one day's digest over a 100,000-document store, and summary quality.

Speed: a store is built from the real corpus in ../shared/corpus (White House, USA TODAY and
Federal Register texts, repeated with shifted dates up to --docs documents, ~137 new per day,
stories of 4 documents, topic tags, entities, fetch records), then `build_digest` runs for
one day with the real embedding backend. The time of `build_digest` (ranking, summaries,
rendering and saving) is printed, with model load and store build apart.

Quality: ROUGE-1/2/L F1 of the extractive summaries against the hand-written references in
evaluation/summary_references.jsonl, beside length-matched lead and centroid baselines (the same as
benchmarks/summaries.py).

Usage:
    .venv/bin/python benchmarks/digest.py                  # speed, 100,000 documents
    .venv/bin/python benchmarks/digest.py --docs 20000
    .venv/bin/python benchmarks/digest.py --quality        # ROUGE on the reference stories
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus"
FILES = (
    "whitehouse_archive_2024_2025.jsonl.gz",
    "whitehouse_presidential_actions_usatoday_2025.jsonl.gz",
    "federal_register_abstracts_2024_2025.jsonl.gz",
)
TOPICS = (
    "trade", "export-controls", "supply-chains", "semiconductors", "ai", "robotics",
    "rd-funding", "energy", "critical-minerals", "digital",
)  # fmt: skip
SECONDS_PER_DOC = 630  # 100,000 documents over ~2 years: ~137 new documents a day


def build_store(con, n_docs: int, corpus: Path, seconds_per_doc: int = SECONDS_PER_DOC) -> int:
    """Fill an empty store with `n_docs` documents made from the real corpus, one every
    `seconds_per_doc` from 2024-01-01 (benchmarks/scale.py packs a million into a year);
    returns the count."""
    files = [str(corpus / f) for f in FILES]
    con.execute(
        "CREATE TEMP TABLE corpus AS SELECT row_number() OVER () AS k, id, title, "
        "coalesce(text, '') AS text, url FROM read_json_auto(?, format='newline_delimited', "
        "union_by_name=true, ignore_errors=true) WHERE title IS NOT NULL AND url IS NOT NULL",
        [files],
    )
    (n_corpus,) = con.execute("SELECT count(*) FROM corpus").fetchone()
    reps = -(-n_docs // n_corpus)
    con.execute(
        "INSERT INTO sources (id, name, publisher, country, language, kind, url, authority) "
        "SELECT 'src' || i, 'Source ' || i, 'Publisher ' || i, ['US','EU','JP','KR','UK'][i % 5 + 1], "
        "'en', 'feed', 'https://src' || i || '.example.gov/feed', 0.8 + (i % 4) * 0.2 "
        "FROM range(30) t(i)"
    )
    con.execute(
        """
        CREATE TEMP TABLE seq AS
        SELECT (row_number() OVER (ORDER BY r.rep, c.k) - 1) AS i, c.title, c.text, c.url
        FROM corpus c, range(?) r(rep) LIMIT ?
        """,
        [reps, n_docs],
    )
    con.execute(
        """
        INSERT INTO documents (id, url, canonical_url, source_id, title, text, language,
            published_at, published_precision, first_seen_at, updated_at, content_hash)
        SELECT 'b' || i, url || '#' || i, url || '#' || i, 'src' || (i % 30), title, text, 'en',
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * ? - 1800),
            CASE WHEN i % 10 = 0 THEN 'none' ELSE 'datetime' END,
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * ?),
            TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * ?), md5(text)
        FROM seq
        """,
        [seconds_per_doc] * 3,
    )
    con.execute(
        "INSERT INTO stories SELECT 'st' || (i // 4), any_value(title), min(first_seen_at), "
        "max(first_seen_at), count(*), NULL, 'bench', 'active', NULL, max(first_seen_at) "
        "FROM (SELECT CAST(substr(id, 2) AS BIGINT) AS i, title, first_seen_at FROM documents) "
        "GROUP BY i // 4"
    )
    con.execute(
        "INSERT INTO story_members SELECT id, 'st' || (CAST(substr(id, 2) AS BIGINT) // 4), 0.8, "
        "first_seen_at, 'bench' FROM documents"
    )
    con.execute(
        "INSERT INTO tags SELECT id, 'topic', (?)[CAST(hash(title) % ? AS BIGINT) + 1], 0.6 + CAST(hash(id) % 40 AS INTEGER) / 100, "
        "'', 'bench' FROM documents",
        [list(TOPICS), len(TOPICS)],
    )
    con.execute(
        "INSERT INTO entities SELECT id, 'country:US', 'country', 'United States', '美國', "
        "1 + CAST(hash(id) % 5 AS INTEGER), 'gazetteer', 'bench' FROM documents"
    )
    con.execute(
        "INSERT INTO fetches (source_id, url, requested_at, status, error) "
        "SELECT 'src' || (i % 30), 'https://src.example.gov/feed', "
        "TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * 3600), "
        "CASE WHEN i % 30 = 7 THEN 503 ELSE 200 END, "
        "CASE WHEN i % 30 = 7 THEN 'HTTP 503' END FROM range(17520) t(i)"
    )
    return int(con.execute("SELECT count(*) FROM documents").fetchone()[0])


def speed(n_docs: int, day: date, db: Path | None) -> None:
    """Build (or reuse) the store and time one day's digest."""
    from briefs.digest import build_digest
    from config.settings import load_settings
    from nlp.embed import load_backend
    from nlp.topics import load_taxonomy
    from store.db import connect

    tmp = tempfile.TemporaryDirectory()
    path = db or Path(tmp.name) / "bench.duckdb"
    settings = load_settings(db_path=path)
    con = connect(path)
    t0 = time.perf_counter()
    (have,) = con.execute("SELECT count(*) FROM documents").fetchone()
    if have == 0:
        have = build_store(con, n_docs, CORPUS)
        print(f"store built: {have:,} documents in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    backend = load_backend(settings.nlp)
    backend.encode(["warm up"])
    taxonomy = load_taxonomy()
    print(f"models loaded ({backend.name}) in {time.perf_counter() - t0:.1f} s")
    con.execute("DELETE FROM digest_items")
    con.execute("DELETE FROM digests")
    t0 = time.perf_counter()
    digest = build_digest(con, backend, taxonomy, settings, day, "default", "zh-TW")
    elapsed = time.perf_counter() - t0
    n_sent = sum(len(s.summary) for s in digest.stories)
    print(
        f"digest {digest.id}: {digest.n_candidates} candidate stories, {len(digest.stories)} "
        f"shown in {len(digest.sections)} sections, {n_sent} summary sentences"
    )
    print(f"DIGEST over {have:,} documents: {elapsed:.2f} s (budget 10 s)")
    con.close()
    tmp.cleanup()


def quality(corpus: Path) -> None:
    """ROUGE of the digest's summaries against the references, beside the length-matched
    lead and centroid baselines (benchmarks/summaries.py prints the same)."""
    if not corpus.is_dir():
        corpus = ROOT / "demo" / "snapshot"
        print(f"shared corpus not found; reference documents from {corpus}")
    from benchmarks.summaries import run

    run(corpus)


def main() -> None:
    """Parse arguments and run the chosen benchmark."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--docs", type=int, default=100_000)
    ap.add_argument("--date", default="2025-01-15", help="digest date (YYYY-MM-DD)")
    ap.add_argument("--db", type=Path, default=None, help="keep/reuse the store at this path")
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--quality", action="store_true", help="ROUGE against the references")
    args = ap.parse_args()
    if args.quality:
        quality(args.corpus)
    else:
        speed(args.docs, date.fromisoformat(args.date), args.db)


if __name__ == "__main__":
    main()
