"""What every flow shares: transient-only retries, per-host tags and the flow-run record.

Tasks receive ids, paths and plain settings overrides (which pickle), never clients or
connections; each task opens the store for its stage and closes it. The one exception is the
enrichment models that `radar serve`'s runner loads once and hands down (radar/models_runner.py):
that task runs in the flow's own process, never under a task runner that pickles.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from prefect.tasks import exponential_backoff

from config.errors import TransientError
from config.settings import OpsSettings, Settings
from store.runs import finish_flow_run, start_flow_run
from store.snapshot import writing

log = logging.getLogger(__name__)


def _exception(state) -> BaseException | None:
    data = getattr(state, "data", None)
    if isinstance(data, BaseException):
        return data
    try:
        result = state.result(raise_on_failure=False)
    except Exception as exc:  # the result could not be read back: judge by that error
        return exc
    return result if isinstance(result, BaseException) else None


def is_transient(exc: BaseException | None) -> bool:
    """Worth retrying: our TransientError, or DuckDB's lock conflict from a foreign writer."""
    if isinstance(exc, TransientError):
        return True
    import duckdb

    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def transient_only(task, task_run, state) -> bool:
    """Prefect retry condition: retry a failed task only when its error is transient."""
    return is_transient(_exception(state))


def retry_options(ops: OpsSettings) -> dict:
    """Task options for transient-only retries with exponential backoff."""
    return {"retries": ops.task_retries,
            "retry_delay_seconds": exponential_backoff(ops.retry_delay_s)(ops.task_retries)
            if ops.task_retries else 0,
            "retry_condition_fn": transient_only}


def host_tags(hosts: set[str]) -> list[str]:
    """Task tags that put a crawl under the per-host concurrency limits (``host:<name>``)."""
    return sorted(f"host:{h}" for h in hosts)


def _runtime() -> tuple[str, str | None, str | None]:
    """(flow-run id, parent flow-run id, deployment name) from Prefect's runtime."""
    import uuid

    from prefect.runtime import deployment, flow_run

    run_id = flow_run.id or f"local-{uuid.uuid4()}"
    try:
        parent = flow_run.parent_flow_run_id
    except Exception:  # no API to ask: a flow called outside Prefect's engine
        parent = None
    return run_id, parent, deployment.name


@contextmanager
def recorded(flow: str, settings: Settings, parameters: dict) -> Iterator[dict]:
    """Record this flow run in the store (running, then ok or failed with the error).

    The caller fills the yielded dict with its counts. A top-level run publishes a read copy
    at its start and end so `radar status` sees it; a subflow's record rides on the next one.
    """
    run_id, parent, deployment = _runtime()
    publish = parent is None
    with writing(settings.db_path, f"flow {flow}", publish=publish) as con:
        start_flow_run(con, run_id, flow, deployment, parent, parameters)
    counts: dict = {}
    try:
        yield counts
    except BaseException as exc:
        try:
            with writing(settings.db_path, f"flow {flow}", publish=publish) as con:
                finish_flow_run(con, run_id, counts, f"{type(exc).__name__}: {exc}")
        except Exception:  # the store itself failed (full disk): Prefect still has the run
            log.exception("could not record the failure of flow run %s", run_id)
        raise
    with writing(settings.db_path, f"flow {flow}", publish=publish) as con:
        finish_flow_run(con, run_id, counts)
