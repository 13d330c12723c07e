"""The documents' BM25 index, kept up to date incrementally: ranking reads term-sorted
postings, so a query touches only the documents that contain its words.

The index has the tables of DuckDB's fts extension (dict, docs, stats) plus ``postings``
(term, document, tf, the document's length: a query scores its postings without joining every
document's row, and names only its top documents); the extension itself only supplies its
`tokenize` macro and stop words (from an index over an empty ``search_documents``). A refresh tokenises just the documents
added or changed since the last one, with the extension's own statements' logic, so the
scores are the extension's `match_bm25` scores (tests/test_fulltext.py compares them) and a
day's documents are indexed in seconds at a million (docs/performance.md, issue 18).

The extension's tokeniser keeps only a-z, so Chinese, Japanese and Korean text would not be
indexed at all: each CJK run is cut into tokens between spaces first (store/segment.py) and
the tokeniser keeps CJK characters; the query is cut the same way (`index_text`)."""

from __future__ import annotations

import importlib.util
import logging
import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np

from store.segment import CJK_CLASS, DEFAULT_MODE, FTS_IGNORE, has_cjk, spaced

log = logging.getLogger(__name__)

INDEXED = "search_documents"
FTS_SCHEMA = "fts_main_" + INDEXED
# The index's layout and tokenisation; a store indexed otherwise is rebuilt once.
INDEX_NAME = f"documents:cjk-{DEFAULT_MODE}-3"
# Every CJK character class the segmenter knows (for finding the documents to segment).
_HAS_CJK_SQL = f"regexp_matches(d.title || ' ' || d.text, '[{CJK_CLASS}]')"
# Okapi BM25 constants and idf (base-10 log) as the fts extension's match_bm25 has them, so
# scores are the same as its.
K1, B = 1.2, 0.75
# Documents tokenised per statement (bounds the temporary token table).
BATCH = 50_000
# Re-sort the postings when the part appended since the last sort passes this share.
TAIL_SHARE = 0.03


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


def fts_ready(con: duckdb.DuckDBPyConnection, incremental: bool = False) -> bool:
    """Whether the documents' full-text index (with its postings) exists in this store; with
    `incremental`, in the layout `refresh_search_index` can add to."""
    names = ["dict", "postings", *(["sorted", "docs"] if incremental else [])]
    row = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? "
                      "AND table_name IN (SELECT unnest(?::VARCHAR[]))",
                      [FTS_SCHEMA, names]).fetchone()
    return row is not None and row[0] == len(names)


def refresh_search_index(con: duckdb.DuckDBPyConnection, force: bool = False) -> bool:
    """Bring the BM25 index up to date with documents (title, text); needs a writable
    connection. True when anything was (re)indexed.

    Incremental: only documents added, changed (``updated_at`` after the last refresh's latest)
    or removed since the last refresh are (un)indexed; a store without the current index
    layout, or `force`, is indexed from scratch (the same statements over every document).
    When the postings appended since they were last sorted pass `TAIL_SHARE` of all, they are
    re-sorted once (see `_compact`).
    """
    load_fts(con)
    count, latest, row = _index_state(con)
    ready = fts_ready(con, incremental=True)
    if not force and row == (count, latest) and ready:
        return False
    t0 = time.perf_counter()
    since = row[1] if row and ready and not force else None
    if since is None:
        _empty_index(con)
    removed = _unindex_stale(con, since) if since is not None else 0
    added = _index_new(con)
    _compact(con)
    ms = int((time.perf_counter() - t0) * 1000)
    con.execute(
        "INSERT INTO search_index_state VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) "
        "DO UPDATE SET doc_count = excluded.doc_count, max_updated_at = excluded.max_updated_at, "
        "built_at = excluded.built_at, build_ms = excluded.build_ms",
        [INDEX_NAME, count, latest, datetime.now(UTC), ms],
    )
    log.info("search index: %d documents indexed, %d removed (%s) in %d ms", added, removed,
             "full" if since is None else "incremental", ms)
    return True


def _index_state(con: duckdb.DuckDBPyConnection) -> tuple[int, datetime | None, tuple | None]:
    """(documents, their latest updated_at, the index's (doc_count, max_updated_at) or None)."""
    totals = con.execute("SELECT count(*), max(updated_at) FROM documents").fetchone()
    assert totals is not None  # an aggregate without GROUP BY always returns one row
    row = con.execute(
        "SELECT doc_count, max_updated_at FROM search_index_state WHERE name = ?", [INDEX_NAME]
    ).fetchone()
    return totals[0], totals[1], tuple(row) if row else None


