"""radar/models_runner.py: `radar serve`'s runner takes two scheduled polls of a crawl deployment,
runs both in its one process with enrichment after each, and loads the models once for both."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from uuid import uuid4

AS_OF = datetime.fromisoformat("2025-04-03T07:00:00+08:00")  # the mirror fixture's instant


def test_two_polls_in_one_runner_load_the_models_once(prefect_harness, settings, mirror,
                                                      monkeypatch):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    from nlp.enrich import Models
    from radar.models_runner import serve_runs
    from store.db import open_reader

    real_load = Models.load.__func__
    loads = []

    def counted_load(cls, nlp_settings, backend=None):  # the real loader, counted
        loads.append(nlp_settings)
        return real_load(cls, nlp_settings, backend)

    monkeypatch.setattr(Models, "load", classmethod(counted_load))
    pool = f"models-test-{uuid4().hex[:8]}"
    runner_settings = settings.model_copy(update={"serve": settings.serve.model_copy(
        update={"work_pool": pool, "runner_poll_s": 0.5})})
    overrides = {"db_path": str(settings.db_path), "spool_dir": str(settings.spool_dir),
                 "out_dir": str(settings.out_dir),
                 "crawl": {"host_map": mirror.host_map(), "per_host_delay_s": 0.0}}
    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=pool, type="process"))
        client.create_work_queue("models", work_pool_name=pool)
        deployment = client.create_deployment(
            flow_id=client.create_flow_from_name("crawl"), name=f"feeds-{pool}",
            work_pool_name=pool, work_queue_name="models", entrypoint="flows/crawl.py:crawl_flow")
        runs = [client.create_flow_run_from_deployment(deployment, parameters={
            "source_ids": ["wh-articles-feed"], "replay": True, "enrich_after": True,
            "since": (AS_OF - timedelta(days=days)).isoformat(),
            "until": (AS_OF - timedelta(days=days - 1)).isoformat(), "overrides": overrides})
            for days in (2, 1)]

        deadline = time.monotonic() + 900

        def both_final() -> bool:
            states = [client.read_flow_run(r.id).state for r in runs]
            return all(s.is_final() for s in states) or time.monotonic() > deadline

        ran = serve_runs(runner_settings, both_final, worker_name="test-runner")
        states = [client.read_flow_run(r.id).state.name for r in runs]
    assert states == ["Completed", "Completed"] and ran == 2
    assert len(loads) == 1, f"models loaded {len(loads)} times for two polls"
    with open_reader(settings.db_path) as con:
        docs, members = con.execute(
            "SELECT count(*), count(m.doc_id) FROM documents d "
            "LEFT JOIN story_members m ON m.doc_id = d.id").fetchone()
        enrich_runs = con.execute(
            "SELECT count(*) FROM flow_runs WHERE flow = 'enrich' AND status = 'ok'").fetchone()[0]
    assert docs > 0 and members == docs  # every crawled document was enriched into a story
    assert enrich_runs == 2


def test_a_run_with_other_nlp_settings_gets_no_models(settings):
    from prefect.client.schemas.objects import FlowRun

    from radar.models_runner import run_parameters

    held = object()
    same = FlowRun(flow_id=uuid4(), parameters={"overrides": {"db_path": "x.duckdb"}})
    other = FlowRun(flow_id=uuid4(), parameters={
        "overrides": {"nlp": {"neardup_threshold": settings.nlp.neardup_threshold / 2}}})
    assert run_parameters(same, held, settings)["models"] is held
    assert run_parameters(other, held, settings)["models"] is None
    assert run_parameters(other, held, settings)["overrides"] == other.parameters["overrides"]
