"""Prefect flow: enrich new/changed documents and assign them to stories."""

from __future__ import annotations

from prefect import flow, task

from radar.pipeline import run_enrich
from radar.settings import load_settings


@task(name="enrich-and-cluster")
def enrich_task(overrides: dict | None = None) -> dict:
    """Enrich pending documents (language, entities, topics, embeddings, near-dups) and cluster."""
    return run_enrich(load_settings(**(overrides or {})))


@flow(name="enrich")
def enrich_flow(overrides: dict | None = None) -> dict:
    """Enrich everything not yet enriched (idempotent).

    Args:
        overrides: settings overrides (e.g. another store path).
    """
    return enrich_task(overrides)
