"""Hybrid search over documents and stories: BM25 full text (DuckDB fts) + embedding cosine.

The two rankings are fused by reciprocal rank. A document counts as a match when it covers
enough of the query's content words or when its embedding is close enough to the query's;
everything else is left out, so a query about nothing in the store returns nothing.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

import duckdb
import numpy as np

from store.db import packed
from store.fulltext import bm25, fts_ready, load_fts
from store.fulltext import stems as fulltext_stems
from store.nearest import nearest

log = logging.getLogger(__name__)

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


def query_terms(query: str) -> tuple[str, ...]:
    """Content words of a query (lower-cased, stop words and 1-letter words dropped, unique)."""
    seen: dict[str, None] = {}
    for w in _WORD.findall(query.lower()):
        w = w.strip("'-")
        if len(w) > 1 and w not in _STOP:
            seen.setdefault(w, None)
    return tuple(seen)


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


def _filter_params(f: SearchFilters) -> list:
    sources, countries = packed(f.sources), packed([c.upper() for c in f.countries])
    topics = packed(f.topics)
    return [f.since, f.since, f.until, f.until, sources, sources, countries, countries, topics,
            topics, f.story_id, f.story_id, f.story_id]


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


Matching = Callable[[str, Sequence[str]], frozenset]


def text_matching(texts: Mapping[Hashable, str]) -> Matching:
    """A memoised lookup over lower-cased texts: (regex, words every match contains) -> the
    keys of the texts it matches. The words are tested with `in` first, which rules most
    texts out far faster than the regex would."""
    found: dict[str, frozenset] = {}

    def matching(regex: str, literals: Sequence[str]) -> frozenset:
        if regex not in found:
            pattern = re.compile(regex)
            found[regex] = frozenset(k for k, t in texts.items()
                                     if all(w in t for w in literals) and pattern.search(t))
        return found[regex]

    return matching


def adjacency_in(matching: Matching) -> Callable[[str, str], tuple[int, int]]:
    """`phrase_units`' adjacency over some texts: (a, b) -> (texts with both terms, texts with
    them adjacent)."""

    def adjacency(a: str, b: str) -> tuple[int, int]:
        both = matching(term_regex(a), (a,)) & matching(term_regex(b), (b,))
        return len(both), len(both & matching(unit_regex((a, b)), (a, b)))

    return adjacency


def _coverage(bodies: Mapping[str, str], terms: Sequence[str], stems: Sequence[str],
              synonyms: Mapping[str, Sequence[str]] | None) -> tuple[dict[str, float], list[str]]:
    """Share of the query's units (terms, or phrases the documents use; or their alternative
    wordings) each lower-cased document body contains, and the units' regexes."""
    if not bodies or not terms:
        return {i: 0.0 for i in bodies}, []
    matching = text_matching(bodies)
    adjacency = adjacency_in(matching)
    raw_of = dict(zip(stems, terms, strict=True))
    units = [(u, unit_alternatives(u, [raw_of[u[0]]], synonyms))
             for u in phrase_units(stems, adjacency)]
    regexes = [unit_regex(u, alts) for u, alts in units]
    hits = [matching(r, () if alts else u) for r, (u, alts) in zip(regexes, units, strict=True)]
    return {i: sum(1 for h in hits if i in h) / len(hits) for i in bodies}, regexes


_SPACES = re.compile(r"\s+")


def snippet(text: str, regexes: Sequence[str], width: int = 260) -> tuple[tuple[str, bool], ...]:
    """A passage of about `width` characters around the first query match (the opening when
    nothing matches), as (text, is a match) pieces; "…" marks cut ends."""
    text = _SPACES.sub(" ", text[:20000]).strip()
    patterns = [re.compile(r, re.IGNORECASE) for r in regexes]
    firsts = [m.start() for p in patterns if (m := p.search(text))]
    start = max(0, min(firsts) - width // 3) if firsts else 0
    if start:
        start = text.find(" ", start) + 1 or start  # begin on a word
    end = min(len(text), start + width)
    cut = text.rfind(" ", start, end) if end < len(text) else -1
    end = cut if cut > start else end  # end on a word
    window = text[start:end]
    spans = sorted((m.start(), m.end()) for p in patterns for m in p.finditer(window)
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
    scoped = filters != SearchFilters()
    if scoped:
        con.execute(_SCOPE_SQL, _filter_params(filters))
    methods: list[str] = []
    lexical: list[tuple[str, float]] = []
    stems = list(terms)
    if terms:
        try:
            load_fts(con)
            stems = fulltext_stems(con, list(terms))
            if fts_ready(con):
                words = list(terms) + [w for t in terms for a in (synonyms or {}).get(t, ())
                                       for w in query_terms(a)]
                lexical = bm25(con, " ".join(dict.fromkeys(words)), pool, scoped)
                methods.append("bm25")
            else:
                log.warning("no full-text index yet (run refresh_search_index); embeddings only")
        except duckdb.Error as exc:
            log.warning("full-text search unavailable (%s); embeddings only", exc)
    semantic: list[tuple[str, float]] = []
    if encoder is not None and query.strip():
        vec = vector if vector is not None else np.asarray(encoder.encode([query]), np.float32)[0]
        scope = {r[0] for r in con.execute("SELECT id FROM search_scope").fetchall()} \
            if scoped else None
        semantic = nearest(con, vec, encoder.name, pool, scope)
        if semantic:
            methods.append("embedding")
    fused: dict[str, float] = {}
    for ranking in (lexical, semantic):
        for rank, (doc_id, _) in enumerate(ranking):
            fused[doc_id] = fused.get(doc_id, 0.0) + 1.0 / (rrf_k + rank + 1)
    cos = dict(semantic)
    rows = _candidates(con, list(fused))
    cover, regexes = _coverage({i: f"{r[1]} {r[7]}".lower() for i, r in rows.items()}, terms,
                               stems, synonyms)
    keep = {i for i in rows if cover[i] >= min_coverage or cos.get(i, -1.0) >= min_cosine}
    docs = [replace(h, snippet=snippet(rows[h.doc_id][7] or "", regexes)) for h in
            _doc_hits([rows[i] for i in keep], fused, dict(lexical), cos, cover)[:limit]]
    return SearchResult(query=query, terms=terms, docs=tuple(docs),
                        stories=tuple(_story_hits(con, docs)), methods=tuple(methods))


def _candidates(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, tuple]:
    """Id -> (id, title, url, source, date, story, duplicate of, text), one query for all."""
    if not ids:
        return {}
    rows = con.execute(
        "SELECT d.id, d.title, d.url, d.source_id, coalesce(d.published_at, d.first_seen_at), "
        "m.story_id, n.duplicate_of, d.text FROM documents d "
        "LEFT JOIN story_members m ON m.doc_id = d.id "
        "LEFT JOIN near_duplicates n ON n.doc_id = d.id "
        "WHERE d.id IN (SELECT unnest(string_split(?, chr(31))))", [packed(ids)]).fetchall()
    return {r[0]: r for r in rows}


def _doc_hits(rows: list[tuple], fused: dict[str, float], bm: dict[str, float],
              cos: dict[str, float], cover: dict[str, float]) -> list[DocHit]:
    present = {r[0] for r in rows}
    hits = []
    for r in rows:
        if r[6] and r[6] in present:
            continue  # a near-duplicate of another hit says nothing new
        score = fused[r[0]] * (0.5 + 0.5 * cover[r[0]])
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
