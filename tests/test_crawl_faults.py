"""Bad input, one test each: recorded with its reason, the run goes on, nothing else is lost.

A feed on a fault-injecting loopback server lists three articles; the middle one misbehaves.
Each test checks that the misbehaving item is recorded with its reason, that the two good
articles are stored, and that the run finished ok.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from crawlers.crawl import CrawlWindow, crawl
from crawlers.registry import load_registry
from tests.servers import FIXTURES, HOST, HTML, Route, article_page, rss_feed


def _registry(tmp_path: Path, *entries: str) -> object:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n" + "".join(
        f"  - {{id: {sid}, name: {sid}, publisher: p, country: US, language: en, kind: feed, "
        f"url: 'https://{HOST}{feed}', timezone: America/New_York, verified: 'unverified: test'}}\n"
        for sid, feed in (e.split("=") for e in entries)))
    return load_registry(path)


@pytest.fixture
def site(settings, fault_server, tmp_path):
    """A fault server with two good articles and a feed listing good, bad, good."""
    fault_server.routes["/good1"] = Route(200, HTML, article_page("Good one", "Semiconductor tariffs."))
    fault_server.routes["/good2"] = Route(200, HTML, article_page("Good two", "Export controls."))
    fault_server.routes["/feed"] = Route(200, {"Content-Type": "application/rss+xml"},
                                         rss_feed(["/good1", "/bad", "/good2"]))
    crawl_cfg = settings.crawl.model_copy(update={
        "host_map": {HOST: fault_server.base}, "retries": 1, "backoff_s": 0.01,
        "max_retry_after_s": 5.0, "timeout_s": 1.0})
    return settings.model_copy(update={"crawl": crawl_cfg}), fault_server


def _run(con, settings, registry):
    counts = crawl(con, settings, registry, None, CrawlWindow())
    status = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    return counts, status


def _errors(con, item_like="%/bad%"):
    return [r[0] for r in con.execute(
        "SELECT reason FROM item_errors WHERE item LIKE ?", [item_like]).fetchall()]


def _titles(con):
    return {r[0] for r in con.execute("SELECT title FROM documents").fetchall()}


def _bad_article(con, settings, fs, tmp_path, route, reason):
    fs.routes["/bad"] = route
    counts, status = _run(con, settings, _registry(tmp_path, "f=/feed"))
    assert status == "ok"
    assert {"Good one", "Good two"} <= _titles(con)
    errors = _errors(con)
    assert errors and any(reason in e for e in errors), errors
    return counts


def test_500_is_recorded_after_retries(con, site, tmp_path):
    settings, fs = site
    _bad_article(con, settings, fs, tmp_path, Route(500, HTML, b"oops"), "HTTP 500")
    assert sum(1 for p, _ in fs.hits if p == "/bad") == 2  # one try + one retry


def test_503_with_long_retry_after_is_not_waited_for(con, site, tmp_path):
    settings, fs = site
    _bad_article(con, settings, fs, tmp_path, Route(503, {"Retry-After": "3600"}, b"busy"),
                 "Retry-After 3600s exceeds")
    assert sum(1 for p, _ in fs.hits if p == "/bad") == 1


def test_503_with_short_retry_after_is_honoured_then_stored(con, site, tmp_path):
    settings, fs = site
    route = Route(503, {"Retry-After": "1"}, b"")

    def flip(handler):
        if sum(1 for p, _ in fs.hits if p == "/bad") > 1:
            route.status, route.headers = 200, HTML
            return article_page("Late but fine", "Delayed release.")
        return b"busy"

    route.body = flip
    fs.routes["/bad"] = route
    _run(con, settings, _registry(tmp_path, "f=/feed"))
    assert {"Good one", "Good two", "Late but fine"} <= _titles(con)
    assert not _errors(con)


def test_timeout(con, site, tmp_path):
    settings, fs = site
    _bad_article(con, settings, fs, tmp_path, Route(200, HTML, b"late", delay=2.5), "timeout")


def test_30_mb_body(con, site, tmp_path):
    settings, fs = site
    _bad_article(con, settings, fs, tmp_path, Route(200, HTML, b"x" * 30_000_000), "exceeds cap")


def test_gzip_bomb(con, site, tmp_path):
    settings, fs = site
    bomb = gzip.compress(b"\0" * 60_000_000)
    _bad_article(con, settings, fs, tmp_path,
                 Route(200, {**HTML, "Content-Encoding": "gzip"}, bomb), "decompressed")


def test_redirect_loop(con, site, tmp_path):
    settings, fs = site
    fs.routes["/loop"] = Route(302, {"Location": f"https://{HOST}/bad"})
    _bad_article(con, settings, fs, tmp_path, Route(302, {"Location": f"https://{HOST}/loop"}),
                 "redirects")


def test_robots_disallow(con, site, tmp_path):
    settings, fs = site
    fs.routes["/robots.txt"] = Route(200, {}, b"User-agent: *\nDisallow: /bad\n")
    _bad_article(con, settings, fs, tmp_path, Route(200, HTML, article_page("Secret", "x")),
                 "robots.txt disallows")
    assert not any(p == "/bad" for p, _ in fs.hits)


def test_empty_body(con, site, tmp_path):
    settings, fs = site
    _bad_article(con, settings, fs, tmp_path, Route(200, HTML, b""), "empty body")


def test_wrong_charset_header_still_decodes(con, site, tmp_path):
    settings, fs = site
    page = (FIXTURES / "encodings" / "big5.html").read_bytes()
    fs.routes["/bad"] = Route(200, {"Content-Type": "text/html; charset=utf-8"}, page)
    _run(con, settings, _registry(tmp_path, "f=/feed"))
    text = con.execute("SELECT text FROM documents WHERE url LIKE '%/bad'").fetchone()[0]
    assert "經濟部" in text and "半導體" in text


def test_malformed_xml_feed_keeps_what_parsed(con, site, tmp_path):
    settings, fs = site
    fs.routes["/bad"] = Route(200, HTML, article_page("Good three", "x"))
    broken = rss_feed(["/good1", "/bad", "/good2"]).replace(b"</channel></rss>", b"<item><title>Cut")
    fs.routes["/feed"] = Route(200, {"Content-Type": "application/rss+xml"}, broken)
    counts, status = _run(con, settings, _registry(tmp_path, "f=/feed"))
    assert status == "ok" and counts.by_source["f"]["feed_error"] == 1
    assert {"Good one", "Good two", "Good three"} <= _titles(con)
    assert any("malformed" in e for e in _errors(con, "%/feed"))


def test_html_served_as_feed(con, site, tmp_path):
    settings, fs = site
    fs.routes["/bad"] = Route(200, HTML, article_page("Good three", "x"))
    fs.routes["/notfeed"] = Route(200, HTML, b"<html><body><h1>Welcome</h1></body></html>")
    counts, status = _run(con, settings, _registry(tmp_path, "broken=/notfeed", "f=/feed"))
    assert status == "ok" and "broken" in counts.failures
    assert any("not a feed" in e for e in _errors(con, "%/notfeed"))
    assert {"Good one", "Good two"} <= _titles(con)
    row = con.execute("SELECT status FROM source_runs WHERE source_id = 'broken'").fetchone()
    assert row[0] == "failed"


def _odd(title: str, old: str, new: str) -> bytes:
    return article_page(title, "Odd but readable.").replace(old.encode(), new.encode())


@pytest.mark.parametrize("headers,page", [
    ({"Content-Type": "text/html; charset=undefined"}, article_page("Odd page", "x")),
    ({"Content-Type": "text/html"}, _odd("Odd page", "<head>", '<head><meta charset="undefined">')),
    (HTML, _odd("Odd page", "2025-04-02T10:00:00-04:00", "9999-12-31T23:00:00-05:00")),
    (HTML, _odd("Odd page", "2025-04-02T10:00:00-04:00", "2025-04-02T10:00:00+99:00")),
], ids=["charset-header", "charset-meta", "year-9999", "offset-99"])
def test_an_odd_page_degrades_and_the_run_goes_on(con, site, tmp_path, headers, page):
    from crawlers.health import source_health

    settings, fs = site
    fs.routes["/bad"] = Route(200, headers, page)
    registry = _registry(tmp_path, "f=/feed")
    counts, status = _run(con, settings, registry)
    assert status == "ok"
    assert {"Good one", "Good two", "Odd page"} <= _titles(con)
    published = con.execute("SELECT published_at FROM documents WHERE title = 'Odd page'").fetchone()[0]
    assert published is None or published.year == 2025  # the feed's date, or none
    row = con.execute("SELECT status FROM source_runs WHERE source_id = 'f'").fetchone()
    assert row[0] == "ok"
    assert source_health(con, registry.get("f"), settings.crawl).last_success is not None


@pytest.mark.parametrize("pub_date", ["Fri, 31 Dec 9999 23:00:00 -0500", "Wed, 02 Apr 2025 10:00:00 +9900",
                                      "Sat, 00 Jan 0000 00:00:00 GMT"])
def test_a_feed_item_with_an_impossible_date_is_kept_undated(con, site, tmp_path, pub_date):
    settings, fs = site
    fs.routes["/bad"] = Route(200, HTML, article_page("Good three", "x"))
    feed = rss_feed(["/good1", "/bad", "/good2"]).replace(
        b"<link>https://news.example.gov/bad</link><pubDate>Wed, 02 Apr 2025 10:00:00 -0400",
        f"<link>https://news.example.gov/bad</link><pubDate>{pub_date}".encode())
    assert pub_date.encode() in feed
    fs.routes["/feed"] = Route(200, {"Content-Type": "application/rss+xml"}, feed)
    _, status = _run(con, settings, _registry(tmp_path, "f=/feed"))
    assert status == "ok" and {"Good one", "Good two", "Good three"} <= _titles(con)


def test_a_trickled_page_is_cut_at_its_deadline_and_recorded(con, site, tmp_path):
    settings, fs = site
    settings = settings.model_copy(update={"crawl": settings.crawl.model_copy(
        update={"timeout_s": 5.0, "deadline_s": 1.0})})
    _bad_article(con, settings, fs, tmp_path,
                 Route(200, HTML, article_page("Dripping", "x"), trickle=0.05), "deadline")
    assert sum(1 for p, _ in fs.hits if p == "/bad") == 1  # the time is spent: no retry


def test_a_source_past_its_deadline_is_recorded_failed_and_keeps_what_it_got(con, site, tmp_path):
    import time

    settings, fs = site
    settings = settings.model_copy(update={"crawl": settings.crawl.model_copy(
        update={"timeout_s": 5.0, "deadline_s": 1.0, "source_deadline_s": 1.8})})
    for p in ("/slow1", "/slow2"):
        fs.routes[p] = Route(200, HTML, article_page("Dripping", "x"), trickle=0.05)
    fs.routes["/feed"] = Route(200, {"Content-Type": "application/rss+xml"},
                               rss_feed(["/good1", "/slow1", "/slow2", "/good2"]))
    t0 = time.monotonic()
    counts, status = _run(con, settings, _registry(tmp_path, "f=/feed"))
    assert time.monotonic() - t0 < 5
    assert status == "ok" and "Good one" in _titles(con)
    assert not any(p == "/good2" for p, _ in fs.hits)  # left for the next run
    row = con.execute("SELECT status, detail FROM source_runs WHERE source_id = 'f'").fetchone()
    assert row[0] == "failed" and "source run" in row[1] and "deadline" in row[1]
    assert any("deadline" in e for e in _errors(con, "%/slow1"))


def test_an_api_result_of_the_wrong_shape_or_with_lone_surrogates_is_one_bad_item(con, site, tmp_path):
    import json
    from datetime import UTC, datetime, timedelta

    from crawlers import fedreg

    settings, fs = site
    path = tmp_path / "api.yaml"
    path.write_text(
        "sources:\n  - {id: fr, name: fr, publisher: p, country: US, language: en, kind: api, "
        f"url: 'https://{HOST}/api/v1/documents.json', timezone: America/New_York, "
        "params: {'conditions[term]': 'tariff'}, verified: 'unverified: test'}\n")
    registry = load_registry(path)
    since = datetime.now(UTC) - timedelta(days=2)
    url = fedreg.search_url(registry.get("fr").params, since.date(), None,
                            base=registry.get("fr").url)
    results = [1, {"document_number": "2025-1", "title": "Tariffs \ud800 on steel", "abstract": "x",
                   "html_url": f"https://{HOST}/d/2025-1", "publication_date": "2025-04-02"},
               {"document_number": "2025-2", "title": "Export controls", "abstract": "y",
                "html_url": f"https://{HOST}/d/2025-2", "publication_date": "2025-04-02"}]
    fs.routes[url.split(HOST, 1)[1]] = Route(200, {"Content-Type": "application/json"},
                                             json.dumps({"results": results}).encode())
    counts = crawl(con, settings, registry, None, CrawlWindow(since=since))
    status = con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone()[0]
    assert status == "ok" and counts.by_source["fr"]["new"] == 2
    assert {"Tariffs \ufffd on steel", "Export controls"} <= _titles(con)
    assert con.execute("SELECT count(*) FROM item_errors WHERE stage = 'crawl:api'").fetchone()[0] == 1
