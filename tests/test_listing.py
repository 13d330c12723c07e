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


def _spool_line(kind: str, **fields) -> str:
    import json

    return json.dumps({"type": kind, **fields})


def _page_line(url: str, body: bytes | str) -> str:
    import base64

    b64 = body if isinstance(body, str) else base64.b64encode(body).decode()
    return _spool_line("page", url=url, fetched_at="2025-04-02T15:00:00+00:00",
                       content_type="text/html; charset=utf-8", listing_title="",
                       listing_date=None, modified=None, body_b64=b64)


def test_an_odd_article_in_a_listing_degrades_and_the_spool_is_ingested(con, listing_site):
    settings, fs, reg = listing_site
    fs.routes["/news/"] = Route(200, HTML, _listing(["/a1", "/odd", "/a2"]))
    for p in ("/a1", "/a2"):
        fs.routes[p] = Route(200, HTML, article_page(f"Article {p}", "Semiconductors."))
    odd = article_page("Odd one", "x").replace(b"2025-04-02T10:00:00-04:00", b"9999-12-31T23:00:00-05:00")
    fs.routes["/odd"] = Route(200, {"Content-Type": "text/html; charset=undefined"}, odd)
    crawl(con, settings, reg, ["lst"], CrawlWindow())
    assert {"Article /a1", "Article /a2", "Odd one"} <= _titles(con)
    assert con.execute("SELECT status FROM source_runs WHERE source_id = 'lst'").fetchone()[0] == "ok"
    assert not list(settings.spool_dir.glob("*.spool.jsonl"))


def test_a_listing_page_with_an_unusable_charset_or_link_still_yields_its_items(con, listing_site):
    settings, fs, reg = listing_site
    page = _listing(["/a1", "/a2"]).replace(
        b"</ul>", b'<li class="post"><h2><a href="https://news.example.gov:99999/x">Bad port</a>'
                  b'</h2></li></ul>')
    fs.routes["/news/"] = Route(200, {"Content-Type": "text/html; charset=undefined"}, page)
    for p in ("/a1", "/a2"):
        fs.routes[p] = Route(200, HTML, article_page(f"Article {p}", "Semiconductors."))
    crawl(con, settings, reg, ["lst"], CrawlWindow())
    assert {"Article /a1", "Article /a2"} <= _titles(con)
    reasons = [r[0] for r in con.execute("SELECT reason FROM item_errors").fetchall()]
    assert any("99999" in r and "Port out of range" in r for r in reasons), reasons


def test_a_poisoned_leftover_spool_is_ingested_line_by_line_then_quarantined(con, listing_site):
    settings, fs, reg = listing_site
    fs.routes["/news/"] = Route(200, HTML, _listing(["/a1"]))
    fs.routes["/a1"] = Route(200, HTML, article_page("Article /a1", "Semiconductors."))
    settings.spool_dir.mkdir(parents=True)
    leftover = settings.spool_dir / "lst-20250402T150000000000.spool.jsonl"
    leftover.write_text("\n".join([
        _page_line(f"https://{HOST}/s1", article_page("Spooled one", "Kept.")),
        _page_line(f"https://{HOST}/s2", "!!! not base64 !!!"),
        '["not", "an", "object"]',
        _spool_line("telegram", url="x"),
        _spool_line("page", fetched_at="2025-04-02T15:00:00+00:00"),
        "{not json at all",
        _spool_line("error", url=f"https://{HOST}/\ud800", reason="a lone surrogate"),
        _page_line(f"https://{HOST}/s3", article_page("Spooled two", "Kept too.")),
        '{"type": "page", "url": "https://news.example.gov/cut", "body_b64": "PGh0',  # cut by a kill
    ]), encoding="utf-8")
    crawl(con, settings, reg, ["lst"], CrawlWindow())
    assert {"Spooled one", "Spooled two", "Article /a1"} <= _titles(con)
    assert con.execute("SELECT status FROM source_runs WHERE source_id = 'lst'").fetchone()[0] == "ok"
    assert not list(settings.spool_dir.glob("*.spool.jsonl"))
    moved = settings.spool_dir / "quarantine" / leftover.name
    assert moved.read_bytes().count(b"\n") == 8  # nothing lost
    reason = (settings.spool_dir / "quarantine" / (leftover.name + ".reason")).read_text()
    for n in (2, 3, 4, 5, 6, 7):
        assert f"line {n}:" in reason
    assert "line 9" not in reason  # the cut last line is fetched again, not a bad line
    errors = [r[0] for r in con.execute(
        "SELECT item FROM item_errors WHERE reason LIKE '%spool%'").fetchall()]
    assert any("quarantine" in e for e in errors), errors

    second = crawl(con, settings, reg, ["lst"], CrawlWindow())  # the quarantine is left alone
    assert "lst" not in second.failures and moved.exists()


def test_known_files_left_by_a_killed_crawl_are_removed_only_when_safe(settings, listing_site):
    import os
    import time

    from store.db import connect, opened

    settings, fs, reg = listing_site
    fs.routes["/news/"] = Route(200, HTML, _listing(["/a1"]))
    fs.routes["/a1"] = Route(200, HTML, article_page("Article /a1", "Semiconductors."))
    settings.spool_dir.mkdir(parents=True)
    stale = settings.spool_dir / "lst-20250101T000000000000.known"
    fresh = settings.spool_dir / "other-20250402T150000000000.known"  # maybe a live crawl's
    for path in (stale, fresh):
        path.write_text("{}")
    old = time.time() - settings.crawl.listing_timeout_s - 3600
    os.utime(stale, (old, old))
    con = connect(settings.db_path)  # no writer lock: only what no live spider can need goes
    try:
        crawl(con, settings, reg, ["lst"], CrawlWindow())
    finally:
        con.close()
    assert not stale.exists() and fresh.exists()
    with opened(settings.db_path) as con:  # under the writer lock no other crawl is starting
        crawl(con, settings, reg, ["lst"], CrawlWindow())
    assert not list(settings.spool_dir.glob("*.known"))


def test_a_callback_that_raises_is_recorded_and_fails_the_source(con, listing_site):
    import json

    from scrapy.http import HtmlResponse, Request
    from twisted.python.failure import Failure

    from crawlers.counts import CrawlCounts
    from crawlers.listing import ListingSpider
    from crawlers.spider import SpiderJob
    from crawlers.spool import ingest_spool
    from store.runs import start_run

    settings, fs, reg = listing_site
    source = reg.get("lst")
    out = settings.spool_dir / "lst-20250402T150000000000.spool.jsonl"
    settings.spool_dir.mkdir(parents=True)
    job = SpiderJob(source=source.model_dump(mode="json"), crawl={}, since=None, known_file="",
                    out_file=str(out), allowed_hosts=[HOST])
    spider = ListingSpider(job)
    request = Request(source.url, callback=spider.parse_listing)
    try:
        raise RuntimeError("selector engine broke")
    except RuntimeError:
        failure = Failure()
    spider.on_spider_error(failure, HtmlResponse(url=source.url, body=b"<html></html>",
                                                 request=request))
    spider.out.close()
    line = json.loads(out.read_text(encoding="utf-8"))
    assert line["kind"] == "entry" and "RuntimeError: selector engine broke" in line["reason"]
    counts = CrawlCounts()
    ingest_spool(con, out, source, CrawlWindow(), start_run(con, "crawl"), counts)
    assert "selector engine broke" in str(counts.failures["lst"])
    assert counts.by_source["lst"]["error"] == 1 and not out.exists()
