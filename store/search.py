"""Hybrid search over documents and stories: BM25 full text (DuckDB fts) + embedding cosine.

A document counts as a match when it covers enough of the query's units (words, phrases,
known names with their other wordings, CJK words: store/units.py; each unit weighted by its
rarity among the candidates) or when its embedding is close enough to the query's; everything
else is left out, so a query about nothing in the store returns nothing. Matches rank by their
evidence (each unit counted by where the document has it: title, lead, body twice, body once),
with the BM25 / embedding ranks fused by reciprocal rank as the lesser part of the score.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol

import duckdb
import numpy as np

from store.db import numbered_in, packed
from store.fulltext import bm25_passes, fts_ready, load_fts, term_stats
from store.fulltext import stems as fulltext_stems
from store.multilingual import MIN_COSINE as MULTILINGUAL_MIN_COSINE
from store.multilingual import TOP as MULTILINGUAL_TOP
from store.multilingual import multilingual_ranking
from store.nearest import nearest
from store.query_units import (  # noqa: F401 (phrase and term helpers are used by commentary)
    STOP,
    adjacency_in,
    bm25_text,
    coverage,
    phrase_units,
    phrase_wordings,
    query_terms,
    query_units,
    text_matching,
    unit_alternatives,
    unit_regex,
)
from store.segment import CJK, fold, has_cjk
from store.units import Texts, term_regex  # noqa: F401

log = logging.getLogger(__name__)
# DuckDB looks for pandas on every statement with parameters (twice); without pandas each look
# is a failed import that searches the whole path again (~1 ms each on a loaded machine, ~14
# statements a search). A None entry makes the look fail at once, as it would anyway.
if "pandas" not in sys.modules and importlib.util.find_spec("pandas") is None:
    sys.modules["pandas"] = None  # type: ignore[assignment]
# A document's score: its evidence (the query's units, each counted by where the document has
# it: store.query_units.coverage) x (0.5 + 0.5 x the share of units it has: a document without
# one of the query's words loses again), plus BM25 and embedding rank fused by reciprocal rank,
# scaled to at most FUSED_WEIGHT: evidence decides, rank orders documents of equal evidence.
# (Fused 0.25 and 1.0, evidence x share, and the rank x share^2 did worse on the labelled
# queries: docs/quality.md.)
FUSED_WEIGHT = 0.5
# The opening of a text that counts as its lead (with the title).
LEAD_CHARS = 1000
MATCH_CHARS = 60_000
# Every-word BM25 passes at most (the whole query, then known phrases and their wordings; a
# wording that stems like one already run is not run again).
EVERY_WORD_PASSES = 3


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
    # A passage around the first match: (text, is a query match) pieces, for highlighting.
    snippet: tuple[tuple[str, bool], ...] = ()


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


# Every filter is always present; a NULL / empty parameter switches it off (params:
# _filter_params). With any filter set, the documents in scope go to a temp table both
# rankings join.
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


def _filter_params(f: SearchFilters) -> list[datetime | str | None]:
    sources, countries = packed(f.sources), packed([c.upper() for c in f.countries])
    topics = packed(f.topics)
    return [f.since, f.since, f.until, f.until, sources, sources, countries, countries, topics,
            topics, f.story_id, f.story_id, f.story_id]


_SPACES = re.compile(r"\s+")
# A filter's documents up to this many are handed to the vector halves as a set of ids; a
# broader one (a year of a million documents) is checked in SQL for their nearest candidates
# only: 800,000 ids took ~0.7 s to read into a set and ~1.5 s more to find their matrix rows.
SCOPE_SET_MAX = 20_000


def _vector_scope(con: duckdb.DuckDBPyConnection
                  ) -> tuple[set[str] | None, Callable[[list[str]], set[str]] | None]:
    """The filters' documents (``search_scope``) for `nearest`: (ids, None) when they are
    few, else (None, a check of candidate ids against them)."""
    (n,) = con.execute("SELECT count(*) FROM search_scope").fetchone()
    if n <= SCOPE_SET_MAX:
        return {r[0] for r in con.execute("SELECT id FROM search_scope").fetchall()}, None

    def in_scope(candidates: list[str]) -> set[str]:
        return {r[0] for r in con.execute(
            "SELECT c.id FROM (SELECT unnest(string_split(?, chr(31))) AS id) c "
            "JOIN search_scope s ON s.id = c.id", [packed(candidates)]).fetchall()}

    return None, in_scope


def snippet(text: str, regexes: Sequence[str], width: int = 260) -> tuple[tuple[str, bool], ...]:
    """A passage of about `width` characters around the first query match (the opening when
    nothing matches), as (text, is a match) pieces; "…" marks cut ends."""
    text = _SPACES.sub(" ", text[:20000]).strip()
    folded = fold(text)  # CJK patterns are Simplified; folding keeps every position
    patterns = [re.compile(r, re.IGNORECASE) for r in regexes]
    firsts = [m.start() for p in patterns if (m := p.search(folded))]
    start = max(0, min(firsts) - width // 3) if firsts else 0
    if start:
        start = text.find(" ", start) + 1 or start  # begin on a word
    end = min(len(text), start + width)
    cut = text.rfind(" ", start, end) if end < len(text) else -1
    end = cut if cut > start else end  # end on a word
    window = text[start:end]
    spans = sorted((m.start(), m.end()) for p in patterns for m in p.finditer(folded[start:end])
                   if m.end() > m.start())
    pieces: list[tuple[str, bool]] = [("…", False)] if start else []
    at = 0
    for a, b in spans:
        if a < at:  # overlaps the previous match
            continue
        if a > at:
            pieces.append((window[at:a], False))
        pieces.append((window[a:b], True))
        at = b
    pieces.append((window[at:] + ("…" if end < len(text) else ""), False))
    return tuple(p for p in pieces if p[0])


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
    multilingual: QueryEncoder | None = None,
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
        multilingual: the multilingual query encoder (nlp.embed.load_multilingual); its
            ranking adds the documents written in the other script (a Chinese query's English
            documents, an English query's Chinese ones) by their multilingual vector.
    """
    filters = filters or SearchFilters()
    terms = query_terms(query)
    scoped = filters != SearchFilters()
    if scoped:
        con.execute(_SCOPE_SQL, _filter_params(filters))
    methods: list[str] = []
    lexical: list[tuple[str, float]] = []
    stems = list(terms)
    cjk = has_cjk(query)
    if terms or cjk:
        try:
            load_fts(con)
            stems = fulltext_stems(con, list(terms))
            if fts_ready(con):
                lexical = _lexical(con, query, terms, synonyms, pool, scoped)
                methods.append("bm25")
            else:
                log.warning("no full-text index yet (run refresh_search_index); embeddings only")
        except duckdb.Error as exc:
            log.warning("full-text search unavailable (%s); embeddings only", exc)
    semantic: list[tuple[str, float]] = []
    english = _SPACES.sub(" ", CJK.sub(" ", query)).strip()
    vectors = query.strip() and (encoder is not None or multilingual is not None)
    scope, in_scope = _vector_scope(con) if scoped and vectors else (None, None)
    if encoder is not None and query.strip():
        vec = vector if vector is not None else \
            np.asarray(encoder.encode([english or query]), np.float32)[0]
        semantic = nearest(con, vec, encoder.name, pool, scope, keep=in_scope)
        if semantic:
            methods.append("embedding")
    fused: dict[str, float] = {}
    for ranking in (lexical, semantic):
        for rank, (doc_id, _) in enumerate(ranking):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (rrf_k + rank + 1)
    cos = dict(semantic)
    if multilingual is not None and query.strip():
        # The cross-language half (store/multilingual.py): its cosines run lower than the
        # primary vector's, so they count from MIN_COSINE as the primary ones from min_cosine.
        crossing = multilingual_ranking(con, multilingual, query, MULTILINGUAL_TOP, scope,
                                        other_script=True, keep=in_scope)
        for rank, (doc_id, value) in enumerate(crossing):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (rrf_k + rank + 1)
            cos[doc_id] = max(cos.get(doc_id, -1.0), value - MULTILINGUAL_MIN_COSINE + min_cosine)
        if crossing:
            methods.append("multilingual")
    rows = candidate_rows(con, list(fused))
    # Matching reads the first MATCH_CHARS of each text (a 100-page annex costs time and
    # says little the opening does not).
    texts = Texts({i: f"{r[1]} {(r[7] or '')[:MATCH_CHARS]}" for i, r in rows.items()})
    units = query_units(query, dict(zip(terms, stems, strict=True)), texts, synonyms)
    cover, evidence = coverage(
        texts.bodies, {i: r[1] for i, r in rows.items()}, units, texts,
        {i: f"{r[1]} {(r[7] or '')[:LEAD_CHARS]}" for i, r in rows.items()})
    # (An embedding-only candidate required to have the query's rarest unit changed nothing on
    # the labelled queries and emptied filtered searches: docs/quality.md.)
    keep = {i for i in rows if cover[i] >= min_coverage or cos.get(i, -1.0) >= min_cosine}
    regexes = [u.pattern for u in units]
    docs = [replace(h, snippet=snippet(rows[h.doc_id][7] or "", regexes)) for h in
            _doc_hits([rows[i] for i in keep], fused, dict(lexical), cos, cover,
                      evidence)[:limit]]
    return SearchResult(query=query, terms=terms, docs=tuple(docs),
                        stories=tuple(_story_hits(con, docs)), methods=tuple(methods))