def _empty_index(con: duckdb.DuckDBPyConnection) -> None:
    """An index without documents: the extension's schema (its `tokenize` macro and stop
    words) from an empty table, and empty dict, docs and postings."""
    con.execute(f"CREATE OR REPLACE TABLE {INDEXED} (id TEXT, title TEXT, text TEXT)")
    con.execute(
        f"PRAGMA create_fts_index('{INDEXED}', 'id', 'title', 'text', stemmer = 'porter', "
        "stopwords = 'english', strip_accents = 1, lower = 1, overwrite = 1, "
        "ignore = '" + FTS_IGNORE.replace("'", "''") + "')"
    )
    con.execute(f"CREATE OR REPLACE TABLE {FTS_SCHEMA}.dict (termid BIGINT, term VARCHAR, "
                "df BIGINT)")
    con.execute(f"CREATE OR REPLACE TABLE {FTS_SCHEMA}.docs (docid BIGINT, name VARCHAR, "
                "len BIGINT)")
    con.execute(f"CREATE OR REPLACE TABLE {FTS_SCHEMA}.postings (termid INTEGER, "
                "docid INTEGER, tf INTEGER, len INTEGER)")
    con.execute(f"CREATE OR REPLACE TABLE {FTS_SCHEMA}.sorted (n BIGINT)")
    con.execute(f"INSERT INTO {FTS_SCHEMA}.sorted VALUES (0)")  # noqa: S608
    _write_stats(con)
    # An index of the former layout (over `documents` itself) is no longer read.
    con.execute("DROP SCHEMA IF EXISTS fts_main_documents CASCADE")


def _write_stats(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE OR REPLACE TABLE {FTS_SCHEMA}.stats AS SELECT count(docid) AS num_docs, "  # noqa: S608
                f"sum(len) / count(len) AS avgdl FROM {FTS_SCHEMA}.docs")


def _unindex_stale(con: duckdb.DuckDBPyConnection, since: datetime) -> int:
    """Remove from the index the documents deleted or changed (updated after `since`, the
    latest ``updated_at`` the last refresh saw: writes are stamped in order under the writer
    lock); returns how many. A changed one is indexed again as new."""
    s = FTS_SCHEMA
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE fts_stale AS SELECT x.docid FROM {s}.docs x "  # noqa: S608
        "LEFT JOIN documents d ON d.id = x.name WHERE d.id IS NULL OR d.updated_at > ?",
        [since])
    (n,) = con.execute("SELECT count(*) FROM fts_stale").fetchone()
    if n:
        con.execute(
            f"UPDATE {s}.dict SET df = df - g.n FROM (SELECT termid, count(*) AS n "  # noqa: S608
            f"FROM {s}.postings WHERE docid IN (SELECT docid FROM fts_stale) GROUP BY termid) g "
            f"WHERE {s}.dict.termid = g.termid")
        con.execute(f"DELETE FROM {s}.dict WHERE df <= 0")  # noqa: S608
        con.execute(f"DELETE FROM {s}.postings WHERE docid IN (SELECT docid FROM fts_stale)")  # noqa: S608
        con.execute(f"DELETE FROM {s}.docs WHERE docid IN (SELECT docid FROM fts_stale)")  # noqa: S608
        # Deleting rows leaves the sorted part sorted; it is smaller by what was deleted.
        con.execute(f"UPDATE {s}.sorted SET n = least(n, (SELECT count(*) FROM {s}.postings))")  # noqa: S608
        _write_stats(con)
    con.execute("DROP TABLE fts_stale")
    return int(n)


def _index_new(con: duckdb.DuckDBPyConnection) -> int:
    """Index the documents not in the index yet, `BATCH` at a time; returns how many.

    Documents are numbered in the order of a hash of their text, so the copies of one text
    (a wire story in several feeds, a re-published order) fall in one batch and are
    tokenised once."""
    s = FTS_SCHEMA
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fts_new AS SELECT row_number() OVER (ORDER BY "  # noqa: S608
        "hash(d.title, d.text), d.id) + (SELECT coalesce(max(docid), 0) FROM "
        f"{s}.docs) AS docid, d.id FROM documents d ANTI JOIN {s}.docs x ON x.name = d.id")
    (n, first) = con.execute("SELECT count(*), min(docid) FROM fts_new").fetchone()
    for start in range(first or 0, (first or 0) + n, BATCH):
        _index_batch(con, start, start + BATCH)
    con.execute("DROP TABLE fts_new")
    if n:
        _write_stats(con)
    return int(n)


