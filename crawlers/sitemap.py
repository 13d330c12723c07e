"""Sitemap spider for sites without feeds (run via crawlers.spider).

Reads a sitemap index or URL set (XML, gzipped or not; a robots.txt URL also works, its
``Sitemap:`` lines are followed), keeps page URLs matching the source's `sitemap_rules`,
and fetches a page when it is new, or when its ``lastmod`` is newer than the one we saw
last time (a changed page becomes a new version of the same document). Pages whose
``lastmod`` is before the window are skipped, and so are child sitemaps last modified
before it. Every fetch, success or failure, goes to the spool.
"""

from __future__ import annotations

import re
import struct
from datetime import datetime

import scrapy
from scrapy.http import Response
from scrapy.utils.gz import gunzip, gzip_magic_number
from scrapy.utils.sitemap import Sitemap, sitemap_urls_from_robots

from crawlers.canonical import canonical_url, needs_fetch
from crawlers.extract import parse_when
from crawlers.listing import readable
from crawlers.spider import SpoolSpider


class SitemapSpider(SpoolSpider):
    """Follows a source's sitemaps and fetches new or changed pages."""

    name = "sitemap"

    def __init__(self, job, **kwargs):
        super().__init__(job, **kwargs)
        self.rules = [re.compile(r) for r in self.source.sitemap_rules]
        self.sitemaps_seen = 0

    async def start(self):  # noqa: D102
        for url in self.source.start_urls():
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)

    def _when(self, value: str | None) -> datetime | None:
        parsed = parse_when(value or "", self.source.timezone)
        return parsed[0] if parsed else None

    def _body(self, response: Response) -> bytes | None:
        body = response.body
        if gzip_magic_number(response):
            try:
                body = gunzip(body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
            except (ValueError, OSError, EOFError, struct.error):  # too big, or a cut stream
                return None
        return body

    def record_bad_url(self, response: Response, url: str, exc: Exception) -> None:
        """Record an entry whose <loc> is no usable URL ("", "/relative", port 99999)."""
        self._write({"type": "error", "kind": "bad_url", "url": response.url,
                     "reason": f"unusable sitemap <loc> {url[:200]!r}: {exc}"})

    def _follow(self, response: Response, url: str) -> scrapy.Request | None:
        if self.sitemaps_seen >= self.source.max_pages:
            self.capped = url  # said in the run's counts, not dropped
            return None
        try:
            request = scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error)
        except ValueError as exc:
            self.record_bad_url(response, url, exc)
            return None
        self.sitemaps_seen += 1
        return request

    def wanted(self, url: str, lastmod: datetime | None) -> bool:
        """Whether a sitemap page entry should be fetched."""
        if self.rules and not any(r.search(url) for r in self.rules):
            return False
        if self.since and lastmod and lastmod < self.since:
            return False
        return needs_fetch(self.known, canonical_url(url), lastmod)

    def parse_sitemap(self, response: Response):  # noqa: D102
        self._write(self._fetch_line(response, "entry"))
        if response.url.endswith("/robots.txt"):
            text = readable(response).text
            for url in sitemap_urls_from_robots(text, base_url=response.url):
                if req := self._follow(response, url):
                    yield req
            return
        body = self._body(response)
        try:
            sitemap = Sitemap(body) if body else None
        except Exception as exc:  # lxml raises several types on broken XML
            sitemap, body = None, None
            reason = f"unparseable sitemap: {type(exc).__name__}: {exc}"
        else:
            reason = "not a sitemap (no <urlset> or <sitemapindex>)"
        if sitemap is None or sitemap.type not in ("urlset", "sitemapindex"):
            self._write({"type": "error", "kind": "layout", "url": response.url, "reason": reason})
            return
        entries = list(sitemap)
        if sitemap.type == "sitemapindex":
            for entry in entries:
                lastmod = self._when(entry.get("lastmod"))
                if self.since and lastmod and lastmod < self.since:
                    continue
                if req := self._follow(response, entry["loc"]):
                    yield req
            return
        for entry in entries:
            url, lastmod = entry["loc"], self._when(entry.get("lastmod"))
            try:  # canonical_url and Request refuse some bad URLs
                if not self.wanted(url, lastmod):
                    continue
                request = scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                         cb_kwargs={"listing_date": None, "modified":
                                                    lastmod.isoformat() if lastmod else None})
            except ValueError as exc:
                self.record_bad_url(response, url, exc)
                continue
            yield request
