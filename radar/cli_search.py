"""`radar search`: one quick hybrid search from the command line.

A one-shot search used to load the full embedding stack (torch, sentence-transformers) and open
the store for writing to check its BM25 index: 6-11 s per search. Here the query vector comes
from the NumPy MiniLM (same model, same vectors; nlp/query_encoder.py) and the store is read
from its newest published copy, whose index the enrichment stage already refreshed. Timings:
benchmarks/cli_search.py, docs/performance.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from config.settings import Settings
from radar.cli_base import app, console, opening

if TYPE_CHECKING:  # imported where used: a one-shot search starts faster
    from store.reader_pool import ReaderPool
    from store.search import SearchFilters


@dataclass(frozen=True)
class QuickSearch:
    """A search's result and the English query it ran (Chinese words through the glossary)."""

    result: object  # store.search.SearchResult
    query: str  # what was typed
    expanded: str  # what was searched
    pairs: tuple[tuple[str, str], ...]  # (zh, en) glossary terms used
    notes: tuple[str, ...]  # e.g. Chinese the glossary does not know, a query cut short


def _open_store(settings: Settings):
    """The newest read copy (never waits for, or blocks, a writer); without one yet, the store
    itself, its BM25 index refreshed first."""
    from store.db import connect, open_duckdb
    from store.fulltext import refresh_search_index
    from store.snapshot import latest_snapshot

    copy = latest_snapshot(settings.db_path)
    if copy is not None:
        return open_duckdb(copy, read_only=True)
    con = connect(settings.db_path)
    refresh_search_index(con)
    return con


def quick_search(settings: Settings, query: str, since: str | None = None,
                 until: str | None = None, countries: tuple[str, ...] = (),
                 sources: tuple[str, ...] = (), topics: tuple[str, ...] = (),
                 story_id: str | None = None, limit: int = 20, encoder=None,
                 multilingual=None, readers: ReaderPool | None = None) -> QuickSearch:
    """Hybrid search as the CLI runs it: the same request as the web search
    (`commentary.search_request.search_request`), multilingual half included.

    Args:
        settings: loaded settings (store path, time zone, search thresholds).
        query: English or zh-TW search text.
        since: earliest date (YYYY-MM-DD or ISO instant).
        until: latest date.
        countries: source countries.
        sources: source ids.
        topics: taxonomy topic ids.
        story_id: only documents of this story.
        limit: documents returned at most.
        encoder: a query encoder already loaded (default: `nlp.embed.load_query_encoder`).
        multilingual: the multilingual query encoder (default: `nlp.embed.load_multilingual`
            when the store has multilingual vectors; none when it is off or not installed:
            then English queries reach Korean, Japanese or Chinese documents only through the
            vocabulary, not by their vectors).
        readers: a long-lived process's pool of read-copy connections (its connections stay
            open, so DuckDB's key index and postings stay loaded between searches); None
            opens the newest copy for this search alone, as one `radar search` does.

    Raises:
        BadInputError: nothing searchable in the query, or a bad date.
        TransientError: the store is being created and has no read copy yet.
    """
    from commentary.draft import parse_instant
    from nlp.embed import load_query_encoder
    from store.search import SearchFilters

    filters = SearchFilters(since=parse_instant(since, settings.timezone),
                            until=parse_instant(until, settings.timezone, end=True),
                            countries=countries, sources=sources, topics=topics,
                            story_id=story_id)
    encoder = encoder or load_query_encoder(settings.nlp)
    if readers is not None:
        with readers.reading() as con:
            return _searched(con, settings, encoder, query, limit, filters, multilingual)
    con = _open_store(settings)
    try:
        return _searched(con, settings, encoder, query, limit, filters, multilingual)
    finally:
        con.close()


def _searched(con, settings: Settings, encoder, query: str, limit: int,
              filters: SearchFilters, multilingual) -> QuickSearch:
    """`quick_search` on an open connection."""
    from commentary.search_request import search_request
    from nlp.embed import load_multilingual
    from store.multilingual import multilingual_model

    # USE costs ~1 s to load and a few seconds for its first query: only when the store has
    # multilingual vectors for it to compare with.
    if multilingual is None and multilingual_model(con) is not None:
        multilingual = load_multilingual(settings.nlp)
    found = search_request(con, settings, encoder, query, limit=limit, filters=filters,
                           multilingual=multilingual)
    prepared = found.prepared
    return QuickSearch(found.result, prepared.original, prepared.search_text,
                       prepared.translated, prepared.notes)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Search text (English or zh-TW).")],
    since: Annotated[str | None, typer.Option(help="Earliest date YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Latest date YYYY-MM-DD.")] = None,
    country: Annotated[list[str] | None, typer.Option("--country", help="Source country (repeatable).")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Source id (repeatable).")] = None,
    topic: Annotated[list[str] | None, typer.Option("--topic", help="Topic id (repeatable).")] = None,
    story: Annotated[str | None, typer.Option("--story", help="Within one story.")] = None,
    limit: Annotated[int, typer.Option(help="Documents to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Hybrid search (BM25 + embeddings) over documents and stories.

    A Chinese query is searched in English through the glossary; the English it became is
    printed first. Example: radar search "de minimis" --since 2025-01-01 --topic trade
    """
    with opening() as run:
        found = quick_search(run.settings, query, since=since, until=until,
                             countries=tuple(country or ()), sources=tuple(source or ()),
                             topics=tuple(topic or ()), story_id=story, limit=limit)
    result = found.result
    if as_json:
        typer.echo(json.dumps({
            "query": result.query, "typed": found.query, "methods": list(result.methods),
            "glossary": [{"zh": zh, "en": en} for zh, en in found.pairs],
            "notes": list(found.notes),
            "stories": [{"id": s.story_id, "title": s.title, "score": round(s.score, 5),
                         "documents": list(s.doc_ids)} for s in result.stories],
            "documents": [{"id": h.doc_id, "title": h.title, "url": h.url, "source": h.source_id,
                           "published_at": h.published_at.isoformat() if h.published_at else None,
                           "story_id": h.story_id, "score": round(h.score, 5)}
                          for h in result.docs]}, ensure_ascii=False))
        return
    out = Console(width=200)
    if found.expanded != found.query:
        out.print(f"searched for: {found.expanded}", soft_wrap=True, markup=False)
    for note in found.notes:  # which glossary terms were used, Chinese left out, a cut query
        out.print(f"note: {note}", soft_wrap=True, markup=False)
    if not result.docs:
        console.print(f"no documents match {found.expanded!r}", markup=False)
        raise typer.Exit(code=1)
    stories = Table("story", "title", "matching docs", title="stories")
    for s in result.stories:
        stories.add_row(s.story_id, s.title[:90], str(len(s.doc_ids)))
    docs = Table("date", "source", "title", "story",
                 title=f"documents ({' + '.join(result.methods)})")
    for h in result.docs:
        docs.add_row(h.published_at.date().isoformat() if h.published_at else "", h.source_id,
                     h.title[:90], h.story_id or "")
    out.print(stories)
    out.print(docs)
