"""Hybrid search over documents and stories: BM25 full text (DuckDB fts) + embedding cosine.

The two rankings are fused by reciprocal rank. A document counts as a match when it covers
enough of the query's content words or when its embedding is close enough to the query's;
everything else is left out, so a query about nothing in the store returns nothing.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb
import numpy as np

from store.db import packed
from store.nearest import nearest

log = logging.getLogger(__name__)

FTS_SCHEMA = "fts_main_documents"
_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
# Words that carry no topic: the fts index's English stop words plus query glue.
_STOP = frozenset(
    "a an and are as at be but by for from has have how i in into is it its of on or our over "
    "that the their them these they this to us was what when where which who why will with "
    "about after against all also any before between can did do does during each new news "
    "than then there under up very via".split()
)


class QueryEncoder(Protocol):
    """What search needs from an embedding backend (nlp.embed.EmbeddingBackend fits)."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray:
        """(n, dim) float32 L2-normalised rows."""
        ...


@dataclass(frozen=True)
class SearchFilters:
    """Restrictions on what is searched. Instants are compared with the document's date
    (published, else first seen); countries are the issuing sources' countries."""

    since: datetime | None = None
    until: datetime | None = None
    countries: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()
    story_id: str | None = None


@dataclass(frozen=True)
class DocHit:
    """A matching document with both raw scores and the fused score."""

    doc_id: str
    title: str
    url: str
    source_id: str
    published_at: datetime | None
    story_id: str | None
    score: float
    bm25: float | None
    cosine: float | None
    coverage: float


@dataclass(frozen=True)
class StoryHit:
    """A story with matching members; `doc_ids` are its matching documents, best first."""

    story_id: str
    title: str
    score: float
    size: int
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    doc_ids: tuple[str, ...]


@dataclass(frozen=True)
class SearchResult:
    """Matches for a query, best first, with the terms searched and how it was searched."""

    query: str
    terms: tuple[str, ...]
    docs: tuple[DocHit, ...]
    stories: tuple[StoryHit, ...]
    methods: tuple[str, ...] = ()


def query_terms(query: str) -> tuple[str, ...]:
    """Content words of a query (lower-cased, stop words and 1-letter words dropped, unique)."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(query.lower()):
        w = w.strip("'-")
        if len(w) > 1 and w not in _STOP:
            seen.setdefault(w, None)
    return tuple(seen)


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
    """Whether the documents' full-text index exists in this store."""
    sql = "SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = 'dict'"
    return bool(con.execute(sql, [FTS_SCHEMA]).fetchone()[0])


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
    ms = int((time.perf_counter() - t0) * 1000)
    con.execute(
        "INSERT INTO search_index_state VALUES ('documents', ?, ?, ?, ?) ON CONFLICT (name) "
        "DO UPDATE SET doc_count = excluded.doc_count, max_updated_at = excluded.max_updated_at, "
        "built_at = excluded.built_at, build_ms = excluded.build_ms",
        [count, latest, datetime.now(UTC), ms],
    )
    log.info("search index rebuilt over %d documents in %d ms", count, ms)
    return True


# Every filter is always present; a NULL / empty parameter switches it off (params:
# _filter_params). The documents in scope go to a temp table both rankings join.
_SCOPE_SQL = (
    "CREATE OR REPLACE TEMP TABLE search_scope AS SELECT d.id FROM documents d WHERE "
    "(?::TIMESTAMPTZ IS NULL OR coalesce(d.published_at, d.first_seen_at) >= ?::TIMESTAMPTZ) "
    "AND (?::TIMESTAMPTZ IS NULL OR coalesce(d.published_at, d.first_seen_at) <= ?::TIMESTAMPTZ) "
    "AND (? = '' OR list_contains(string_split(?, chr(31)), d.source_id)) "
    "AND (? = '' OR d.source_id IN "
    "(SELECT id FROM sources WHERE list_contains(string_split(?, chr(31)), upper(country)))) "
    "AND (? = '' OR d.id IN (SELECT doc_id FROM tags WHERE kind = 'topic' "
    "AND list_contains(string_split(?, chr(31)), tag))) "
    "AND (?::VARCHAR IS NULL OR d.id IN (SELECT doc_id FROM story_members WHERE story_id = ? "
    "OR story_id IN (SELECT id FROM stories WHERE merged_into = ?)))"
)


def _filter_params(f: SearchFilters) -> list:
    sources, countries = packed(f.sources), packed([c.upper() for c in f.countries])
    topics = packed(f.topics)
    return [f.since, f.since, f.until, f.until, sources, sources, countries, countries, topics,
            topics, f.story_id, f.story_id, f.story_id]


