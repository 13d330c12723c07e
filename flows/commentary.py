"""Prefect flow: write one quick-commentary draft on request (Markdown + .docx, stored)."""

from __future__ import annotations

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from commentary.run import run_commentary
from config.settings import load_settings
from flows.common import recorded, retry_options


@task(name="write-commentary", cache_policy=NO_CACHE)
def commentary_task(query: str, story_id: str | None, since: str | None, until: str | None,
                    writer: str | None, out_md: str | None, out_docx: str | None,
                    overrides: dict | None = None) -> dict:
    """Write, store and save one draft; returns its id, version, files and claim-check counts."""
    result = run_commentary(load_settings(**(overrides or {})), query, story_id=story_id,
                            since=since, until=until, writer=writer, out_md=out_md,
                            out_docx=out_docx)
    d = result.draft
    return {"draft_id": d.draft_id, "version": d.version, "markdown": str(result.markdown_path),
            "docx": str(result.docx_path), "sources": len(d.references),
            "timeline": len(d.timeline), "claims_checked": d.check.checked,
            "claims_removed": len(d.check.removed)}


@flow(name="commentary")
def commentary_flow(query: str, story_id: str | None = None, since: str | None = None,
                    until: str | None = None, writer: str | None = None,
                    out_md: str | None = None, out_docx: str | None = None,
                    overrides: dict | None = None) -> dict:
    """A cited 智庫短評 draft on a query or a story.

    Args:
        query: what the comment is about (English or zh-TW).
        story_id: restrict to one story.
        since: earliest document date (YYYY-MM-DD).
        until: latest document date; also the draft's reference date.
        writer: extractive (default) | transformers | openai.
        out_md: Markdown path (default: the out directory).
        out_docx: Word path (default: next to the Markdown).
        overrides: settings overrides.
    """
    settings = load_settings(**(overrides or {}))
    params = {"query": query, "story_id": story_id, "since": since, "until": until,
              "writer": writer}
    with recorded("commentary", settings, params) as counts:
        result = commentary_task.with_options(**retry_options(settings.ops))(
            query, story_id, since, until, writer, out_md, out_docx, overrides)
        counts.update(result)
    return result
