"""Config-driven Scrapy spider for HTML listing pages + article pages (run via crawlers.spider).

Per-source CSS selectors (sources.yaml) find the items, their links, titles and dates, and
the next-page link. Pagination stops at the first page that reaches items already stored or
older than the window, or at `max_pages`. A listing page on which no item matches is
reported as a layout change (the source is flagged, never silently empty).
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import scrapy
from scrapy.http import Response, TextResponse

from config.settings import CrawlSettings
from crawlers.canonical import canonical_url
from crawlers.extract import parse_when
from crawlers.registry import Source
from crawlers.spider import MirrorRouteMiddleware, SpoolSpider, run_spider

__all__ = ["ListingSpider", "MirrorRouteMiddleware", "readable", "run_listing", "stub_target"]

# MOFCOM lists some articles at a stub that sends the browser on by script, or that wraps the
# article in an iframe; the stub itself holds no text worth storing.
_JS_REDIRECT = re.compile(
    r"""(?:window\.|document\.|top\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']"""
    r"""|location\.replace\(\s*["']([^"']+)["']""")
_STUB_MAX_TEXT = 300  # characters of visible text below which a page is only a wrapper


def readable(response: Response) -> Response:
    """The response, read as UTF-8 (bad bytes replaced) when its declared charset cannot
    decode: Scrapy takes any codec Python knows from Content-Type, and "undefined" or
    "rot13" then raise on the first selector."""
    try:
        response.text  # noqa: B018 - decoding is the check
    except (UnicodeError, LookupError):
        return response.replace(encoding="utf-8")
    return response


def stub_target(response: Response) -> str | None:
    """Where a script-redirect or iframe-wrapper page sends the reader, or None.

    Only a page with almost no visible text of its own counts, so an article that merely
    embeds a video or runs analytics is kept as it is.
    """
    body = response.css("body")
    text = " ".join(body.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
                    .getall()).split()
    if len(" ".join(text)) > _STUB_MAX_TEXT:
        return None
    for script in response.css("script::text").getall():
        m = _JS_REDIRECT.search(script)
        if m:
            return m.group(1) or m.group(2)
    frame = response.css("iframe::attr(src)").get()
    return frame.strip() if frame and frame.strip() else None


def _attr(nodes, name: str) -> str | None:
    """An attribute of the first matched node. Not via `.attrib`: it builds a dict of every
    attribute, and lxml raises ValueError on a name with a control character (``<a \x01href``)."""
    return nodes[0].xpath(f"@{name}").get() if nodes else None


class ListingSpider(SpoolSpider):
    """Walks a source's listing pages until items are older than `since` or already stored."""

    name = "listing"

    async def start(self):  # noqa: D102
        for url in self.source.start_urls():
            yield scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                                 cb_kwargs={"page": 1})

    def record_bad_url(self, response: Response, href: str, exc: Exception) -> None:
        """Record a link that is no usable URL ("http://[::1", port 99999); the page goes on."""
        self._write({"type": "error", "kind": "bad_url", "url": response.url,
                     "reason": f"unusable link {href[:200]!r}: {exc}"})

    def parse_listing(self, response: Response, page: int):  # noqa: D102
        self._write(self._fetch_line(response, "entry"))
        response = readable(response)
        sel = self.source.selectors
        items = response.css(sel.item)
        if not items:
            self._write({"type": "error", "kind": "layout", "url": response.url,
                         "reason": f"layout changed? no items match {sel.item!r} on page {page}"})
            return
        reached_old = False
        for item in items:
            href = _attr(item.css(sel.link), "href")
            if not href:
                continue
            when = self._card_date(item)
            try:  # urljoin, canonical_url and Request each refuse some bad URLs
                url = response.urljoin(href)
                known = canonical_url(url) in self.known
                title = " ".join(item.css((sel.title or sel.link) + " ::text").getall()).strip()
                request = scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                         cb_kwargs={"listing_title": title, "listing_date":
                                                    when.isoformat() if when else None})
            except ValueError as exc:
                self.record_bad_url(response, href, exc)
                continue
            if (self.since and when and when < self.since) or known:
                reached_old = True
                continue
            yield request
        next_href = _attr(response.css(sel.next), "href") if sel.next else None
        if next_href and not reached_old and page >= self.source.max_pages:
            self.capped = response.urljoin(next_href)  # said in the run's counts, not dropped
        if next_href and not reached_old and page < self.source.max_pages:
            try:
                request = response.follow(next_href, callback=self.parse_listing,
                                          errback=self.on_error, cb_kwargs={"page": page + 1})
            except ValueError as exc:
                self.record_bad_url(response, next_href, exc)
                return
            yield request

    def parse_article(self, response: Response, listing_title: str = "",  # noqa: D102
                      listing_date: str | None = None, modified: str | None = None,
                      listed_url: str | None = None):
        page = readable(response) if isinstance(response, TextResponse) else None
        target = stub_target(page) if page is not None and not listed_url else None  # one hop
        if target is None:
            super().parse_article(response, listing_title, listing_date, modified, listed_url)
            return
        self._write(self._fetch_line(response, "article"))
        try:
            request = page.follow(target, callback=self.parse_article, errback=self.on_error,
                                      cb_kwargs={"listing_title": listing_title,
                                                 "listing_date": listing_date,
                                                 "modified": modified, "listed_url": response.url})
        except ValueError as exc:
            self.record_bad_url(response, target, exc)
            return
        yield request

    def _card_date(self, item) -> datetime | None:
        """A card's date (its <time datetime>, else the date node's text), if any.

        A date selector ending in ``::text`` reads those text nodes only (trade.gov: the
        "4/2/25" before the link, in the same <li> as the title).
        """
        sel = self.source.selectors
        if not sel.date:
            return None
        node = item.css(sel.date)
        if sel.date.rstrip().endswith("::text"):
            raw = " ".join(t.strip() for t in node.getall() if t.strip())
        else:
            raw = _attr(node, "datetime") or " ".join(node.css("::text").getall())
        parsed = parse_when(raw, self.source.timezone)
        return parsed[0] if parsed else None


def run_listing(source: Source, crawl: CrawlSettings, since: datetime | None,
                known: dict[str, datetime | None], spool_dir: Path,
                allowed_hosts: set[str]) -> Path:
    """Crawl one listing source in a subprocess; returns its spool (see `run_spider`)."""
    return run_spider(source, crawl, since, known, spool_dir, allowed_hosts)
