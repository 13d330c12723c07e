"""Prefect flow: enrich new/changed documents, assign them to stories, then send alerts.

With ``fan_out`` (or ``ops.task_runner = "dask"``) the heavy part, embeddings, is computed by
partition tasks under Prefect's Dask task runner (a local cluster, or the scheduler at
``ops.dask_address`` whose workers may run on other machines); the writer then loads their
Parquet files and runs the enrichment, which reuses those vectors.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from config.settings import Settings, load_settings
from flows.common import recorded, retry_options
from runners.pipeline import run_enrich


@task(name="embed-partition", cache_policy=NO_CACHE)
def embed_partition_task(frozen: str, doc_ids: list[str], out_dir: str,
                         overrides: dict | None = None) -> str:
    """Vectors for one partition of documents, from a frozen read copy, to a Parquet file.

    Idempotent by file name (model + content hashes): a retried or repeated task finds its
    file. Reads no writable store, so any number run at once, on any machine that sees the
    paths.
    """
    from runners.fanout import embed_partition

    settings = load_settings(**(overrides or {}))
    return str(embed_partition(settings.nlp, Path(frozen), doc_ids, Path(out_dir)))


@flow(name="embed-fanout")
def embed_fanout_flow(frozen: str, partitions: list[list[str]], out_dir: str,
                      overrides: dict | None = None) -> list[str]:
    """Submit one embedding task per partition to the flow's task runner; returns the files."""
    futures = [embed_partition_task.submit(frozen, ids, out_dir, overrides) for ids in partitions]
    return [f.result() for f in futures]


def dask_runner(settings: Settings):
    """Prefect's Dask task runner: the configured scheduler, or a local cluster of processes."""
    from prefect_dask import DaskTaskRunner

    if settings.ops.dask_address:
        return DaskTaskRunner(address=settings.ops.dask_address)
    return DaskTaskRunner(cluster_kwargs={"n_workers": settings.ops.dask_workers,
                                          "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None})


def fan_out_vectors(settings: Settings, overrides: dict | None, work_dir: Path) -> list[Path]:
    """Plan partitions over a frozen read copy and embed them under the Dask task runner."""
    from runners.fanout import plan

    frozen, partitions = plan(settings, work_dir)
    if not partitions:
        return []
    runner = embed_fanout_flow.with_options(task_runner=dask_runner(settings))
    files = runner(str(frozen), partitions, str(work_dir), overrides)
    return [Path(f) for f in files]


@task(name="enrich-and-cluster", cache_policy=NO_CACHE)
def enrich_task(overrides: dict | None = None, vector_files: list[str] | None = None,
                models: object | None = None) -> dict:
    """Enrich pending documents (language, entities, topics, embeddings, near-dups) and cluster.

    ``models`` (loaded ``nlp.enrich.Models``) comes only from the flow's own process (the
    runner of `radar serve`); the task runs in that process, so the object is never pickled.
    """
    files = [Path(f) for f in vector_files] if vector_files is not None else None
    return run_enrich(load_settings(**(overrides or {})), vector_files=files, models=models)


@task(name="send-alerts", cache_policy=NO_CACHE)
def alerts_task(overrides: dict | None = None, now: str | None = None) -> dict:
    """Match new documents against the watchlists and notify (once per story)."""
    from datetime import datetime

    from alerts.run import run_alerts

    at = datetime.fromisoformat(now) if now else None
    return dict(run_alerts(load_settings(**(overrides or {})), now=at).__dict__)


@flow(name="enrich")
def enrich_flow(overrides: dict | None = None, fan_out: bool | None = None,
                alerts: bool = True, models: object | None = None) -> dict:
    """Enrich everything not yet enriched (idempotent), then send alerts for new stories.

    Args:
        overrides: settings overrides (e.g. another store path).
        fan_out: compute embeddings under the Dask task runner first; default
            ``ops.task_runner == "dask"``.
        alerts: run the alerts pass afterwards (when watchlists are configured).
        models: ``nlp.enrich.Models`` already loaded for these settings' ``nlp`` (the runner
            of `radar serve` passes its own, radar/models_runner.py); None: the task loads them.
            Not a deployment parameter: an object in this process, recorded as its type name.
    """
    settings = load_settings(**(overrides or {}))
    fan_out = settings.ops.task_runner == "dask" if fan_out is None else fan_out
    with recorded("enrich", settings, {"fan_out": fan_out, "alerts": alerts}) as counts:
        opts = retry_options(settings.ops)
        files = None
        work_dir = Path(settings.spool_dir) / f"enrich-fanout-{uuid.uuid4().hex[:12]}"
        if fan_out:
            files = [str(f) for f in fan_out_vectors(settings, overrides, work_dir)]
        counts.update(enrich_task.with_options(**opts)(overrides, files, models))
        if fan_out:
            shutil.rmtree(work_dir, ignore_errors=True)
        if alerts and settings.alerts.watch:
            counts["alerts"] = alerts_task.with_options(**opts)(overrides)
    return counts