def _lexical(con: duckdb.DuckDBPyConnection, query: str, terms: Sequence[str],
             synonyms: Mapping[str, Sequence[str]] | None, pool: int,
             scoped: bool) -> list[tuple[str, float]]:
    """The BM25 ranking: documents with every query word first, then those with every word
    of one of the query's known phrases (any wording), then any word (query, wordings, CJK)."""
    ranked: dict[str, float] = {}
    groups = [" ".join(terms)] if len(terms) > 1 else []
    groups += list(phrase_wordings(query, synonyms))
    seen: set[frozenset[str]] = set()
    passes = []
    for text in groups:  # "export control" is the pass of "export controls" once stemmed
        key = frozenset(w.rstrip("s") for w in query_terms(text))
        if key and key not in seen:
            seen.add(key)
            passes.append(text)
    anywhere = bm25_text(query, terms, synonyms)
    stats = term_stats(con, [*passes[:EVERY_WORD_PASSES], anywhere])  # one term-table scan
    every = passes[:EVERY_WORD_PASSES]
    rankings = bm25_passes(con, [*((stats[t], True) for t in every), (stats[anywhere], False)],
                           pool, scoped)  # one statement: the passes share their postings
    for ranking in rankings:
        for doc_id, score in ranking:
            ranked.setdefault(doc_id, score)
    return list(ranked.items())[:max(pool, len(ranked))]


