"""Polite fetcher over a real loopback server: caps, conditional GET, robots, allow-list, errors."""

import gzip

import pytest

from config.errors import BadInputError, NotAllowedError, TransientError
from crawlers.fetch import Fetcher, parse_retry_after, route
from tests.servers import Route

HOST = "news.example.gov"


def _fetcher(settings, server, **crawl):
    crawl = {"backoff_s": 0.01, **crawl}
    cfg = settings.crawl.model_copy(update={"host_map": {HOST: server.base}, **crawl})
    return Fetcher(cfg, {HOST}, source_id="t")


def test_route_maps_only_known_hosts():
    assert route("https://a.gov/x/?q=1", {"a.gov": "http://127.0.0.1:9/a.gov"}) == "http://127.0.0.1:9/a.gov/x/?q=1"
    assert route("https://b.gov/x", {"a.gov": "http://m"}) == "https://b.gov/x"


def test_plain_get_records_validators(settings, fault_server):
    fault_server.routes["/p"] = Route(200, {"Content-Type": "text/html", "ETag": '"v1"'}, b"<p>hi</p>")
    with _fetcher(settings, fault_server) as f:
        r = f.get(f"https://{HOST}/p")
    assert r.record.status == 200 and r.record.etag == '"v1"' and r.body == b"<p>hi</p>"
    ua = fault_server.hits[-1][1]["User-Agent"]
    assert "policy-radar" in ua and "mailto:" in ua


def test_conditional_get_304(settings, fault_server):
    fault_server.routes["/p"] = Route(304, {"ETag": '"v1"'}, b"")
    with _fetcher(settings, fault_server) as f:
        r = f.get(f"https://{HOST}/p", etag='"v1"', last_modified="Wed, 02 Apr 2025 10:00:00 GMT")
    assert r.not_modified
    headers = fault_server.hits[-1][1]
    assert headers["If-None-Match"] == '"v1"' and "If-Modified-Since" in headers


def test_host_not_in_registry_is_refused(settings, fault_server):
    with _fetcher(settings, fault_server) as f, pytest.raises(NotAllowedError):
        f.get("https://evil.example.com/")
    assert not fault_server.hits


def test_robots_disallow(settings, fault_server):
    fault_server.routes["/robots.txt"] = Route(200, {}, b"User-agent: *\nDisallow: /private/\n")
    with _fetcher(settings, fault_server) as f, pytest.raises(NotAllowedError, match="robots"):
        f.get(f"https://{HOST}/private/x")
    assert all(p != "/private/x" for p, _ in fault_server.hits)


def test_503_with_long_retry_after_is_not_waited_for(settings, fault_server):
    fault_server.routes["/busy"] = Route(503, {"Retry-After": "120"}, b"busy")
    with _fetcher(settings, fault_server) as f, pytest.raises(TransientError) as info:
        f.get(f"https://{HOST}/busy")
    assert info.value.retry_after == 120 and "exceeds" in str(info.value)
    assert [p for p, _ in fault_server.hits].count("/busy") == 1


def test_429_retry_after_is_honoured_then_succeeds(settings, fault_server):
    route = Route(429, {"Retry-After": "3"}, b"slow down")

    def flip(handler):
        if [p for p, _ in fault_server.hits].count("/rl") > 1:
            route.status, route.headers = 200, {"Content-Type": "text/html"}
            return b"<p>ok</p>"
        return b"slow down"

    route.body = flip
    fault_server.routes["/rl"] = route
    waits = []
    with _fetcher(settings, fault_server) as f:
        f.sleep = waits.append
        r = f.get(f"https://{HOST}/rl")
    assert r.body == b"<p>ok</p>" and waits == [3.0]


def test_backoff_is_exponential_and_bad_input_is_never_retried(settings, fault_server):
    fault_server.routes["/err"] = Route(502, {}, b"bad gateway")
    waits = []
    with _fetcher(settings, fault_server, retries=3, backoff_s=0.5) as f:
        f.sleep = waits.append
        with pytest.raises(TransientError, match="after 3 retries"):
            f.get(f"https://{HOST}/err")
        with pytest.raises(BadInputError):
            f.get(f"https://{HOST}/missing")
    assert waits == [0.5, 1.0, 2.0]
    assert [p for p, _ in fault_server.hits].count("/missing") == 1


def test_500_is_transient_404_is_bad_input(settings, fault_server):
    fault_server.routes["/err"] = Route(500, {}, b"oops")
    with _fetcher(settings, fault_server) as f:
        with pytest.raises(TransientError):
            f.get(f"https://{HOST}/err")
        with pytest.raises(BadInputError):
            f.get(f"https://{HOST}/missing")


