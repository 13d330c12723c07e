"""Every source kind of the shipped registry, crawled from the loopback mirror (and the CLI)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from typer.testing import CliRunner

from crawlers.crawl import CrawlWindow, crawl
from crawlers.registry import load_registry

AS_OF = datetime.fromisoformat("2025-04-03T07:00:00+08:00")  # 2025-04-02 19:00 in Washington


@pytest.fixture
def mirrored(settings, mirror):
    return settings.model_copy(update={"crawl": settings.crawl.model_copy(
        update={"host_map": mirror.host_map(), "per_host_delay_s": 0.0})})


def _rows(con, sql, params=()):
    return con.execute(sql, list(params)).fetchall()


def test_registry_has_every_kind_served_by_the_mirror(mirror):
    reg = load_registry()
    served = {s.kind for s in reg.enabled() if s.hosts() & set(mirror.host_map())}
    assert served == {"feed", "listing", "api", "sitemap"}


def test_api_agency_search(con, mirrored):
    window = CrawlWindow(since=AS_OF - timedelta(days=14), until=AS_OF, replay=True)
    counts = crawl(con, mirrored, load_registry(), ["fr-bis"], window)
    assert counts.by_source["fr-bis"]["new"] >= 1
    docs = _rows(con, "SELECT title, text, extractor FROM documents WHERE source_id = 'fr-bis'")
    assert all(e == "api:federalregister" for _, _, e in docs)
    assert any("Industry and Security" in t + x or "BIS" in t + x for t, x, _ in docs)


def test_public_inspection_filings_with_pdf_text(con, mirrored, mirror):
    window = CrawlWindow(since=AS_OF - timedelta(days=1), until=AS_OF, replay=True)
    counts = crawl(con, mirrored, load_registry(), ["fr-public-inspection"], window)
    assert counts.by_source["fr-public-inspection"]["new"] >= 2
    rows = _rows(con, "SELECT doc_number, title, text, extractor, published_at, published_offset, "
                      "doc_type, meta FROM documents WHERE source_id = 'fr-public-inspection'")
    for _n, title, text, extractor, published, offset, doc_type, _m in rows:
        assert extractor == "pdf:pypdf" and doc_type == "public-inspection"
        assert title.split()[0] in text  # the PDF's own text, title first
        assert offset == "-04:00" and published <= AS_OF  # filed 08:45 New York, before as-of
    issues = {r[0]: json.loads(r[7])["scheduled_publication"] for r in rows}
    assert set(issues.values()) == {"2025-04-02", "2025-04-03"}  # filed on 1 and 2 April
    assert any(p.endswith(".pdf") for _, p, s in mirror.request_log if s == 200)
    # early warning: the filings for tomorrow's issue are not in the published API yet
    numbers = [n for n, day in issues.items() if day == "2025-04-03"]
    crawl(con, mirrored, load_registry(), ["fr-trade-technology"], window)
    published = {r[0] for r in _rows(con, "SELECT doc_number FROM documents WHERE source_id = "
                                          "'fr-trade-technology'")}
    assert not set(numbers) & published


@pytest.mark.slow
def test_sitemap_fetches_new_pages_once(con, mirrored, mirror):
    window = CrawlWindow(since=AS_OF - timedelta(days=2), until=AS_OF, replay=True)
    reg = load_registry()
    first = crawl(con, mirrored, reg, ["wh-sitemap"], window)
    assert first.by_source["wh-sitemap"]["new"] >= 3
    urls = [r[0] for r in _rows(con, "SELECT url FROM documents WHERE source_id = 'wh-sitemap'")]
    assert all("/presidential-actions/" in u or "/fact-sheets/" in u or "/briefings-statements/" in u
               or "/articles/" in u or "/remarks/" in u or "/research/" in u for u in urls)
    assert _rows(con, "SELECT count(*) FROM page_state WHERE source_id = 'wh-sitemap'")[0][0] == len(urls)
    before = len(mirror.request_log)
    second = crawl(con, mirrored, reg, ["wh-sitemap"], window)
    assert second.by_source.get("wh-sitemap", {}).get("new", 0) == 0
    pages = [p for _, p, _ in mirror.request_log[before:] if not p.endswith(".xml") and "robots" not in p]
    assert pages == []  # nothing changed: only sitemaps were read


def test_sources_without_a_mirrored_host_are_skipped_and_recorded(con, mirrored):
    counts = crawl(con, mirrored, load_registry(), ["oecd-news", "tno-news"], CrawlWindow())
    assert counts.outcomes["not_mirrored"] == 2
    assert _rows(con, "SELECT count(*) FROM fetches")[0][0] == 0
    statuses = {r[0] for r in _rows(con, "SELECT status FROM source_runs")}
    assert statuses == {"skipped"}


@pytest.mark.slow
@pytest.mark.parametrize("source_id", ["wh-articles-feed", "wh-fact-sheets", "fr-trade-technology",
                                       "wh-sitemap"])
def test_cli_crawl_each_kind_against_the_mirror(tmp_path, mirror, monkeypatch, source_id):
    from radar.cli import app

    monkeypatch.setenv("RADAR_DB_PATH", str(tmp_path / "cli.duckdb"))
    monkeypatch.setenv("RADAR_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("RADAR_CRAWL__HOST_MAP", json.dumps(mirror.host_map()))
    monkeypatch.setenv("RADAR_CRAWL__PER_HOST_DELAY_S", "0")
    result = CliRunner().invoke(app, ["crawl", "--source", source_id, "--since", "2025-03-27"])
    assert result.exit_code == 0, result.output
    from store.db import opened

    with opened(tmp_path / "cli.duckdb") as con:
        n = con.execute("SELECT count(*) FROM documents WHERE source_id = ?", [source_id]).fetchone()[0]
        status = con.execute("SELECT status FROM source_runs").fetchone()[0]
    assert n >= 1 and status == "ok"
