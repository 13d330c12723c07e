"""Sitemap spider (real Scrapy in a subprocess): new pages, changed pages become new versions."""

from __future__ import annotations

import gzip

import pytest

from crawlers.crawl import CrawlWindow, crawl
from crawlers.registry import load_registry
from tests.servers import HOST, HTML, Route, article_page

pytestmark = pytest.mark.slow


def _urlset(entries: list[tuple[str, str]]) -> bytes:
    rows = "".join(f"<url><loc>https://{HOST}{p}</loc><lastmod>{m}</lastmod></url>" for p, m in entries)
    return ('<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9">{rows}</urlset>').encode()


@pytest.fixture
def site(settings, fault_server, tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        f"  - {{id: sm, name: s, publisher: p, country: NL, language: en, kind: sitemap, "
        f"url: 'https://{HOST}/sitemap_index.xml', sitemap_rules: ['/news/'], "
        "timezone: Europe/Amsterdam, verified: 'unverified: t'}\n")
    index = ('<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             f"<sitemap><loc>https://{HOST}/news.xml.gz</loc><lastmod>2025-04-02</lastmod></sitemap>"
             f"<sitemap><loc>https://{HOST}/old.xml</loc><lastmod>2019-01-01</lastmod></sitemap>"
             "</sitemapindex>").encode()
    fault_server.routes["/sitemap_index.xml"] = Route(200, {"Content-Type": "application/xml"}, index)
    fault_server.routes["/news.xml.gz"] = Route(200, {"Content-Type": "application/x-gzip"}, gzip.compress(
        _urlset([("/news/one", "2025-04-01T09:00:00+02:00"), ("/news/two", "2025-04-02T09:00:00+02:00"),
                 ("/about/team", "2025-04-02T09:00:00+02:00"), ("/news/ancient", "2020-01-01")])))
    fault_server.routes["/news/one"] = Route(200, HTML, article_page("Innovation credit v1", "First text."))
    fault_server.routes["/news/two"] = Route(200, HTML, article_page("Quantum programme", "Funding."))
    cfg = settings.crawl.model_copy(update={"host_map": {HOST: fault_server.base}})
    return settings.model_copy(update={"crawl": cfg}), fault_server, load_registry(path)


def test_changed_page_becomes_a_new_version_not_a_duplicate(con, site):
    settings, fs, reg = site
    window = CrawlWindow(since=CrawlWindow().first_seen(None).replace(year=2025, month=3, day=1))
    first = crawl(con, settings, reg, None, window)
    assert first.by_source["sm"]["new"] == 2
    hits = [p for p, _ in fs.hits]
    assert "/old.xml" not in hits and "/about/team" not in hits and "/news/ancient" not in hits

    # the site edits /news/one and says so in its sitemap
    fs.routes["/news.xml.gz"].body = gzip.compress(_urlset([
        ("/news/one", "2025-04-03T12:00:00+02:00"), ("/news/two", "2025-04-02T09:00:00+02:00")]))
    fs.routes["/news/one"] = Route(200, HTML, article_page("Innovation credit v2", "Amended text."))
    fs.hits.clear()
    second = crawl(con, settings, reg, None, window)
    assert second.by_source["sm"]["updated"] == 1
    assert "/news/two" not in [p for p, _ in fs.hits]  # unchanged lastmod: not fetched again
    rows = con.execute("SELECT id, version, title FROM documents WHERE url LIKE '%/news/one'").fetchall()
    assert len(rows) == 1 and rows[0][1] == 2 and rows[0][2] == "Innovation credit v2"
    versions = con.execute("SELECT version, title FROM document_versions WHERE doc_id = ? "
                           "ORDER BY version", [rows[0][0]]).fetchall()
    assert versions == [(1, "Innovation credit v1"), (2, "Innovation credit v2")]
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 2


def test_broken_sitemap_is_recorded_and_flags_the_source(con, site):
    settings, fs, reg = site
    fs.routes["/sitemap_index.xml"] = Route(200, HTML, b"<html><body>Maintenance</body></html>")
    counts = crawl(con, settings, reg, None, CrawlWindow())
    assert counts.by_source["sm"]["layout_error"] == 1
    reason = con.execute("SELECT reason FROM item_errors").fetchone()[0]
    assert "sitemap" in reason