def test_size_cap_declared_and_streamed(settings, fault_server):
    big = b"x" * 30_000_000
    fault_server.routes["/big"] = Route(200, {"Content-Type": "text/html"}, big)
    with _fetcher(settings, fault_server, max_bytes=10_000_000) as f, pytest.raises(BadInputError, match="cap"):
        f.get(f"https://{HOST}/big")


def test_gzip_bomb_is_capped(settings, fault_server):
    bomb = gzip.compress(b"\0" * 50_000_000)
    fault_server.routes["/bomb"] = Route(200, {"Content-Encoding": "gzip", "Content-Type": "text/html"}, bomb)
    with _fetcher(settings, fault_server, max_bytes=1_000_000) as f, pytest.raises(BadInputError, match="cap"):
        f.get(f"https://{HOST}/bomb")


def test_redirect_loop_is_capped(settings, fault_server):
    fault_server.routes["/a"] = Route(302, {"Location": f"https://{HOST}/b"})
    fault_server.routes["/b"] = Route(302, {"Location": f"https://{HOST}/a"})
    with _fetcher(settings, fault_server, max_redirects=4) as f, pytest.raises(BadInputError, match="redirects"):
        f.get(f"https://{HOST}/a")


def test_timeout_is_transient(settings, fault_server):
    fault_server.routes["/slow"] = Route(200, {}, b"late", delay=2.0)
    with _fetcher(settings, fault_server, timeout_s=0.5, retries=0) as f, pytest.raises(TransientError, match="timeout"):
        f.get(f"https://{HOST}/slow")


def test_retry_after_http_date():
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("soon") is None


def test_source_retry_wait_only_for_transient_entry_failures(settings):
    from crawlers.counts import CrawlCounts
    from crawlers.crawl import source_retry_wait

    counts = CrawlCounts()
    counts.fail_source("busy", TransientError("HTTP 503", retry_after=30))
    counts.fail_source("down", TransientError("HTTP 503", retry_after=7200))
    counts.fail_source("broken", BadInputError("not a feed"))
    crawl = settings.crawl.model_copy(update={"source_retries": 2, "backoff_s": 5.0})
    assert source_retry_wait(counts, "busy", 0, crawl) == 30
    assert source_retry_wait(counts, "busy", 2, crawl) is None  # retries used up
    assert source_retry_wait(counts, "down", 0, crawl) is None  # Retry-After beyond the cap
    assert source_retry_wait(counts, "broken", 0, crawl) is None  # bad input: never retried
    assert source_retry_wait(counts, "fine", 0, crawl) is None


def test_a_trickled_body_is_cut_at_the_deadline_and_not_retried(settings, fault_server):
    import time

    from config.errors import DeadlineError

    fault_server.routes["/drip"] = Route(200, {"Content-Type": "text/html"}, b"x" * 200, trickle=0.05)
    with _fetcher(settings, fault_server, timeout_s=5.0, deadline_s=1.0, retries=2) as f:
        t0 = time.monotonic()
        with pytest.raises(DeadlineError, match="deadline of 1.0s"):
            f.get(f"https://{HOST}/drip")
    assert time.monotonic() - t0 < 2.5
    assert [p for p, _ in fault_server.hits].count("/drip") == 1


def test_a_source_deadline_ends_fetching_and_names_itself(settings, fault_server):
    import time

    from config.errors import SourceDeadlineError

    fault_server.routes["/drip"] = Route(200, {"Content-Type": "text/html"}, b"x" * 200, trickle=0.05)
    fault_server.routes["/p"] = Route(200, {"Content-Type": "text/html"}, b"<p>hi</p>")
    with _fetcher(settings, fault_server, timeout_s=5.0, deadline_s=30.0) as f:
        f.deadline_at = time.monotonic() + 0.8
        with pytest.raises(SourceDeadlineError, match="source run"):
            f.get(f"https://{HOST}/drip")
        with pytest.raises(SourceDeadlineError):
            f.get(f"https://{HOST}/p")
    assert [p for p, _ in fault_server.hits].count("/p") == 0


def test_a_source_that_used_up_its_deadline_is_not_retried_in_the_run(settings):
    from config.errors import SourceDeadlineError
    from crawlers.counts import CrawlCounts
    from crawlers.crawl import source_retry_wait

    counts = CrawlCounts()
    counts.fail_source("slow", SourceDeadlineError("source run deadline of 1800s reached"))
    assert source_retry_wait(counts, "slow", 0, settings.crawl) is None