def _bm25(con: duckdb.DuckDBPyConnection, text: str, limit: int) -> list[tuple[str, float]]:
    rows = con.execute(
        "SELECT id, s FROM (SELECT d.id, fts_main_documents.match_bm25(d.id, ?) AS s FROM "
        "documents d SEMI JOIN search_scope USING (id)) WHERE s IS NOT NULL "
        "ORDER BY s DESC, id LIMIT ?", [text, limit]).fetchall()
    return [(r[0], float(r[1])) for r in rows]


def term_regex(stem: str) -> str:
    """Regex of a (stemmed) term: a word prefix; short terms as whole words (3 letters: with
    -s/-ed/-ing), so "de" never matches "department"."""
    body = r"\W+".join(re.escape(w) for w in stem.lower().split())
    if len(stem) <= 2:
        return r"\b" + body + r"\b"
    if len(stem) == 3:
        return r"\b" + body + r"(?:s|es|ed|ing)?\b"
    return r"\b" + body + r"\w*"


def phrase_units(terms: Sequence[str], adjacency: Callable[[str, str], tuple[int, int]],
                 min_ratio: float = 0.8, min_count: int = 2) -> tuple[tuple[str, ...], ...]:
    """Group consecutive query terms that the texts use as one phrase ("de minimis").

    Args:
        terms: query terms (stems) in query order.
        adjacency: (a, b) -> (texts containing both, texts containing "a b" adjacent).
        min_ratio: share of co-occurrences that must be adjacent.
        min_count: adjacent occurrences needed.

    Returns:
        Units in query order: one-term tuples and two-term phrases.
    """
    pairs = (adjacency(a, b) for a, b in zip(terms, terms[1:], strict=False))
    ratios = sorted(((adj / both, i) for i, (both, adj) in enumerate(pairs)
                     if adj >= min_count and adj >= min_ratio * both > 0), reverse=True)
    taken: set[int] = set()
    starts: set[int] = set()
    for _, i in ratios:
        if not {i, i + 1} & taken:
            taken |= {i, i + 1}
            starts.add(i)
    units, i = [], 0
    while i < len(terms):
        n = 2 if i in starts else 1
        units.append(tuple(terms[i:i + n]))
        i += n
    return tuple(units)


def unit_regex(unit: Sequence[str], alternatives: Sequence[str] = ()) -> str:
    """Regex of a term or an adjacent-word phrase, or any of its alternative wordings."""
    main = r"\W+".join(term_regex(t) for t in unit)
    return "(?:" + "|".join([main, *(term_regex(a) for a in alternatives)]) + ")" if alternatives else main


def unit_alternatives(unit: Sequence[str], raw: Sequence[str],
                      synonyms: Mapping[str, Sequence[str]] | None) -> tuple[str, ...]:
    """Alternatives of a one-term unit (looked up by the raw query word)."""
    return tuple(synonyms.get(raw[0].lower(), ())) if synonyms and len(unit) == 1 and raw else ()


