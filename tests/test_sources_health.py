"""Source health from recorded runs and documents: stale, failing, layout, items per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawlers.health import registry_health, source_health, usual_interval
from crawlers.registry import Registry, Source
from store.documents import upsert_document
from store.records import Document
from store.runs import finish_run, record_source_run, start_run

NOW = datetime(2025, 4, 3, 0, 0, tzinfo=UTC)


def _source(sid: str) -> Source:
    return Source(id=sid, name=sid, publisher="p", country="US", language="en", kind="feed",
                  url=f"https://{sid}.example.gov/feed", verified="unverified: test")


def _docs(con, sid: str, times: list[datetime]) -> None:
    for i, t in enumerate(times):
        url = f"https://{sid}.example.gov/{i}"
        upsert_document(con, Document(url=url, canonical_url=url, source_id=sid, title=f"t{i}",
                                         text="x", published_at=t, first_seen_at=t))


def test_usual_interval_is_the_median_gap():
    t = [NOW - timedelta(hours=h) for h in (0, 24, 48, 72, 200)]
    assert usual_interval(t) == timedelta(hours=24)
    assert usual_interval(t[:2]) is None


def test_daily_source_silent_for_a_week_is_stale_and_busy_one_is_not(con, settings):
    daily = _source("daily")
    _docs(con, "daily", [NOW - timedelta(days=8 + d) for d in range(10)])
    fresh = _source("fresh")
    _docs(con, "fresh", [NOW - timedelta(hours=6 * d + 1) for d in range(10)])
    for s in (daily, fresh):
        record_source_run(con, "r1", s.id, NOW - timedelta(hours=1), "ok", 1, 0, 0)
    rows = {h.source_id: h for h in registry_health(con, Registry(sources=[daily, fresh]),
                                                    settings.crawl, NOW)}
    assert "stale" in rows["daily"].flags  # 8 days > 5 x 1 day
    assert rows["fresh"].flags == ()
    assert abs(rows["fresh"].items_per_day - 10 / 30) < 1e-9
    assert rows["fresh"].last_success is not None and rows["fresh"].usual_interval_h == 6.0


def test_consecutive_failures_and_layout_flags(con, settings):
    s = _source("flaky")
    statuses = ["ok", "failed", "failed", "failed"]
    for i, status in enumerate(statuses):
        record_source_run(con, f"r{i}", s.id, NOW - timedelta(hours=10 - i), status, 0, 0, 1,
                             f"HTTP 503 try {i}")
    h = source_health(con, s, settings.crawl, NOW)
    assert h.consecutive_failures == 3 and "failing" in h.flags and "HTTP 503" in h.note
    record_source_run(con, "r9", s.id, NOW, "layout", 0, 0, 1, "no items match 'li.post'")
    h = source_health(con, s, settings.crawl, NOW)
    assert "layout" in h.flags and h.consecutive_failures == 4
    record_source_run(con, "r10", s.id, NOW + timedelta(hours=1), "ok", 2, 0, 0)
    assert source_health(con, s, settings.crawl, NOW).flags == ()


def test_never_crawled(con, settings):
    assert source_health(con, _source("new"), settings.crawl, NOW).flags == ("never-crawled",)


def test_cli_health_table(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from radar.cli import app

    monkeypatch.setenv("RADAR_DB_PATH", str(tmp_path / "h.duckdb"))
    result = CliRunner().invoke(app, ["sources", "health", "--as-of", "2025-04-03T00:00:00Z"])
    assert result.exit_code == 0, result.output
    assert "wh-presidential-actions" in result.output and "never-crawled" in result.output
    wto = next(line for line in result.output.splitlines() if "wto-news" in line)
    assert "unavailable" in wto and "robots.txt" in wto  # known before any crawl, with why


def _replayed_crawl(con, until: datetime, counts: dict | None = None) -> str:
    """A crawl run as the demo's replay records it."""
    from crawlers.counts import CrawlWindow

    run_id = start_run(con, "crawl")
    window = CrawlWindow(since=until - timedelta(days=30), until=until, replay=True)
    finish_run(con, run_id, {**(counts or {}), **window.clock()})
    return run_id


def test_a_replayed_store_is_judged_at_its_replayed_clock_not_today(con, settings):
    busy = _source("busy")
    _docs(con, "busy", [NOW - timedelta(hours=12 * d + 2) for d in range(40)])
    run_id = _replayed_crawl(con, NOW, {"sources": {"busy": {"new": 40}}})
    record_source_run(con, run_id, "busy", datetime.now(UTC), "ok", 40, 0, 0)
    (h,) = registry_health(con, Registry(sources=[busy]), settings.crawl)
    assert h.flags == () and h.items_per_day > 1.0  # was: stale, 0.00 a day
    today = datetime.now(UTC)
    assert "stale" in source_health(con, busy, settings.crawl, today).flags  # by today's clock


def test_a_live_crawl_is_judged_by_the_wall_clock(con, settings):
    from crawlers.health import health_clock

    run_id = start_run(con, "crawl")
    finish_run(con, run_id, {"sources": {}})
    assert abs((health_clock(con) - datetime.now(UTC)).total_seconds()) < 60
    assert health_clock(con, NOW) == NOW


def test_a_source_that_brought_nothing_is_not_green_and_one_whose_items_another_stored_says_so(
        con, settings):
    agency, idle = _source("fr-agency"), _source("fr-idle")
    run_id = _replayed_crawl(con, NOW, {"sources": {"fr-agency": {"unchanged": 4}}})
    for s in (agency, idle):
        record_source_run(con, run_id, s.id, datetime.now(UTC), "ok", 0, 0, 0)
    rows = {h.source_id: h for h in registry_health(con, Registry(sources=[agency, idle]),
                                                    settings.crawl)}
    assert rows["fr-idle"].flags == ("empty",) and rows["fr-idle"].seen_last_run == 0
    assert rows["fr-agency"].flags == () and rows["fr-agency"].seen_last_run == 4
    assert "already stored under another source" in rows["fr-agency"].note


def test_the_sources_page_labels_its_counts_and_its_clock(con, settings):
    from types import SimpleNamespace

    from web.i18n import ui_strings
    from web.render import make_environment

    rows = [SimpleNamespace(source_id=f"s{i}", kind="feed", last_success=None,
                            last_new_item=None, consecutive_failures=0, items_per_day=0.5,
                            seen_last_run=3, flags=flags, note="")
            for i, flags in enumerate([("stale",), ("never-crawled",), ("never-crawled",), ()])]
    html = make_environment("Asia/Taipei").get_template("sources.html.j2").render(
        t=ui_strings("zh-TW"), lang="zh-TW", reading="zh", user="u", csrf="c", path="/",
        nav="sources", rows=rows, names={}, countries={}, clock=NOW, replayed=True,
        flagged=1, never=2)
    assert "1 個需注意、1 個正常、2 個尚未抓取（共 4 個來源）" in html
    assert "判斷時點 2025-04-03 08:00" in html and "重播資料" in html
    assert "上次抓到件數" in html and "<td class=\"num\">3</td>" in html
