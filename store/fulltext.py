"""The documents' BM25 index: DuckDB's fts extension builds it; ranking reads a term-sorted
copy of its postings, so a query touches only the documents that contain its words.

The extension's tokeniser keeps only a-z, so Chinese, Japanese and Korean text would not be
indexed at all: the index reads a copy of the documents (``search_documents``) in which every
CJK run is cut into tokens between spaces (store/segment.py), and keeps CJK characters; the
query is cut the same way (`index_text`)."""

from __future__ import annotations

import importlib.util
import logging
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from store.segment import CJK_CLASS, DEFAULT_MODE, FTS_IGNORE, has_cjk, spaced

log = logging.getLogger(__name__)

INDEXED = "search_documents"
FTS_SCHEMA = "fts_main_" + INDEXED
# The index's layout and tokenisation; a store indexed otherwise is rebuilt once.
INDEX_NAME = f"documents:cjk-{DEFAULT_MODE}-1"
# Every CJK character class the segmenter knows (for finding the documents to segment).
_HAS_CJK_SQL = f"regexp_matches(d.title || ' ' || d.text, '[{CJK_CLASS}]')"
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
    row = con.execute(sql, [FTS_SCHEMA]).fetchone()
    return row is not None and row[0] == 2


def refresh_search_index(con: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """(Re)build the BM25 index over documents (title, text) if they changed since the last
    build (count or latest ``updated_at``); needs a writable connection. True when rebuilt."""
    load_fts(con)
    totals = con.execute("SELECT count(*), max(updated_at) FROM documents").fetchone()
    assert totals is not None  # an aggregate without GROUP BY always returns one row
    count, latest = totals
    row = con.execute(
        "SELECT doc_count, max_updated_at FROM search_index_state WHERE name = ?", [INDEX_NAME]
    ).fetchone()
    if not force and row and row[0] == count and row[1] == latest and fts_ready(con):
        return False
    t0 = time.perf_counter()
    _copy_for_index(con)
    con.execute(
        f"PRAGMA create_fts_index('{INDEXED}', 'id', 'title', 'text', stemmer = 'porter', "
        "stopwords = 'english', strip_accents = 1, lower = 1, overwrite = 1, "
        "ignore = '" + FTS_IGNORE.replace("'", "''") + "')"
    )
    # One row per (term, document) in term order: row-group min/max then skip everything but
    # the query's terms (the extension's own table is in document order and is read whole).
    con.execute(
        f"CREATE OR REPLACE TABLE {FTS_SCHEMA}.postings AS SELECT termid::INTEGER AS termid, "  # noqa: S608
        f"docid::INTEGER AS docid, count(*)::INTEGER AS tf FROM {FTS_SCHEMA}.terms "
        "GROUP BY ALL ORDER BY termid, docid"
    )
    ms = int((time.perf_counter() - t0) * 1000)
    con.execute(
        "INSERT INTO search_index_state VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) "
        "DO UPDATE SET doc_count = excluded.doc_count, max_updated_at = excluded.max_updated_at, "
        "built_at = excluded.built_at, build_ms = excluded.build_ms",
        [INDEX_NAME, count, latest, datetime.now(UTC), ms],
    )
    # An index of the former layout (over `documents` itself) is no longer read.
    con.execute("DROP SCHEMA IF EXISTS fts_main_documents CASCADE")
    log.info("search index rebuilt over %d documents in %d ms", count, ms)
    return True


def _copy_for_index(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)write ``search_documents``: each document's id, title and text, with the CJK of
    the documents that have any cut into tokens (the rest are copied as they are)."""
    rows = con.execute(f"SELECT d.id, d.title, d.text FROM documents d WHERE {_HAS_CJK_SQL}"  # noqa: S608
                       ).fetchall()
    con.execute("CREATE OR REPLACE TEMP TABLE cjk_segmented (id TEXT, title TEXT, text TEXT)")
    if rows:
        con.executemany("INSERT INTO cjk_segmented VALUES (?, ?, ?)",
                        [(i, spaced(t), spaced(x)) for i, t, x in rows])
    con.execute(
        f"CREATE OR REPLACE TABLE {INDEXED} AS SELECT d.id, coalesce(s.title, d.title) AS title, "  # noqa: S608
        "coalesce(s.text, d.text) AS text FROM documents d LEFT JOIN cjk_segmented s USING (id)")
    con.execute("DROP TABLE cjk_segmented")


def index_text(text: str) -> str:
    """A query as the index reads text (CJK cut into tokens)."""
    return spaced(text) if has_cjk(text) else text


def stems(con: duckdb.DuckDBPyConnection, words: list[str]) -> list[str]:
    """Porter stems of words, as the index stems them."""
    if not words:
        return []
    row = con.execute("SELECT list_transform(?::VARCHAR[], w -> stem(w, 'porter'))",
                      [words]).fetchone()
    assert row is not None  # a SELECT without FROM always returns one row
    return list(row[0])


def bm25(con: duckdb.DuckDBPyConnection, text: str, limit: int,
         scoped: bool = False, every: bool = False) -> list[tuple[str, float]]:
    """Documents matching any word of `text` (with `every`: all its indexed words), best BM25
    score first (ties by id).

    Args:
        con: a store whose index is ready (`fts_ready`); read-only is fine.
        text: the query; tokenised, stemmed and stop-worded as the index was.
        limit: documents returned at most.
        scoped: only documents listed in the temp table ``search_scope`` (column ``id``).
        every: only documents that contain every word of `text` the index knows (a phrase's
            documents, which a long text would rank below short ones with one of its words).
    """
    terms = con.execute(
        f"SELECT termid, df FROM {FTS_SCHEMA}.dict WHERE term IN "  # noqa: S608
        f"(SELECT DISTINCT stem(unnest({FTS_SCHEMA}.tokenize(?)), 'porter'))", [index_text(text)]
    ).fetchall()
    if not terms:
        return []
    # A literal IN list of (bound) term ids lets the scan skip row groups by min/max.
    marks = ", ".join("?" for _ in terms)
    scope = "SEMI JOIN search_scope s ON s.id = dc.name " if scoped else ""
    rows = con.execute(
        f"WITH p AS (SELECT p.docid, p.tf, d.df FROM {FTS_SCHEMA}.postings p "  # noqa: S608
        f"JOIN {FTS_SCHEMA}.dict d USING (termid) WHERE p.termid IN ({marks})), "
        f"st AS (SELECT num_docs, avgdl FROM {FTS_SCHEMA}.stats) "
        "SELECT dc.name, sum(log((st.num_docs - p.df + 0.5) / (p.df + 0.5) + 1) * p.tf * (? + 1) "
        "/ (p.tf + ? * (1 - ? + ? * dc.len / st.avgdl))) AS s "
        f"FROM p JOIN {FTS_SCHEMA}.docs dc USING (docid) CROSS JOIN st {scope}"
        "GROUP BY dc.name " + ("HAVING count(*) = ? " if every else "")
        + "ORDER BY s DESC, dc.name LIMIT ?",
        [*(t[0] for t in terms), K1, K1, B, B, *([len(terms)] if every else []), limit],
    ).fetchall()
    return [(r[0], float(r[1])) for r in rows]