def _coverage(con: duckdb.DuckDBPyConnection, ids: list[str], terms: Sequence[str],
              stemmed: bool, synonyms: Mapping[str, Sequence[str]] | None) -> dict[str, float]:
    """Share of the query's units (terms, or phrases the documents use; or their alternative
    wordings) each document contains."""
    if not ids or not terms:
        return {i: 0.0 for i in ids}
    stems = [con.execute("SELECT stem(?, 'porter')", [t]).fetchone()[0] if stemmed else t
             for t in terms]
    con.execute("CREATE OR REPLACE TEMP TABLE search_bodies AS SELECT id, lower(title || ' ' || "
                "text) AS body FROM documents WHERE id IN (SELECT unnest(string_split(?, chr(31))))",
                [packed(ids)])

    def adjacency(a: str, b: str) -> tuple[int, int]:
        row = con.execute(
            "SELECT count(*) FILTER (regexp_matches(body, ?) AND regexp_matches(body, ?)), "
            "count(*) FILTER (regexp_matches(body, ?)) FROM search_bodies",
            [term_regex(a), term_regex(b), unit_regex((a, b))]).fetchone()
        return int(row[0]), int(row[1])

    raw_of = dict(zip(stems, terms, strict=True))
    patterns = [unit_regex(u, unit_alternatives(u, [raw_of[u[0]]], synonyms))
                for u in phrase_units(stems, adjacency)]
    rows = con.execute(
        "SELECT id, list_count(list_filter(string_split(?, chr(31)), p -> regexp_matches(body, p))) "
        "FROM search_bodies",
        [packed(patterns)],
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS search_bodies")
    return {r[0]: r[1] / len(patterns) for r in rows}


def search(
    con: duckdb.DuckDBPyConnection,
    encoder: QueryEncoder | None,
    query: str,
    filters: SearchFilters | None = None,
    limit: int = 20,
    min_coverage: float = 0.5,
    min_cosine: float = 0.45,
    rrf_k: int = 60,
    pool: int = 100,
    vector: np.ndarray | None = None,
    synonyms: Mapping[str, Sequence[str]] | None = None,
) -> SearchResult:
    """Hybrid search: documents and the stories they belong to, best first.

    Args:
        con: the store (read-only is fine; the BM25 part needs `refresh_search_index` once).
        encoder: embedding backend whose model made the stored embeddings; None = BM25 only.
        query: English search text (callers translate other languages first).
        filters: dates, countries, sources, topics, story.
        limit: documents returned at most.
        min_coverage: share of query content words a document must contain to match ...
        min_cosine: ... or the embedding cosine that makes it match anyway.
        rrf_k: reciprocal-rank-fusion constant.
        pool: candidates taken from each ranking before fusion.
        vector: the query's embedding when the caller already has it.
        synonyms: query word -> alternative wordings (they also count for coverage and BM25).
    """
    filters = filters or SearchFilters()
    terms = query_terms(query)
    con.execute(_SCOPE_SQL, _filter_params(filters))
    methods: list[str] = []
    lexical: list[tuple[str, float]] = []
    stemmed = False
    if terms:
        try:
            load_fts(con)
            stemmed = True
            if fts_ready(con):
                words = list(terms) + [w for t in terms for a in (synonyms or {}).get(t, ())
                                       for w in query_terms(a)]
                lexical = _bm25(con, " ".join(dict.fromkeys(words)), pool)
                methods.append("bm25")
            else:
                log.warning("no full-text index yet (run refresh_search_index); embeddings only")
        except duckdb.Error as exc:
            log.warning("full-text search unavailable (%s); embeddings only", exc)
    semantic: list[tuple[str, float]] = []
    if encoder is not None and query.strip():
        vec = vector if vector is not None else np.asarray(encoder.encode([query]), np.float32)[0]
        scope = None if filters == SearchFilters() else {
            r[0] for r in con.execute("SELECT id FROM search_scope").fetchall()}
        semantic = nearest(con, vec, encoder.name, pool, scope)
        if semantic:
            methods.append("embedding")
    fused: dict[str, float] = {}
    for ranking in (lexical, semantic):
        for rank, (doc_id, _) in enumerate(ranking):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (rrf_k + rank + 1)
    bm = dict(lexical)
    cos = dict(semantic)
    cover = _coverage(con, list(fused), terms, stemmed, synonyms)
    keep = [i for i in fused if cover.get(i, 0.0) >= min_coverage or cos.get(i, -1.0) >= min_cosine]
    docs = _doc_hits(con, keep, fused, bm, cos, cover)[:limit]
    return SearchResult(query=query, terms=terms, docs=tuple(docs),
                        stories=tuple(_story_hits(con, docs)), methods=tuple(methods))


def _doc_hits(con: duckdb.DuckDBPyConnection, ids: list[str], fused: dict[str, float],
              bm: dict[str, float], cos: dict[str, float], cover: dict[str, float]) -> list[DocHit]:
    if not ids:
        return []
    rows = con.execute(
        "SELECT d.id, d.title, d.url, d.source_id, coalesce(d.published_at, d.first_seen_at), "
        "m.story_id, n.duplicate_of FROM documents d "
        "LEFT JOIN story_members m ON m.doc_id = d.id "
        "LEFT JOIN near_duplicates n ON n.doc_id = d.id "
        "WHERE d.id IN (SELECT unnest(string_split(?, chr(31))))", [packed(ids)]).fetchall()
    present = {r[0] for r in rows}
    hits = []
    for r in rows:
        if r[6] and r[6] in present:
            continue  # a near-duplicate of another hit says nothing new
        score = fused[r[0]] * (0.5 + 0.5 * cover.get(r[0], 0.0))
        hits.append(DocHit(r[0], r[1], r[2], r[3], r[4], r[5], score, bm.get(r[0]),
                           cos.get(r[0]), cover.get(r[0], 0.0)))
    hits.sort(key=lambda h: (-h.score, h.doc_id))
    return hits


def _story_hits(con: duckdb.DuckDBPyConnection, docs: list[DocHit]) -> list[StoryHit]:
    grouped: dict[str, list[DocHit]] = {}
    for h in docs:
        if h.story_id:
            grouped.setdefault(h.story_id, []).append(h)
    if not grouped:
        return []
    meta = {r[0]: r for r in con.execute(
        "SELECT id, title, size, first_seen_at, last_seen_at FROM stories "
        "WHERE id IN (SELECT unnest(string_split(?, chr(31))))", [packed(list(grouped))]).fetchall()}
    out = []
    for sid, hits in grouped.items():
        scores = sorted((h.score for h in hits), reverse=True)
        score = scores[0] + 0.3 * sum(scores[1:]) / math.sqrt(len(scores))
        m = meta.get(sid)
        out.append(StoryHit(sid, m[1] if m else hits[0].title, score, m[2] if m else len(hits),
                            m[3] if m else None, m[4] if m else None,
                            tuple(h.doc_id for h in hits)))
    out.sort(key=lambda s: (-s.score, s.story_id))
    return out
