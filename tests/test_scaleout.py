"""Scale-out: enrichment with embeddings fanned out under Prefect's Dask task runner gives the
same results as the in-process enrichment."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from config.settings import load_settings
from store.db import opened
from tests.stored_enrichment import enrichment_rows


@pytest.mark.slow
def test_dask_fanned_out_enrichment_equals_in_process(tmp_path, mirror, prefect_harness):
    from crawlers.crawl import CrawlWindow, crawl
    from crawlers.registry import load_registry
    from flows.enrich import enrich_flow
    from runners.pipeline import run_enrich

    def overrides(name: str) -> dict:
        return {"db_path": str(tmp_path / name / "radar.duckdb"),
                "spool_dir": str(tmp_path / name / "spool"),
                "crawl": {"host_map": mirror.host_map(), "per_host_delay_s": 0.0},
                "ops": {"dask_workers": 2, "partition_size": 16}}

    local, fanned = overrides("local"), overrides("dask")
    settings = load_settings(**local)
    window = CrawlWindow(since=datetime.fromisoformat("2025-03-27T00:00:00+00:00"),
                         until=datetime.fromisoformat("2025-04-03T00:00:00+00:00"), replay=True)
    with opened(settings.db_path) as con:
        crawl(con, settings, load_registry(None), ["fr-trade-technology", "wh-articles-feed"],
              window)
    Path(fanned["db_path"]).parent.mkdir(parents=True)
    shutil.copyfile(local["db_path"], fanned["db_path"])

    in_process = run_enrich(settings)
    counts = enrich_flow(overrides=fanned, fan_out=True)
    ok = in_process["enrich"]["ok"]
    assert ok >= 40
    assert counts["vectors_loaded"] == ok  # every vector came from the Dask workers ...
    assert counts["enrich"]["reused_vectors"] == ok  # ... and the writer computed none itself
    assert not list(Path(fanned["spool_dir"]).glob("enrich-fanout-*"))

    a = enrichment_rows(local["db_path"], vectors=True)
    b = enrichment_rows(fanned["db_path"], vectors=True)
    for key in ("enrichments", "tags", "entities", "near_duplicates", "stories"):
        assert a[key] == b[key], key
    assert a["vectors"].keys() == b["vectors"].keys()
    for doc_id, vec in a["vectors"].items():
        np.testing.assert_allclose(vec, b["vectors"][doc_id], atol=1e-5)
