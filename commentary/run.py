"""Stage callers for the CLI, the Prefect flow and the demo: open the store, load the embedder,
write (or search), and put the files where asked."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from commentary.draft import parse_instant, write_commentary
from commentary.query import load_synonyms, prepare_query
from commentary.records import Draft
from commentary.render import render_markdown
from commentary.word import write_docx
from config.errors import TransientError
from config.settings import Settings
from store.db import connect, open_duckdb, opened
from store.fulltext import refresh_search_index
from store.search import SearchFilters, SearchResult, search
from store.snapshot import is_locked, latest_snapshot


@dataclass(frozen=True)
class CommentaryOutput:
    """A written draft and the files it went to."""

    draft: Draft
    markdown_path: Path
    docx_path: Path


def run_commentary(settings: Settings, query: str, story_id: str | None = None,
                   since: str | None = None, until: str | None = None, writer: str | None = None,
                   out_md: Path | str | None = None, out_docx: Path | str | None = None,
                   backend=None) -> CommentaryOutput:
    """Write, store and save one commentary draft (.md and .docx).

    Args:
        settings: loaded settings.
        query: what the comment is about.
        story_id: restrict to a story.
        since: earliest document date (YYYY-MM-DD).
        until: latest document date; also the draft's reference date (demo replay).
        writer: extractive | transformers | openai (default: settings).
        out_md: Markdown path; default ``<out_dir>/commentary-<id>-v<version>.md``.
        out_docx: Word path; default next to the Markdown.
        backend: an already loaded embedding backend (else ``settings.nlp``'s).
    """
    if backend is None:
        from nlp.embed import load_backend

        backend = load_backend(settings.nlp)
    with opened(settings.db_path) as con:  # queued on the writer lock; publishes a read copy
        draft = write_commentary(con, backend, settings, query, story_id=story_id, since=since,
                                 writer=writer, until=until)
    stem = Path(settings.out_dir) / f"commentary-{draft.draft_id}-v{draft.version}"
    md = Path(out_md) if out_md else stem.with_suffix(".md")
    docx = Path(out_docx) if out_docx else md.with_suffix(".docx")
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(render_markdown(draft), encoding="utf-8")
    write_docx(draft, docx)
    return CommentaryOutput(draft, md, docx)


def open_for_search(path: Path | str) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """The store for searching: writable when no other process writes (to refresh the index),
    else a read-only connection to the newest published read copy. Returns (connection,
    writable)."""
    if not is_locked(path):
        try:
            return connect(path), True
        except duckdb.IOException:
            pass  # a writer took it between the check and the open
    copy = latest_snapshot(path)
    if copy is None:
        raise TransientError("the store is being written and has no read copy yet; retry")
    return open_duckdb(copy, read_only=True), False


def run_search(settings: Settings, query: str, since: str | None = None, until: str | None = None,
               countries: tuple[str, ...] = (), sources: tuple[str, ...] = (),
               topics: tuple[str, ...] = (), story_id: str | None = None, limit: int = 20,
               backend=None) -> SearchResult:
    """Hybrid search as the CLI runs it (Chinese terms through the glossary)."""
    if backend is None:
        from nlp.embed import load_backend

        backend = load_backend(settings.nlp)
    cs = settings.commentary
    pq = prepare_query(query, cs.max_query_chars)
    filters = SearchFilters(since=parse_instant(since, settings.timezone),
                            until=parse_instant(until, settings.timezone, end=True),
                            countries=countries, sources=sources, topics=topics, story_id=story_id)
    con, writable = open_for_search(settings.db_path)
    try:
        if writable:
            refresh_search_index(con)
        return search(con, backend, pq.text, filters, limit=limit, min_coverage=cs.min_coverage,
                      min_cosine=cs.min_cosine, synonyms=load_synonyms())
    finally:
        con.close()
