"""One search request as `radar search` and the web search both run it: the typed query through
the glossary (`prepare_query`), then hybrid search with the search vocabulary and, when a
multilingual encoder is given, the cross-language half (an English query finds Korean,
Japanese and Chinese documents by their multilingual vectors, and the other way round).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import duckdb

from commentary.query import PreparedQuery, load_vocabulary, prepare_query
from config.settings import Settings
from store.search import QueryEncoder, SearchFilters, SearchResult, search


@dataclass(frozen=True)
class SearchRequest:
    """The prepared query and what it found."""

    prepared: PreparedQuery
    result: SearchResult


def search_request(con: duckdb.DuckDBPyConnection, settings: Settings,
                   encoder: QueryEncoder | None, query: str, limit: int = 20,
                   filters: SearchFilters | None = None,
                   synonyms: Mapping[str, Sequence[str]] | None = None,
                   multilingual: QueryEncoder | None = None) -> SearchRequest:
    """Search as the CLI and the web do.

    Args:
        con: the store (a read copy is fine).
        settings: loaded settings (search thresholds, query length).
        encoder: the primary query encoder (None: BM25 and the multilingual half only).
        query: what was typed (English, zh-TW, or another language).
        limit: documents returned at most.
        filters: dates, countries, sources, topics, story.
        synonyms: the search vocabulary (default: `load_vocabulary()`).
        multilingual: the multilingual query encoder (`nlp.embed.load_multilingual`; None: off).

    Raises:
        BadInputError: nothing searchable in the query.
    """
    cs = settings.commentary
    prepared = prepare_query(query, cs.max_query_chars, allow_cjk=True)
    result = search(con, encoder, prepared.search_text, filters, limit=limit,
                    min_coverage=cs.min_coverage, min_cosine=cs.min_cosine,
                    synonyms=load_vocabulary() if synonyms is None else synonyms,
                    multilingual=multilingual)
    return SearchRequest(prepared, result)
