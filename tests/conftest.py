"""Shared fixtures: a tmp DuckDB store, settings, the loopback mirror, a fault-injecting server.

The servers and page builders themselves live in tests/servers.py (importable by tests)."""

from __future__ import annotations

import os
from datetime import datetime

import pytest

from tests.scheduling import idle_first_scheduler, order_for_workers
from tests.servers import ROOT, SNAPSHOT, FaultServer

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str(ROOT / ".prefect"))
if os.environ.get("PYTEST_XDIST_WORKER"):
    # each xdist worker's flows get their own temporary Prefect server database
    os.environ["PREFECT_HOME"] = os.path.join(os.environ["PREFECT_HOME"],
                                              os.environ["PYTEST_XDIST_WORKER"])
    os.makedirs(os.environ["PREFECT_HOME"], exist_ok=True)  # Prefect makes only the last level
    # Two workers on 2 cores: one BLAS/OpenMP thread each (torch, numpy, and the flows'
    # subprocesses, which inherit it). With torch's default of a thread per core the two
    # workers' threads spin against each other: a SmolLM2 generation took 2-6x the CPU
    # (docs/performance.md, "Test suite time"). Set before anything imports torch or numpy.
    for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_var, "1")
# A flow with no server starts a temporary one; on a loaded 2-core machine that took longer
# than Prefect's 20 s default and a crawl subprocess died before it began (test_faults).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (tests/scheduling.py)
def pytest_collection_modifyitems(config, items):
    if getattr(config.option, "loadgroup", False):  # set in an xdist worker by --dist loadgroup
        order_for_workers(items)


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist, called on the controller
def pytest_xdist_make_scheduler(config, log):
    return idle_first_scheduler(config) if config.getoption("dist") == "loadgroup" else None


@pytest.fixture
def settings(tmp_path):
    """Settings pointing at a fresh store and spool in tmp_path, with no politeness delay."""
    from config.settings import load_settings

    return load_settings(db_path=tmp_path / "radar.duckdb", spool_dir=tmp_path / "spool",
                         out_dir=tmp_path / "out", crawl={"per_host_delay_s": 0.0})


@pytest.fixture
def con(settings):
    """A real, migrated DuckDB file in tmp_path."""
    from store.db import connect

    c = connect(settings.db_path)
    yield c
    c.close()


@pytest.fixture(scope="session")
def nlp_models():
    """`Models.load(NlpSettings())` (the defaults, which are also config/defaults.toml's), once
    per worker for the tests that only read the models: the English and French spaCy pipelines
    with the gazetteer, MiniLM, USE, the taxonomy and the language identifiers took 4-6 s CPU
    per load, and 6 test modules loaded them. Enrichment does not change a Models."""
    from config.settings import NlpSettings
    from nlp.enrich_models import Models

    return Models.load(NlpSettings())


@pytest.fixture(scope="session")
def mirror():
    """The loopback mirror over the bundled snapshot, as of the demo date's morning."""
    from replay.mirror import Mirror

    m = Mirror(SNAPSHOT, datetime.fromisoformat("2025-04-03T07:00:00+08:00")).start()
    yield m
    m.stop()


@pytest.fixture
def fault_server():
    """A fresh fault-injecting loopback server."""
    s = FaultServer()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server/database for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield



@pytest.fixture(scope="session")
def demo_run(tmp_path_factory, prefect_harness):
    """One demo run through the real flows (the 3 days before 2025-04-03, the follow-up
    morning a week later, the draft), shared by the tests that only read what it stored (the
    demo-morning relevance gate) and the demo test, which then runs it again for idempotence.
    Under xdist they are one work unit (tests/scheduling.py), so it runs once.
    Returns (settings, run_demo's result)."""
    from config.settings import load_settings
    from radar.demo import run_demo

    base = tmp_path_factory.mktemp("demo")
    settings = load_settings(db_path=base / "radar.duckdb", spool_dir=base / "spool",
                             out_dir=base / "out", crawl={"per_host_delay_s": 0.0})
    return settings, run_demo(settings, date="2025-04-03", days=3)
