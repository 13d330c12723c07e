"""Source health from recorded runs and documents: stale, failing, layout, items per day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from crawlers.health import registry_health, source_health, usual_interval
from crawlers.registry import Registry, Source
from store import documents as db
from store.records import Document

NOW = datetime(2025, 4, 3, 0, 0, tzinfo=UTC)


def _source(sid: str) -> Source:
    return Source(id=sid, name=sid, publisher="p", country="US", language="en", kind="feed",
                  url=f"https://{sid}.example.gov/feed", verified="unverified: test")


def _docs(con, sid: str, times: list[datetime]) -> None:
    for i, t in enumerate(times):
        url = f"https://{sid}.example.gov/{i}"
        db.upsert_document(con, Document(url=url, canonical_url=url, source_id=sid, title=f"t{i}",
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
        db.record_source_run(con, "r1", s.id, NOW - timedelta(hours=1), "ok", 1, 0, 0)
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
        db.record_source_run(con, f"r{i}", s.id, NOW - timedelta(hours=10 - i), status, 0, 0, 1,
                             f"HTTP 503 try {i}")
    h = source_health(con, s, settings.crawl, NOW)
    assert h.consecutive_failures == 3 and "failing" in h.flags and "HTTP 503" in h.note
    db.record_source_run(con, "r9", s.id, NOW, "layout", 0, 0, 1, "no items match 'li.post'")
    h = source_health(con, s, settings.crawl, NOW)
    assert "layout" in h.flags and h.consecutive_failures == 4
    db.record_source_run(con, "r10", s.id, NOW + timedelta(hours=1), "ok", 2, 0, 0)
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