def _index_batch(con: duckdb.DuckDBPyConnection, lo: int, hi: int) -> None:
    """Index the new documents with docid in [lo, hi): each distinct (title, text) is
    tokenised once as the extension tokenises (its own `tokenize` macro, porter stems, its
    stop words); new terms are appended to dict, df and docs updated, and the postings
    appended in term order."""
    s = FTS_SCHEMA
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fts_stage AS SELECT n.docid, d.id, d.title, d.text "
        "FROM fts_new n JOIN documents d USING (id) WHERE n.docid >= ? AND n.docid < ?",
        [lo, hi])
    con.execute("CREATE OR REPLACE TEMP TABLE fts_texts AS SELECT row_number() OVER () AS tid, "
                "title, text FROM (SELECT DISTINCT title, text FROM fts_stage)")
    con.execute("CREATE OR REPLACE TEMP TABLE fts_map AS SELECT g.docid, g.id, t.tid "
                "FROM fts_stage g JOIN fts_texts t ON t.title = g.title AND t.text = g.text")
    con.execute("DROP TABLE fts_stage")
    _segment_cjk(con)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fts_tokens AS SELECT tid, stem(w, 'porter') AS term "  # noqa: S608
        f"FROM (SELECT tid, unnest({s}.tokenize(title)) AS w FROM fts_texts UNION ALL "
        f"SELECT tid, unnest({s}.tokenize(text)) AS w FROM fts_texts) "
        f"WHERE w IS NOT NULL AND len(w) > 0 AND w NOT IN (SELECT sw FROM {s}.stopwords)")
    con.execute(
        f"INSERT INTO {s}.dict SELECT (SELECT coalesce(max(termid), 0) FROM {s}.dict) "  # noqa: S608
        "+ row_number() OVER (ORDER BY term), term, 0 FROM "
        f"(SELECT DISTINCT term FROM fts_tokens) t ANTI JOIN {s}.dict USING (term)")
    con.execute("CREATE OR REPLACE TEMP TABLE fts_lens AS SELECT tid, count(*) AS n "
                "FROM fts_tokens GROUP BY tid")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE fts_batch AS SELECT f.termid::INTEGER AS termid, "  # noqa: S608
        "m.docid::INTEGER AS docid, f.tf::INTEGER AS tf, l.n::INTEGER AS len FROM (SELECT "
        f"d.termid, t.tid, count(*) AS tf FROM fts_tokens t JOIN {s}.dict d USING (term) "
        "GROUP BY ALL) f JOIN fts_map m USING (tid) JOIN fts_lens l USING (tid)")
    con.execute(
        f"UPDATE {s}.dict SET df = df + g.n FROM (SELECT termid, count(*) AS n FROM fts_batch "  # noqa: S608
        f"GROUP BY termid) g WHERE {s}.dict.termid = g.termid")
    con.execute(
        f"INSERT INTO {s}.docs SELECT m.docid, m.id, coalesce(l.n, 0) FROM fts_map m "  # noqa: S608
        "LEFT JOIN fts_lens l USING (tid)")
    con.execute(f"INSERT INTO {s}.postings SELECT * FROM fts_batch ORDER BY termid, docid")  # noqa: S608
    for table in ("fts_texts", "fts_map", "fts_tokens", "fts_lens", "fts_batch"):
        con.execute(f"DROP TABLE {table}")


def _segment_cjk(con: duckdb.DuckDBPyConnection) -> None:
    """Cut the CJK of the staged texts (``fts_texts``) into tokens (store/segment.py)."""
    rows = con.execute(f"SELECT tid, title, text FROM fts_texts d WHERE {_HAS_CJK_SQL}"  # noqa: S608
                       ).fetchall()
    if not rows:
        return
    # Registered as columns (executemany costs ~0.4 ms a row here).
    con.register("cjk_segmented", {
        "tid": np.array([r[0] for r in rows], dtype=np.int64),
        "title": np.array([spaced(r[1]) for r in rows], dtype=object),
        "text": np.array([spaced(r[2]) for r in rows], dtype=object)})
    try:
        con.execute("UPDATE fts_texts SET title = c.title, text = c.text FROM cjk_segmented c "
                    "WHERE fts_texts.tid = c.tid")
    finally:
        con.unregister("cjk_segmented")


