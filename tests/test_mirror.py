"""The loopback mirror over the real bundled snapshot, exercised with real HTTP (httpx)."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

import feedparser
import httpx
import pytest

from replay.mirror import Mirror, load_snapshot
from replay.mirror_fedreg import normalize, parse_term
from tests.servers import SNAPSHOT

AS_OF = datetime.fromisoformat("2025-04-03T07:00:00+08:00")  # 2025-04-02 19:00 in Washington
AS_OF_DAY = "2025-04-02"
API = "https://www.federalregister.gov/api/v1/documents.json"


@pytest.fixture(scope="module")
def site():
    """A mirror of its own (tests here move its clock), with an httpx client."""
    m = Mirror(SNAPSHOT, AS_OF).start()
    with httpx.Client(timeout=10) as client:
        yield m, client
    m.stop()


def get(site, real_url: str, **kwargs) -> httpx.Response:
    """GET a real URL through the mirror, the way the crawler's host_map routes it."""
    m, client = site
    parts = urlsplit(real_url)
    local = m.host_map()[parts.hostname] + parts.path + (f"?{parts.query}" if parts.query else "")
    return client.get(local, **kwargs)


def api(site, params: list[tuple[str, str]]) -> dict:
    m, client = site
    r = client.get(m.host_map()["www.federalregister.gov"] + "/api/v1/documents.json", params=params)
    assert r.status_code == 200, r.text
    return r.json()


def expected_section(section: str, as_of: datetime) -> list[dict]:
    """Snapshot ground truth: live pages of a whitehouse.gov section, one per URL."""
    wh, _ = load_snapshot(SNAPSHOT)
    live = {}
    for d in sorted(wh, key=lambda d: datetime.fromisoformat(d["published"])):
        if (d["url"].startswith(f"https://www.whitehouse.gov/{section}/")
                and datetime.fromisoformat(d["published"]) <= as_of):
            live.pop(d["url"], None)  # a re-published page moves to its latest date
            live[d["url"]] = d
    return list(live.values())