def candidate_rows(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """Id -> (id, title, url, source, date, story, duplicate of, text), one query for all."""
    if not ids:
        return {}
    cond, params = numbered_in(ids, first=2)  # each table by its key ($1: the text length)
    sql = ("WITH d AS (SELECT id, title, url, source_id, coalesce(published_at, first_seen_at) AS t, "  # noqa: S608 - numbered_in binds the ids
           "left(text, $1) AS x FROM documents WHERE " + cond("id") + "), "
           "m AS (SELECT doc_id, story_id FROM story_members WHERE " + cond("doc_id") + "), "
           "n AS (SELECT doc_id, duplicate_of FROM near_duplicates WHERE " + cond("doc_id") + ") "
           "SELECT d.id, d.title, d.url, d.source_id, d.t, m.story_id, n.duplicate_of, d.x FROM d "
           "LEFT JOIN m ON m.doc_id = d.id LEFT JOIN n ON n.doc_id = d.id")
    rows = con.execute(sql, [MATCH_CHARS, *params]).fetchall()  # only what matching reads
    return {r[0]: r for r in rows}


def _doc_hits(rows: list[tuple[Any, ...]], fused: dict[str, float], bm: dict[str, float],
              cos: dict[str, float], cover: dict[str, float],
              evidence: dict[str, float]) -> list[DocHit]:
    present = {r[0] for r in rows}
    top = max((fused[r[0]] for r in rows), default=1.0) or 1.0
    hits = []
    for r in rows:
        if r[6] and r[6] in present:
            continue  # a near-duplicate of another hit says nothing new
        score = evidence[r[0]] * (0.5 + 0.5 * cover[r[0]]) + FUSED_WEIGHT * fused[r[0]] / top
        hits.append(DocHit(r[0], r[1], r[2], r[3], r[4], r[5], score, bm.get(r[0]),
                           cos.get(r[0]), cover[r[0]]))
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
