"""The documents' BM25 index: DuckDB's fts extension builds it; ranking reads a term-sorted
copy of its postings, so a query touches only the documents that contain its words."""

from __future__ import annotations

import importlib.util
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

log = logging.getLogger(__name__)

FTS_SCHEMA = "fts_main_documents"
# Okapi BM25 constants and idf (base-10 log) as the fts extension's match_bm25 has them, so
# scores are the same as its.
K1, B = 1.2, 0.75


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load DuckDB's fts extension from the ``duckdb-extension-fts`` wheel (offline), else an
    installed copy; raises duckdb.Error when neither is there."""
    spec = importlib.util.find_spec("duckdb_extension_fts")
    if spec and spec.origin:
        path = (Path(spec.origin).parent / "extensions" / f"v{duckdb.__version__}"
                / "fts.duckdb_extension")
        if path.is_file():
            con.execute("LOAD '" + str(path).replace("'", "''") + "'")
            return
    con.execute("LOAD fts")


def fts_ready(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the documents' full-text index (with its sorted postings) exists in this store."""
    sql = ("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? "
           "AND table_name IN ('dict', 'postings')")
    return con.execute(sql, [FTS_SCHEMA]).fetchone()[0] == 2


def refresh_search_index(con: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """(Re)build the BM25 index over documents (title, text) if they changed since the last
    build (count or latest ``updated_at``); needs a writable connection. True when rebuilt."""
    load_fts(con)
    count, latest = con.execute("SELECT count(*), max(updated_at) FROM documents").fetchone()
    row = con.execute(
        "SELECT doc_count, max_updated_at FROM search_index_state WHERE name = 'documents'"
    ).fetchone()
    if not force and row and row[0] == count and row[1] == latest and fts_ready(con):
        return False
    t0 = time.perf_counter()
    con.execute(
        "PRAGMA create_fts_index('documents', 'id', 'title', 'text', stemmer = 'porter', "
        "stopwords = 'english', strip_accents = 1, lower = 1, overwrite = 1)"
    )
    # One row per (term, document) in term order: row-group min/max then skip everything but
    # the query's terms (the extension's own table is in document order and is read whole).
    con.execute(
        "CREATE OR REPLACE TABLE fts_main_documents.postings AS SELECT termid::INTEGER AS termid, "
        "docid::INTEGER AS docid, count(*)::INTEGER AS tf FROM fts_main_documents.terms "
        "GROUP BY ALL ORDER BY termid, docid"
    )
    ms = int((time.perf_counter() - t0) * 1000)
    con.execute(
        "INSERT INTO search_index_state VALUES ('documents', ?, ?, ?, ?) ON CONFLICT (name) "
        "DO UPDATE SET doc_count = excluded.doc_count, max_updated_at = excluded.max_updated_at, "
        "built_at = excluded.built_at, build_ms = excluded.build_ms",
        [count, latest, datetime.now(UTC), ms],
    )
    log.info("search index rebuilt over %d documents in %d ms", count, ms)
    return True


def stems(con: duckdb.DuckDBPyConnection, words: list[str]) -> list[str]:
    """Porter stems of words, as the index stems them."""
    if not words:
        return []
    return list(con.execute("SELECT list_transform(?::VARCHAR[], w -> stem(w, 'porter'))",
                            [words]).fetchone()[0])


def bm25(con: duckdb.DuckDBPyConnection, text: str, limit: int,
         scoped: bool = False) -> list[tuple[str, float]]:
    """Documents matching any word of `text`, best BM25 score first (ties by id).

    Args:
        con: a store whose index is ready (`fts_ready`); read-only is fine.
        text: the query; tokenised, stemmed and stop-worded as the index was.
        limit: documents returned at most.
        scoped: only documents listed in the temp table ``search_scope`` (column ``id``).
    """
    terms = con.execute(
        "SELECT termid, df FROM fts_main_documents.dict WHERE term IN "
        "(SELECT DISTINCT stem(unnest(fts_main_documents.tokenize(?)), 'porter'))", [text]
    ).fetchall()
    if not terms:
        return []
    # A literal IN list of (bound) term ids lets the scan skip row groups by min/max.
    marks = ", ".join("?" for _ in terms)
    scope = "SEMI JOIN search_scope s ON s.id = dc.name " if scoped else ""
    rows = con.execute(
        "WITH p AS (SELECT p.docid, p.tf, d.df FROM fts_main_documents.postings p "  # noqa: S608
        f"JOIN fts_main_documents.dict d USING (termid) WHERE p.termid IN ({marks})), "
        "st AS (SELECT num_docs, avgdl FROM fts_main_documents.stats) "
        "SELECT dc.name, sum(log((st.num_docs - p.df + 0.5) / (p.df + 0.5) + 1) * p.tf * (? + 1) "
        "/ (p.tf + ? * (1 - ? + ? * dc.len / st.avgdl))) AS s "
        f"FROM p JOIN fts_main_documents.docs dc USING (docid) CROSS JOIN st {scope}"
        "GROUP BY dc.name ORDER BY s DESC, dc.name LIMIT ?",
        [*(t[0] for t in terms), K1, K1, B, B, limit],
    ).fetchall()
    return [(r[0], float(r[1])) for r in rows]
