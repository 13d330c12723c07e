"""Stage callers shared by the CLI, the Prefect flows and the demo: open the store, load what a
stage needs, call the stage's plain functions, return plain counts and paths."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from config.pause_points import pause_point
from config.settings import Settings
from store.db import opened
from store.fulltext import refresh_search_index
from store.runs import stage
from store.snapshot import write_error


def local_today(settings: Settings) -> date:
    """Today's date in the digest time zone."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


def run_enrich(settings: Settings, console=None, vector_files: list[Path] | None = None,
               redo: bool = False, models=None) -> dict:
    """Enrich pending documents, assign them to stories, record the stories' measure events
    and refresh the search index.

    The store is held (writer lock) for the stage; models load before it is taken, unless
    the caller holds them loaded already (`radar serve`'s runner, radar/models_runner.py).

    Args:
        settings: loaded settings.
        console: unused; kept for the CLI's call.
        vector_files: Parquet files of precomputed vectors (fanned-out enrichment) to load
            first; the enrichment reuses them.
        redo: also re-enrich documents an older enrichment pipeline version made.
        models: ``nlp.enrich.Models`` loaded from ``settings.nlp``; None: load them here.

    Returns:
        The counts per part.
    """
    from nlp.enrich import Models, assign_stories, enrich_documents
    from nlp.lifecycle_stage import record_story_events

    models = models if models is not None else Models.load(settings.nlp)
    with opened(settings.db_path) as con:
        with stage(con, "enrich") as run:
            loaded = _load_vectors(con, vector_files)
            enriched = enrich_documents(con, models, settings.nlp, redo=redo)
            clustered = assign_stories(con, models, settings.nlp)
            lifecycle = record_story_events(con)  # measure events of stories that changed
            indexed = _refresh_index(con)
            run.counts = {"enrich": _plain(enriched), "cluster": _plain(clustered),
                          "lifecycle": _plain(lifecycle), "search_index_rebuilt": indexed}
            if vector_files is not None:
                run.counts["vectors_loaded"] = loaded
    return run.counts


def _load_vectors(con, files: list[Path] | None) -> int:
    if not files:
        return 0
    from runners.fanout import merge

    return merge(con, files)


def _refresh_index(con) -> bool:
    """Rebuild the BM25 index when documents changed, so read copies carry a fresh one."""
    import logging


    try:
        return refresh_search_index(con)
    except Exception as exc:  # search degrades to embeddings only; the enrichment stands
        if isinstance(exc, OSError) and write_error(exc, "store"):
            raise
        logging.getLogger(__name__).warning("search index not refreshed: %s", exc)
        return False


def _plain(counts: object) -> dict:
    return dict(counts.__dict__) if hasattr(counts, "__dict__") else dict(counts)


def run_digest(settings: Settings, date: str | None = None, profile: str | None = None,
               lang: str | None = None) -> list[Path]:
    """Build and store one digest, then deliver it (files, Atom feed, email when configured).

    Returns:
        The written file paths (HTML, Markdown, JSON, Atom).
    """
    from briefs.deliver import deliver
    from briefs.digest import build_digest
    from briefs.generate import load_generator
    from nlp.embed import load_backend
    from nlp.topics import load_taxonomy

    day = datetime.strptime(date, "%Y-%m-%d").date() if date else local_today(settings)
    backend = load_backend(settings.nlp)
    taxonomy = load_taxonomy()
    generator = load_generator(settings.digest.generative)
    with opened(settings.db_path) as con:
        with stage(con, "digest") as run:
            digest = build_digest(con, backend, taxonomy, settings, day, profile, lang,
                                  generator=generator)
            pause_point("digest-stored")  # kill tests stop a digest stored but not delivered
            report = deliver(con, digest.id, settings)
            run.counts = {
                "stories": sum(len(s.stories) for s in digest.sections),
                "files": [str(p) for p in report.files], "email_sent": report.email_sent,
                "email_error": report.error,
            }
    return list(report.files)
