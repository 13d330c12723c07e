"""The Scrapy listing spider (real Scrapy in a subprocess) against a fault-injecting server."""

from __future__ import annotations

import pytest

from crawlers.crawl import CrawlWindow, crawl
from crawlers.health import source_health
from crawlers.registry import load_registry
from tests.servers import HOST, HTML, Route, article_page, rss_feed

pytestmark = pytest.mark.slow


def _listing(paths: list[str], next_page: str | None = None) -> bytes:
    cards = "".join(f'<li class="post"><h2><a href="https://{HOST}{p}">T {p}</a></h2>'
                    '<time datetime="2025-04-02T10:00:00-04:00">April 2</time></li>' for p in paths)
    nxt = f'<a class="next" href="https://{HOST}{next_page}">Next</a>' if next_page else ""
    return f"<html><body><ul>{cards}</ul>{nxt}</body></html>".encode()


@pytest.fixture
def listing_site(settings, fault_server, tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(
        "sources:\n"
        f"  - {{id: lst, name: l, publisher: p, country: US, language: en, kind: listing, "
        f"url: 'https://{HOST}/news/', timezone: America/New_York, max_pages: 5, "
        "selectors: {item: li.post, link: h2 a, date: time, next: a.next}, verified: 'unverified: t'}\n"
        f"  - {{id: fd, name: f, publisher: p, country: US, language: en, kind: feed, "
        f"url: 'https://{HOST}/feed', verified: 'unverified: t'}}\n")
    fault_server.routes["/feed"] = Route(200, {"Content-Type": "application/rss+xml"}, rss_feed(["/f1"]))
    fault_server.routes["/f1"] = Route(200, HTML, article_page("From the feed", "Trade."))
    crawl_cfg = settings.crawl.model_copy(update={
        "host_map": {HOST: fault_server.base}, "retries": 1, "backoff_s": 0.05,
        "max_retry_after_s": 5.0, "timeout_s": 3.0})
    return settings.model_copy(update={"crawl": crawl_cfg}), fault_server, load_registry(path)


def _titles(con):
    return {r[0] for r in con.execute("SELECT title FROM documents").fetchall()}


def test_layout_change_flags_the_source_and_the_run_goes_on(con, listing_site):
    settings, fs, reg = listing_site
    fs.routes["/news/"] = Route(200, HTML, b"<html><body><div class='new-design'>"
                                           b"<a href='/x'>x</a></div></body></html>")
    counts = crawl(con, settings, reg, None, CrawlWindow())
    assert counts.by_source["lst"]["layout_error"] == 1
    assert "From the feed" in _titles(con)  # the other source was still crawled
    reason = con.execute("SELECT reason FROM item_errors WHERE item LIKE '%/news/'").fetchone()[0]
    assert "layout changed" in reason and "li.post" in reason
    assert con.execute("SELECT status FROM source_runs WHERE source_id = 'lst'").fetchone()[0] == "layout"
    health = source_health(con, reg.get("lst"), settings.crawl)
    assert "layout" in health.flags and "li.post" in health.note


def test_pagination_stops_at_stored_items_and_retry_after_is_honoured(con, listing_site):
    settings, fs, reg = listing_site
    fs.routes["/news/"] = Route(200, HTML, _listing(["/a1", "/a2"], "/news/page/2/"))
    fs.routes["/news/page/2/"] = Route(200, HTML, _listing(["/a3", "/slow", "/gone"]))
    for p in ("/a1", "/a2", "/a3"):
        fs.routes[p] = Route(200, HTML, article_page(f"Article {p}", "Semiconductors."))
    slow = Route(503, {"Retry-After": "1"}, b"busy")

    def flip(handler):
        if sum(1 for path, _ in fs.hits if path == "/slow") > 1:
            slow.status, slow.headers = 200, HTML
            return article_page("Slow but stored", "Patience.")
        return b"busy"

    slow.body = flip
    fs.routes["/slow"] = slow
    fs.routes["/gone"] = Route(503, {"Retry-After": "3600"}, b"down for maintenance")
    crawl(con, settings, reg, ["lst"], CrawlWindow())
    assert {"Article /a1", "Article /a2", "Article /a3", "Slow but stored"} <= _titles(con)
    reason = con.execute("SELECT reason FROM item_errors WHERE item LIKE '%/gone'").fetchone()[0]
    assert "503" in reason and "Retry-After 3600" in reason
    assert sum(1 for path, _ in fs.hits if path == "/gone") == 1  # not waited for, not retried

    fs.hits.clear()
    second = crawl(con, settings, reg, ["lst"], CrawlWindow())
    assert second.by_source.get("lst", {}).get("new", 0) == 0
    fetched = {path for path, _ in fs.hits}
    assert "/news/page/2/" not in fetched  # page 1 already reaches stored items
    assert not fetched & {"/a1", "/a2"}