def _compact(con: duckdb.DuckDBPyConnection) -> None:
    """Re-sort the postings by term when the unsorted tail passes `TAIL_SHARE`: a query
    reads only the row groups whose term range holds its terms, and each appended batch's
    row groups span every term."""
    s = FTS_SCHEMA
    (total, done) = con.execute(
        f"SELECT (SELECT count(*) FROM {s}.postings), (SELECT max(n) FROM {s}.sorted)"  # noqa: S608
    ).fetchone()
    if total - done <= TAIL_SHARE * total:
        return
    con.execute(f"CREATE OR REPLACE TABLE {s}.postings AS SELECT * FROM {s}.postings "  # noqa: S608
                "ORDER BY termid, docid")
    con.execute(f"UPDATE {s}.sorted SET n = ?", [total])  # noqa: S608


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


def docs_with_word(con: duckdb.DuckDBPyConnection, word: str) -> list[str] | None:
    """Ids of the documents whose indexed title or text has `word` (as the index tokenises
    and stems it: "minimis" finds "Minimis"), from its postings; None when the index cannot
    say: not one plain a-z word, a stop word, or no current index (documents changed since
    its last refresh). A caller's own match on the texts decides; this only narrows, and
    reading the postings costs milliseconds where scanning 1M texts costs seconds."""
    if not re.fullmatch(r"[A-Za-z]{3,}", word) or not fts_ready(con, incremental=True):
        return None
    count, latest, row = _index_state(con)
    if row != (count, latest):
        return None
    (stem,) = stems(con, [word.lower()])
    stop = con.execute(f"SELECT count(*) FROM {FTS_SCHEMA}.stopwords WHERE sw = ?",  # noqa: S608
                       [word.lower()]).fetchone()
    if stop and stop[0]:
        return None
    rows = con.execute(
        f"SELECT dc.name FROM {FTS_SCHEMA}.postings p JOIN {FTS_SCHEMA}.docs dc "  # noqa: S608
        f"USING (docid) WHERE p.termid = (SELECT termid FROM {FTS_SCHEMA}.dict WHERE term = ?)",
        [stem]).fetchall()
    return [r[0] for r in rows]


def term_stats(con: duckdb.DuckDBPyConnection, texts: list[str]
               ) -> dict[str, list[tuple[int, int]]]:
    """The (term id, document frequency) of each text's distinct indexed words, as `bm25`
    tokenises and stems them; one scan of the term table for all texts (485,800 terms at 1M,
    11-30 ms a scan, which each pass of a search paid).

    Args:
        con: a store whose index is ready.
        texts: queries.
    """
    stemmed = [con.execute(
        f"SELECT list_distinct(list_transform({FTS_SCHEMA}.tokenize(?), "  # noqa: S608
        "w -> stem(w, 'porter')))", [index_text(t)]).fetchone()[0] or [] for t in texts]
    wanted = sorted({w for ws in stemmed for w in ws})
    known: dict[str, tuple[int, int]] = {}
    if wanted:
        for term, termid, df in con.execute(
                f"SELECT term, termid, df FROM {FTS_SCHEMA}.dict WHERE term IN "  # noqa: S608
                "(SELECT unnest(?::VARCHAR[]))", [wanted]).fetchall():
            known[term] = (int(termid), int(df))
    return {t: sorted(known[w] for w in ws if w in known)
            for t, ws in zip(texts, stemmed, strict=True)}


