"""The model-holding runner of `radar serve`: one long-lived process that takes the flow runs of
the deployments that enrich (work queue ``serve.models_queue``: crawl-feeds, enrich) from the
Prefect server and runs them in itself, one at a time.

The Prefect process worker starts a fresh Python for every flow run, so every poll of the feeds
loaded spaCy, MiniLM and the multilingual encoder again (minutes on a busy machine) before
enriching the one or two new documents. This process loads them once (``Models.load``) and
hands the same object down to every run: flow parameter ``models`` -> the enrich subflow -> its
task -> ``runners.pipeline.run_enrich``. A run whose settings overrides name other NLP settings
gets no models (it loads its own), so what enrichment produces does not depend on the runner.
Changing the NLP settings of the serving config needs a `radar stop` / `radar serve`.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime

from config.settings import Settings, load_settings

log = logging.getLogger(__name__)


def runnable_flows() -> dict:
    """The flows this runner runs, by Prefect flow name (the models queue's deployments)."""
    from flows.crawl import crawl_flow
    from flows.enrich import enrich_flow

    return {"crawl": crawl_flow, "enrich": enrich_flow}


def run_parameters(flow_run, models, settings: Settings) -> dict:
    """The run's parameters plus ``models``, when the run's NLP settings are the runner's."""
    params = dict(flow_run.parameters or {})
    run_settings = load_settings(**(params.get("overrides") or {}))
    params["models"] = models if run_settings.nlp == settings.nlp else None
    return params


def execute(client, flow_run, flows: dict, models, settings: Settings) -> str:
    """Claim one scheduled flow run (Pending) and run it in this process; returns its state name.

    A run another worker claimed first, or of a flow this runner does not know, is not run.
    """
    from prefect.exceptions import Abort
    from prefect.flow_engine import run_flow
    from prefect.states import Failed, Pending
    from prefect.utilities.engine import propose_state_sync

    name = client.read_flow(flow_run.flow_id).name
    flow = flows.get(name)
    if flow is None:
        client.set_flow_run_state(flow_run.id, Failed(
            message=f"the models runner runs only {sorted(flows)}, not flow {name!r}"), force=True)
        return "Failed"
    try:
        claimed = propose_state_sync(client, Pending(), flow_run_id=flow_run.id)
    except Abort:
        return "skipped"
    if not claimed.is_pending():
        return claimed.name or "skipped"
    run = client.read_flow_run(flow_run.id)
    state = run_flow(flow, flow_run=run, parameters=run_parameters(run, models, settings),
                     return_type="state")
    return state.name


def serve_runs(settings: Settings, stop_when: Callable[[], bool],
               worker_name: str | None = None) -> int:
    """Load the enrichment models once, then run the models queue's flow runs until told to stop.

    Args:
        settings: the serving settings (store paths, ``nlp`` the models load from, ``serve``).
        stop_when: asked between runs and polls; True ends the loop.
        worker_name: the name this runner heartbeats to the work pool as.

    Returns:
        How many flow runs it ran.
    """
    from prefect.client.orchestration import get_client

    from nlp.enrich import Models

    t0 = time.perf_counter()
    models = Models.load(settings.nlp)
    log.info("models loaded in %.1f s; taking runs of %s/%s", time.perf_counter() - t0,
             settings.serve.work_pool, settings.serve.models_queue)
    flows = runnable_flows()
    name = worker_name or f"radar-models-{os.uname().nodename}"
    heartbeat_s = max(1, math.ceil(settings.serve.runner_poll_s))  # the API takes whole seconds
    ran = 0
    with get_client(sync_client=True) as client:
        while not stop_when():
            client.send_worker_heartbeat(settings.serve.work_pool, name,
                                         heartbeat_interval_seconds=heartbeat_s)
            due = client.get_scheduled_flow_runs_for_work_pool(
                settings.serve.work_pool, work_queue_names=[settings.serve.models_queue],
                scheduled_before=datetime.now(UTC))
            due.sort(key=lambda r: r.flow_run.next_scheduled_start_time or datetime.now(UTC))
            for item in due:
                if stop_when():
                    break
                try:
                    state = execute(client, item.flow_run, flows, models, settings)
                except Exception:  # one broken run must not end the service
                    log.exception("flow run %s could not be run", item.flow_run.id)
                    continue
                ran += 1
                log.info("flow run %s (%s): %s", item.flow_run.name, item.flow_run.id, state)
            if not due:
                time.sleep(settings.serve.runner_poll_s)
    return ran


def main() -> None:
    """`python -m radar.models_runner`: the runner service `radar serve` starts and supervises."""
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not one line per API poll
    stopping = {"flag": False}

    def _stop(signum, frame):
        if stopping["flag"]:  # the second signal: stop now, even in the middle of a run
            raise SystemExit(128 + signum)
        stopping["flag"] = True  # the first: finish the current run, then stop

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _stop)
    serve_runs(load_settings(), lambda: stopping["flag"])


if __name__ == "__main__":
    main()
