"""Fuzz the two Scrapy spiders' parsing callbacks in-process: the sitemap spider
(`crawlers.sitemap.SitemapSpider.parse_sitemap`) and the listing spider
(`crawlers.listing.ListingSpider.parse_listing`), on hostile bodies.

Every URL entry (a sitemap's <loc>, a listing card's link) must become a request or be
written to the spool as an error line with a reason; the spool stays valid JSON lines.
"""

from __future__ import annotations

import gzip
import json
from urllib.parse import urljoin

import pytest
import scrapy
from hypothesis import example, given, settings
from hypothesis import strategies as st
from parsel import Selector
from scrapy.http import HtmlResponse, TextResponse, XmlResponse
from scrapy.settings import Settings as ScrapySettings
from scrapy.utils.sitemap import Sitemap

from crawlers.listing import ListingSpider
from crawlers.registry import Source
from crawlers.sitemap import SitemapSpider
from crawlers.spider import SpiderJob
from tests.fuzz.contract import KnownDefect, attempt, tally
from tests.fuzz.documents import listings, sitemaps
from tests.fuzz.hostile import content_types

BASE = dict(publisher="p", country="US", language="en", timezone="America/New_York",
            verified="unverified: fuzz", max_pages=1000)
SITEMAP = Source(id="fuzz-sitemap", name="s", kind="sitemap",
                 url="https://news.example.gov/sitemap.xml", **BASE)
LISTING = Source(id="fuzz-listing", name="l", kind="listing", url="https://news.example.gov/news/",
                 selectors={"item": "li.post", "link": "h2 a", "date": "time", "title": "h2 a",
                            "next": "a.next"}, **BASE)


def _spider(cls, source: Source, spool):
    spool.write_text("")
    job = SpiderJob(source=source.model_dump(mode="json"), crawl={}, since=None, known_file="",
                    out_file=str(spool), allowed_hosts=["news.example.gov"])
    spider = cls(job)
    spider.settings = ScrapySettings({"DOWNLOAD_MAXSIZE": 10_000_000})
    return spider


def _spool(spider, spool) -> list[dict]:
    spider.out.close()
    # split on "\n" only: U+2028 inside a JSON string is not a line end
    text = spool.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.split("\n") if line]
    for line in lines:
        if line["type"] == "error":
            assert str(line.get("reason") or "").strip(), line
    return lines


def _named(url: str, requests: list, lines: list[dict], base: str | None = None) -> bool:
    """Whether an entry became a request, or an error line names it (or its whole page)."""
    if any(ln["type"] == "error" and ln.get("kind") == "layout" for ln in lines):
        return True  # the page as a whole was refused, with its reason
    reasons = " ".join(str(ln.get("reason")) for ln in lines if ln["type"] == "error")
    if repr(url[:200]) in reasons:
        return True
    try:  # the URL as Scrapy normalises it
        target = scrapy.Request(urljoin(base, url) if base else url).url
    except ValueError:
        return False
    return any(r.url == target for r in requests)


def _sitemap_locs(body: bytes) -> list[str]:
    """The <loc> values a sitemap carries, as Scrapy's parser reads them (gzip aside)."""
    try:
        return [e["loc"] for e in Sitemap(body)]
    except Exception:  # noqa: BLE001 - a body Scrapy cannot parse carries no entries
        return []


@pytest.fixture(scope="module")
def spool(tmp_path_factory):
    """The spool file the spiders write (emptied per example)."""
    return tmp_path_factory.mktemp("fuzz-spiders") / "spool.jsonl"


URLSET = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
          b"<url><loc>https://news.example.gov/a</loc><lastmod>2025-04-02</lastmod></url>"
          b"<url><loc>/relative</loc></url><url><loc>https://news.example.gov/b</loc>"
          b"<lastmod>9999-12-31T23:59:59+99:00</lastmod></url></urlset>")
CARDS = (b'<html><body><ul><li class="post"><h2><a href="/a">A</a></h2><time datetime='
         b'"2025-04-02T10:00:00-04:00">x</time></li><li class="post"><h2><a href="http://[::1">B'
         b'</a></h2><time>0000-00-00</time></li></ul><a class="next" href="/page/2">n</a>'
         b"</body></html>")


@settings(deadline=5000)
@example(body=URLSET, robots=False, content_type="application/xml")
@example(body=gzip.compress(URLSET), robots=False, content_type=None)
@example(body=b"Sitemap: https://news.example.gov/s.xml\nSitemap: /rel", robots=True,
         content_type="text/plain; charset=undefined")
@given(body=sitemaps, robots=st.booleans(), content_type=content_types)
def test_sitemap_requests_or_records_every_entry(spool, body, robots, content_type):
    url = "https://news.example.gov/robots.txt" if robots else SITEMAP.url
    cls = TextResponse if robots else XmlResponse
    headers = {"Content-Type": content_type} if content_type else {}
    response = cls(url=url, body=body, headers=headers)
    spider = _spider(SitemapSpider, SITEMAP, spool)
    locs = [] if robots else _sitemap_locs(body)
    t = tally("sitemap.parse_sitemap")
    t.items += len(locs)
    try:
        got = attempt("sitemap.parse_sitemap", lambda: list(spider.parse_sitemap(response)))
    except KnownDefect:
        t.lost += len(locs)
        return
    lines = _spool(spider, spool)
    assert not isinstance(got, Exception), got  # the spider records, it never refuses
    assert all(isinstance(r, scrapy.Request) for r in got)
    lost = [loc for loc in locs if not _named(loc, got, lines)]
    t.lost += len(lost)
    assert not lost, f"sitemap entries neither requested nor recorded: {lost[:5]}"


def _card_links(response) -> list[str]:
    """The card links of a listing page (read as UTF-8 when its charset cannot decode)."""
    try:
        text = response.text
    except (UnicodeError, LookupError):
        text = response.body.decode("utf-8", errors="replace")
    sel = Selector(text=text)
    return [a for a in (card.css("h2 a::attr(href)").get() for card in sel.css("li.post")) if a]


@settings(deadline=5000)
@example(body=CARDS, content_type="text/html")
@example(body=CARDS, content_type="text/html; charset=rot13")
@given(body=listings, content_type=content_types)
def test_listing_requests_or_records_every_card(spool, body, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    response = HtmlResponse(url=LISTING.url, body=body, headers=headers)
    spider = _spider(ListingSpider, LISTING, spool)
    links = _card_links(response)
    t = tally("listing.parse_listing")
    t.items += len(links)
    try:
        got = attempt("listing.parse_listing", lambda: list(spider.parse_listing(response, 1)))
    except KnownDefect:
        t.lost += len(links)
        return
    lines = _spool(spider, spool)
    assert not isinstance(got, Exception), got
    assert all(isinstance(r, scrapy.Request) for r in got)
    articles = [r for r in got if r.callback == spider.parse_article]
    lost = [link for link in links if not _named(link, articles, lines, LISTING.url)]
    t.lost += len(lost)
    assert not lost, f"listing cards neither requested nor recorded: {lost[:5]}"
