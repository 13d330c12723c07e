"""Page caps are said out loud and settable, and scale with the crawl window: a replay of a
year crawls the year (it used to stop at 2,000 Federal Register documents and 300
presidential actions without a word)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from rich.console import Console

from crawlers.counts import CrawlWindow
from crawlers.crawl import crawl, page_cap
from crawlers.registry import load_registry
from radar.demo import _print_summary

AS_OF = datetime.fromisoformat("2025-04-03T07:00:00+08:00")
YEAR_END = datetime.fromisoformat("2025-12-31T07:00:00+08:00")


def _mirrored(settings, mirror, **crawl):
    return settings.model_copy(update={"crawl": settings.crawl.model_copy(
        update={"host_map": mirror.host_map(), "per_host_delay_s": 0.0, **crawl})})


def test_the_page_cap_grows_with_the_window_and_can_be_set(settings):
    fr = load_registry().get("fr-trade-technology")
    month = CrawlWindow(since=AS_OF - timedelta(days=30), until=AS_OF, replay=True)
    year = CrawlWindow(since=YEAR_END - timedelta(days=365), until=YEAR_END, replay=True)
    assert page_cap(fr, CrawlWindow(), settings.crawl) == fr.max_pages == 20
    assert page_cap(fr, month, settings.crawl) == 20
    assert page_cap(fr, year, settings.crawl) == 244  # 20 pages per 30 days, for 365 days
    tight = settings.crawl.model_copy(update={"max_pages": {"fr-trade-technology": 3}})
    assert page_cap(fr, year, tight) == 3


def test_an_api_crawl_cut_by_its_cap_is_counted_and_recorded(con, settings, mirror):
    tight = _mirrored(settings, mirror, max_pages={"fr-trade-technology": 1})
    window = CrawlWindow(since=AS_OF - timedelta(days=30), until=AS_OF, replay=True)
    counts = crawl(con, tight, load_registry(), ["fr-trade-technology"], window)
    assert counts.by_source["fr-trade-technology"]["capped"] == 1
    assert counts.by_source["fr-trade-technology"]["new"] == 100  # one page of 100
    detail = con.execute("SELECT status, detail FROM source_runs").fetchone()
    assert detail[0] == "ok" and "page cap" in detail[1]


@pytest.mark.slow
def test_a_listing_cut_by_its_cap_is_counted(con, settings, mirror):
    tight = _mirrored(settings, mirror, max_pages={"wh-presidential-actions": 1})
    window = CrawlWindow(since=AS_OF - timedelta(days=30), until=AS_OF, replay=True)
    counts = crawl(con, tight, load_registry(), ["wh-presidential-actions"], window)
    assert counts.by_source["wh-presidential-actions"].get("capped") == 1


def test_the_demo_says_which_sources_were_cut():
    console = Console(record=True, width=200)
    result = {"totals": {k: 0 for k in ("documents", "stories", "sources", "countries",
                                        "languages", "digest_stories", "errors")},
              "timings": {}, "digest": [], "capped": {"fr-trade-technology": 20}}
    _print_summary(console, "2025-12-31", 365, result, 1.0)
    text = console.export_text()
    assert "warning: fr-trade-technology stopped at its cap of 20 pages" in text
    assert "crawl.max_pages_days" in text


@pytest.mark.slow
def test_a_replay_of_a_year_crawls_the_year(tmp_path, settings):
    from replay.mirror import Mirror
    from store.db import connect
    from tests.servers import SNAPSHOT

    mirror = Mirror(SNAPSHOT, YEAR_END).start()
    try:
        year = _mirrored(settings, mirror)
        window = CrawlWindow(since=YEAR_END - timedelta(days=365), until=YEAR_END, replay=True)
        con = connect(tmp_path / "year.duckdb")
        try:
            counts = crawl(con, year, load_registry(),
                           ["fr-trade-technology", "wh-presidential-actions"], window)
            months = con.execute(
                "SELECT source_id, count(DISTINCT date_trunc('month', published_at)) "
                "FROM documents GROUP BY 1").fetchall()
        finally:
            con.close()
    finally:
        mirror.stop()
    fr, wh = counts.by_source["fr-trade-technology"], counts.by_source["wh-presidential-actions"]
    assert "capped" not in fr and "capped" not in wh
    assert fr["new"] > 2000 and wh["new"] > 300  # the old silent cuts
    # every month the snapshot has (its Federal Register part has no May or June 2025)
    assert dict(months) == {"fr-trade-technology": len(_snapshot_months("federal_register")),
                            "wh-presidential-actions": 12}


def _snapshot_months(name: str) -> set[str]:
    import gzip
    import json

    from tests.servers import SNAPSHOT

    with gzip.open(SNAPSHOT / f"{name}.jsonl.gz", "rt", encoding="utf-8") as lines:
        return {str(json.loads(line)["published"])[:7] for line in lines}