def walk_listing(site, section: str) -> list[tuple[str, datetime]]:
    """Follow the Next links from page 1; return (url, time) of every card."""
    url, seen, pages = f"https://www.whitehouse.gov/{section}/", [], 0
    while url:
        r = get(site, url)
        assert r.status_code == 200
        pages += 1
        cards = re.findall(
            r'<h2 class="wp-block-post-title"><a href="([^"]+)">.*?<time datetime="([^"]+)">', r.text)
        assert 0 < len(cards) <= 10
        seen += [(u, datetime.fromisoformat(t)) for u, t in cards]
        nxt = re.search(r'class="wp-block-query-pagination-next" href="([^"]+)"', r.text)
        url = nxt.group(1) if nxt else None
    assert pages == -(-len(seen) // 10)
    return seen


def test_snapshot_loads_with_real_counts():
    wh, fr = load_snapshot(SNAPSHOT)
    assert len(wh) == 1614 and len(fr) == 19289
    assert load_snapshot(SNAPSHOT)[0] is wh  # cached per process


def test_listing_paginates_to_the_end_and_respects_as_of(site):
    cards = walk_listing(site, "presidential-actions")
    truth = expected_section("presidential-actions", AS_OF)
    assert [u for u, _ in cards] == [d["url"] for d in reversed(truth)]  # newest first, complete
    assert all(t <= AS_OF for _, t in cards)
    last_page = -(-len(cards) // 10)
    assert get(site, f"https://www.whitehouse.gov/presidential-actions/page/{last_page + 1}/").status_code == 404
    # The next presidential action (published after AS_OF) is absent, then appears later.
    later = expected_section("presidential-actions", AS_OF + timedelta(days=7))
    new = [d for d in later if datetime.fromisoformat(d["published"]) > AS_OF]
    assert new and new[0]["url"] not in {u for u, _ in cards}
    m, _ = site
    try:
        m.set_as_of(AS_OF + timedelta(days=7))
        page1 = get(site, "https://www.whitehouse.gov/presidential-actions/").text
        assert new[-1]["url"] in page1
    finally:
        m.set_as_of(AS_OF)


def test_article_page_has_title_metadata_and_body(site):
    doc = next(d for d in expected_section("fact-sheets", AS_OF) if "De Minimis" in d["title"])
    r = get(site, doc["url"])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert f'<meta property="article:published_time" content="{doc["published"]}">' in html
    assert f'<link rel="canonical" href="{doc["url"]}">' in html
    title = doc["title"].replace("&", "&amp;")
    assert f'<h1 class="wp-block-whitehouse-topper__headline">{title}</h1>' in html
    assert '"@type": "NewsArticle"' in html and "<footer" in html and "<nav" in html
    assert "synthetic opioid" in html.lower()
    # A page published after AS_OF does not exist yet.
    future = expected_section("fact-sheets", AS_OF + timedelta(days=30))[-1]
    assert get(site, future["url"]).status_code == 404


def test_percent_encoded_article_url_is_served(site):
    m, _ = site
    wh, _ = load_snapshot(SNAPSHOT)
    doc = next(d for d in wh if "%e2%80%91" in d["url"])
    try:
        m.set_as_of(datetime.fromisoformat("2025-12-31T23:59:59-05:00"))
        assert get(site, doc["url"]).status_code == 200
    finally:
        m.set_as_of(AS_OF)


def test_conditional_get_answers_304(site):
    url = expected_section("fact-sheets", AS_OF)[-1]["url"]
    first = get(site, url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    again = get(site, url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert get(site, url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert get(site, url, headers={"If-None-Match": '"stale"'}).status_code == 200
    old = "Mon, 01 Jan 2024 00:00:00 GMT"
    assert get(site, url, headers={"If-Modified-Since": old}).status_code == 200
    feed = get(site, "https://www.whitehouse.gov/feed/")
    assert get(site, "https://www.whitehouse.gov/feed/",
               headers={"If-None-Match": feed.headers["etag"]}).status_code == 304


def test_feed_parses_with_at_most_20_items_none_after_as_of(site):
    for url in ("https://www.whitehouse.gov/feed/", "https://www.whitehouse.gov/fact-sheets/feed/"):
        r = get(site, url)
        assert r.status_code == 200 and "rss" in r.headers["content-type"]
        parsed = feedparser.parse(r.content)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert 0 < len(parsed.entries) <= 20
        for e in parsed.entries:
            assert calendar.timegm(e.published_parsed) <= AS_OF.timestamp()
            assert e.link.startswith("https://www.whitehouse.gov/") and e.title and e.summary


def test_sitemaps_list_only_published_pages(site):
    index = get(site, "https://www.whitehouse.gov/sitemap.xml").text
    sitemaps = re.findall(r"<loc>([^<]+)</loc>", index)
    assert "https://www.whitehouse.gov/presidential-actions-sitemap.xml" in sitemaps
    body = get(site, "https://www.whitehouse.gov/presidential-actions-sitemap.xml").text
    urls = re.findall(r"<loc>([^<]+)</loc>", body)
    assert len(urls) == len(expected_section("presidential-actions", AS_OF))
    assert all(datetime.fromisoformat(t) <= AS_OF for t in re.findall(r"<lastmod>([^<]+)</lastmod>", body))
    robots = get(site, "https://www.whitehouse.gov/robots.txt").text
    assert "Disallow: /wp-admin/" in robots and "Sitemap: https://www.whitehouse.gov/sitemap.xml" in robots


def all_numbers(site, params: list[tuple[str, str]]) -> list[str]:
    body = api(site, params + [("per_page", "1000")])
    assert body["count"] <= 1000
    return [r["document_number"] for r in body["results"]]


def test_fr_api_filters_by_date_range(site):
    _, fr = load_snapshot(SNAPSHOT)
    body = api(site, [("conditions[publication_date][gte]", "2025-03-24"),
                      ("conditions[publication_date][lte]", "2025-03-28"), ("per_page", "1000")])
    truth = {d["document_number"] for d in fr if "2025-03-24" <= d["published"] <= "2025-03-28"}
    assert body["count"] == len(truth) == len(body["results"]) > 100
    assert {r["document_number"] for r in body["results"]} == truth
    dates = [r["publication_date"] for r in body["results"]]
    assert dates == sorted(dates, reverse=True)  # newest first by default
    first = body["results"][0]
    assert first["html_url"].startswith("https://www.federalregister.gov/documents/2025/03/28/")
    assert first["type"] is None and first["agencies"] == [] and first["excerpts"] is None
    # Nothing after the replay date, even when asked for.
    later = api(site, [("conditions[publication_date][gte]", "2025-04-01")])
    assert {r["publication_date"] for r in later["results"]} <= {"2025-04-01", AS_OF_DAY}
    is_day = api(site, [("conditions[publication_date][is]", "2025-04-01"), ("per_page", "1000")])
    assert {r["publication_date"] for r in is_day["results"]} == {"2025-04-01"}


def test_fr_api_term_or_phrase_and_exclusion(site):
    _, fr = load_snapshot(SNAPSHOT)
    base = [("conditions[publication_date][gte]", "2025-02-01")]
    tariff = set(all_numbers(site, base + [("conditions[term]", "tariff")]))
    semis = set(all_numbers(site, base + [("conditions[term]", "semiconductors")]))
    either = set(all_numbers(site, base + [("conditions[term]", "tariff | semiconductor")]))
    assert tariff and semis and either == tariff | semis
    phrase = all_numbers(site, [("conditions[term]", '"de minimis"')])
    by_number = {d["document_number"]: d for d in fr}
    assert phrase and all("de minimis" in (by_number[n]["title"] + " " + by_number[n]["text"]).lower()
                          for n in phrase)
    loose = set(all_numbers(site, [("conditions[term]", "de minimis")]))
    assert set(phrase) <= loose
    excluded = set(all_numbers(site, base + [("conditions[term]", "tariff -antidumping")]))
    assert excluded and excluded < tariff
    assert not any("antidumping" in normalize(by_number[n]["title"] + " " + by_number[n]["text"])
                   for n in excluded)


def test_term_parser_precedence():
    assert parse_term("a b | c") == ("and", [("phrase", " a "), ("or", [("phrase", " b "), ("phrase", " c ")])])
    assert parse_term('-"x y" (p|q') == ("and", [("not", ("phrase", " x y ")),
                                                 ("or", [("phrase", " p "), ("phrase", " q ")])])
    assert parse_term("   ") is None


def test_fr_api_next_page_url_walks_every_page(site):
    params = [("conditions[term]", "steel | aluminum"), ("conditions[publication_date][gte]", "2025-01-01")]
    everything = all_numbers(site, params)
    first = api(site, params + [("per_page", "5")])
    assert first["count"] == len(everything) > 10
    assert first["total_pages"] == -(-first["count"] // 5)
    collected, body, pages = [], first, 1
    while True:
        collected += [r["document_number"] for r in body["results"]]
        nxt = body.get("next_page_url")
        if not nxt:
            break
        assert nxt.startswith(API + "?")
        body, pages = get(site, nxt).json(), pages + 1
    assert pages == first["total_pages"] and collected == everything


def test_fr_api_rejects_bad_dates_and_serves_document_pages(site):
    m, client = site
    fr_base = m.host_map()["www.federalregister.gov"]
    r = client.get(fr_base + "/api/v1/documents.json", params={"conditions[publication_date][gte]": "April"})
    assert r.status_code == 400 and "errors" in r.json()
    doc = api(site, [("per_page", "1")])["results"][0]
    page = get(site, doc["html_url"])
    assert page.status_code == 200 and doc["document_number"] in page.text
    detail = client.get(f"{fr_base}/api/v1/documents/{doc['document_number']}.json").json()
    assert detail["publication_date"] == AS_OF_DAY and detail["title"] == doc["title"]


def test_unknown_paths_are_404_and_requests_are_logged(site):
    m, client = site
    assert client.get(m.base_url + "/www.whitehouse.gov/no-such-section/").status_code == 404
    assert client.get(m.base_url + "/example.com/").status_code == 404
    assert client.get(m.base_url + "/www.federalregister.gov/api/v2/nothing").status_code == 404
    assert client.post(m.base_url + "/www.whitehouse.gov/feed/").status_code == 405
    logged = [(meth, unquote(p), s) for meth, p, s in m.request_log]
    assert ("GET", "/www.whitehouse.gov/no-such-section/", 404) in logged
    assert ("POST", "/www.whitehouse.gov/feed/", 405) in logged


def test_naive_as_of_is_rejected():
    with pytest.raises(ValueError):
        Mirror(SNAPSHOT, datetime(2025, 4, 3))
