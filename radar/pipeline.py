"""Stage callers shared by the CLI, the Prefect flows and the demo: open the store, load what a
stage needs, call the stage's plain functions, return plain counts and paths."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from radar.settings import Settings
from store.db import opened


def local_today(settings: Settings) -> date:
    """Today's date in the digest time zone."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


def run_enrich(settings: Settings, console=None) -> dict:
    """Enrich pending documents and assign them to stories; returns the counts."""
    from nlp.enrich import Models, assign_stories, enrich_documents
    from store.documents import finish_run, start_run

    models = Models.load(settings.nlp)
    with opened(settings.db_path) as con:
        run_id = start_run(con, "enrich")
        try:
            enriched = enrich_documents(con, models, settings.nlp)
            clustered = assign_stories(con, models, settings.nlp)
        except Exception as exc:
            finish_run(con, run_id, {}, f"{type(exc).__name__}: {exc}")
            raise
        counts = {"enrich": _plain(enriched), "cluster": _plain(clustered)}
        finish_run(con, run_id, counts)
    return counts


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
    from store.documents import finish_run, start_run

    day = datetime.strptime(date, "%Y-%m-%d").date() if date else local_today(settings)
    backend = load_backend(settings.nlp)
    taxonomy = load_taxonomy()
    generator = load_generator(settings.digest.generative)
    with opened(settings.db_path) as con:
        run_id = start_run(con, "digest")
        try:
            digest = build_digest(con, backend, taxonomy, settings, day, profile, lang,
                                  generator=generator)
            report = deliver(con, digest.id, settings)
        except Exception as exc:
            finish_run(con, run_id, {}, f"{type(exc).__name__}: {exc}")
            raise
        finish_run(con, run_id, {
            "stories": sum(len(s.stories) for s in digest.sections),
            "files": [str(p) for p in report.files], "email_sent": report.email_sent,
            "email_error": report.error,
        })
    return list(report.files)