def bm25(con: duckdb.DuckDBPyConnection, text: str, limit: int,
         scoped: bool = False, every: bool = False,
         terms: list[tuple[int, int]] | None = None) -> list[tuple[str, float]]:
    """Documents matching any word of `text` (with `every`: all its indexed words), best BM25
    score first (ties by id among the `limit` best; which of equal scores make the cut is
    by index order).

    Args:
        con: a store whose index is ready (`fts_ready`); read-only is fine.
        text: the query; tokenised, stemmed and stop-worded as the index was.
        limit: documents returned at most.
        scoped: only documents listed in the temp table ``search_scope`` (column ``id``).
        every: only documents that contain every word of `text` the index knows (a phrase's
            documents, which a long text would rank below short ones with one of its words).
        terms: `text`'s (term id, df) pairs from `term_stats` when the caller has them (a
            search's passes look theirs up together).
    """
    if terms is None:
        terms = term_stats(con, [text])[text]
    return bm25_passes(con, [(terms, every)], limit, scoped)[0]


def bm25_passes(con: duckdb.DuckDBPyConnection, passes: Sequence[tuple[list[tuple[int, int]], bool]],
                limit: int, scoped: bool = False) -> list[list[tuple[str, float]]]:
    """Several `bm25` rankings from one read of their postings: each pass's (term id, df)
    pairs from `term_stats` and whether a document needs every one of them; the best `limit`
    of each, by score, then document name.

    The postings of all the passes' terms are read once and summed per document in NumPy
    (document ids are dense integers, so a sum is one `bincount`). At 1M, a search's 3-5
    passes each grouping their postings in SQL took ~77 ms of a warm search; one statement
    with a filtered sum per pass 52 ms median, 200 ms for a query whose synonyms bring 62
    terms and 1.04M postings; this 47 / 115 ms (docs/performance.md, "Fourth pass").
    Scores are the SQL formula's (DuckDB's ``log`` is base 10).
    """
    out: list[list[tuple[str, float]]] = [[] for _ in passes]
    live = [k for k, (terms, _) in enumerate(passes) if terms]
    if not live:
        return out
    union = sorted({t for k in live for t in passes[k][0]})
    # A literal IN list of (bound) term ids lets the scan skip row groups by min/max; the
    # postings carry their document's length, so only the top documents' names are read.
    marks = ", ".join("?" for _ in union)
    scope = (f"AND p.docid IN (SELECT x.docid FROM {FTS_SCHEMA}.docs x "  # noqa: S608
             "SEMI JOIN search_scope s ON s.id = x.name) " if scoped else "")
    num_docs, avgdl = con.execute(f"SELECT num_docs, avgdl FROM {FTS_SCHEMA}.stats").fetchone()  # noqa: S608
    got = con.execute(f"SELECT p.termid, p.docid, p.tf, p.len FROM {FTS_SCHEMA}.postings p "  # noqa: S608
                      f"WHERE p.termid IN ({marks}) {scope}", [t[0] for t in union]).fetchnumpy()
    termid, docid = np.asarray(got["termid"]), np.asarray(got["docid"], dtype=np.int64)
    if not len(docid):
        return out
    tf, length = (np.asarray(got[c], dtype=np.float64) for c in ("tf", "len"))
    ids = np.array([t for t, _ in union])
    df = np.array([d for _, d in union], dtype=np.float64)
    idf = np.log10((num_docs - df + 0.5) / (df + 0.5) + 1)[np.searchsorted(ids, termid)]
    score = idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * length / avgdl))
    size = int(docid.max()) + 1
    tops = []
    for k in live:
        wanted = np.array(sorted(t for t, _ in passes[k][0]))
        rows = np.isin(termid, wanted)
        sums = np.bincount(docid[rows], weights=score[rows], minlength=size)
        counts = np.bincount(docid[rows], minlength=size)
        docs = np.nonzero(counts == len(wanted) if passes[k][1] else counts > 0)[0]
        best = sums[docs]
        if len(docs) > limit:  # the cut: the limit-th best score, then lower ids first
            keep = best >= np.partition(best, len(best) - limit)[len(best) - limit]
            docs, best = docs[keep], best[keep]
        order = np.lexsort((docs, -best))[:limit]
        tops.append((k, docs[order], best[order]))
    wanted_ids = sorted({int(d) for _, docs, _ in tops for d in docs})
    names = dict(con.execute(f"SELECT docid, name FROM {FTS_SCHEMA}.docs WHERE docid IN "  # noqa: S608
                             "(SELECT unnest(?::BIGINT[]))", [wanted_ids]).fetchall())
    for k, docs, best in tops:
        out[k] = sorted(((names[int(d)], float(v)) for d, v in zip(docs, best, strict=True)),
                        key=lambda r: (-r[1], r[0]))
    return out
