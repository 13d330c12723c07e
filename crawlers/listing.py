"""Config-driven Scrapy spider for HTML listing pages + article pages, run in a subprocess.

The subprocess writes a spool file (JSON lines: every HTTP attempt and every page's bytes);
the parent process, the only DuckDB writer, ingests it. A crash leaves the spool for the next run.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from crawlers.canonical import canonical_url
from crawlers.extract import parse_when
from crawlers.fetch import route
from crawlers.registry import Source
from radar.errors import TransientError
from radar.settings import CrawlSettings


@dataclass(frozen=True)
class ListingJob:
    """Everything the subprocess needs (serialised as JSON)."""

    source: dict
    crawl: dict
    since: str | None
    known_file: str
    out_file: str
    allowed_hosts: list[str]


class MirrorRouteMiddleware:
    """Sends requests for mapped hosts to the mirror and restores the real URL on the way back.

    Sits after robots.txt and offsite checks, so those see real URLs.
    """

    def __init__(self, host_map: dict[str, str]):
        self.host_map = host_map

    @classmethod
    def from_crawler(cls, crawler):  # noqa: D102
        return cls(crawler.settings.getdict("RADAR_HOST_MAP"))

    def process_request(self, request, spider=None):  # noqa: D102
        if "radar_real_url" in request.meta:
            return None
        target = route(request.url, self.host_map)
        if target == request.url:
            return None
        # robots.txt and offsite were already checked on the real URL
        meta = {**request.meta, "radar_real_url": request.url, "dont_obey_robotstxt": True,
                "allow_offsite": True}
        return request.replace(url=target, meta=meta, dont_filter=True)

    def process_response(self, request, response, spider=None):  # noqa: D102
        real = request.meta.get("radar_real_url")
        return response.replace(url=real) if real else response


class ListingSpider(scrapy.Spider):
    """Walks a source's listing pages until items are older than `since` or already stored."""

    name = "listing"

    def __init__(self, job: ListingJob, **kwargs):
        super().__init__(**kwargs)
        self.job = job
        self.source = Source.model_validate(job.source)
        self.since = datetime.fromisoformat(job.since) if job.since else None
        self.known = set(Path(job.known_file).read_text().split()) if job.known_file else set()
        self.out = open(job.out_file, "a", encoding="utf-8")  # noqa: SIM115 - closed in closed()
        self.allowed_domains = job.allowed_hosts
        self.pages_seen = 0

    def closed(self, reason):  # noqa: D102
        self._write({"type": "done", "reason": reason, "pages": self.pages_seen})
        self.out.close()

    def _write(self, obj: dict) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def _fetch_line(self, response: Response, kind: str) -> dict:
        return {
            "type": "fetch", "kind": kind, "url": response.url, "status": response.status,
            "requested_at": datetime.now(UTC).isoformat(),
            "etag": response.headers.get("ETag", b"").decode() or None,
            "last_modified": response.headers.get("Last-Modified", b"").decode() or None,
            "content_type": response.headers.get("Content-Type", b"").decode() or None,
            "n_bytes": len(response.body),
        }

    async def start(self):  # noqa: D102
        for url in self.source.start_urls():
            yield scrapy.Request(url, callback=self.parse_listing, errback=self.on_error,
                                 cb_kwargs={"page": 1})

    def parse_listing(self, response: Response, page: int):  # noqa: D102
        self._write(self._fetch_line(response, "listing"))
        sel = self.source.selectors
        items = response.css(sel.item)
        if not items:
            self._write({"type": "error", "url": response.url,
                         "reason": f"layout changed? no items match {sel.item!r} on page {page}"})
            return
        reached_old = False
        for item in items:
            href = item.css(sel.link).attrib.get("href")
            if not href:
                continue
            url = response.urljoin(href)
            when = None
            if sel.date:
                node = item.css(sel.date)
                raw = node.attrib.get("datetime") or " ".join(node.css("::text").getall())
                parsed = parse_when(raw, self.source.timezone)
                when = parsed[0] if parsed else None
            if self.since and when and when < self.since:
                reached_old = True
                continue
            if canonical_url(url) in self.known:
                reached_old = True
                continue
            title = " ".join(item.css((sel.title or sel.link) + " ::text").getall()).strip()
            yield scrapy.Request(url, callback=self.parse_article, errback=self.on_error,
                                 cb_kwargs={"listing_title": title,
                                            "listing_date": when.isoformat() if when else None})
        next_href = response.css(sel.next).attrib.get("href") if sel.next else None
        if next_href and not reached_old and page < self.source.max_pages:
            yield response.follow(next_href, callback=self.parse_listing, errback=self.on_error,
                                  cb_kwargs={"page": page + 1})

    def parse_article(self, response: Response, listing_title: str, listing_date: str | None):  # noqa: D102
        self.pages_seen += 1
        line = self._fetch_line(response, "article")
        self._write(line)
        self._write({
            "type": "page", "url": response.url, "fetched_at": line["requested_at"],
            "content_type": line["content_type"], "listing_title": listing_title,
            "listing_date": listing_date, "body_b64": base64.b64encode(response.body).decode(),
        })

    def on_error(self, failure):  # noqa: D102
        request = failure.request
        status = getattr(getattr(failure.value, "response", None), "status", None)
        self._write({
            "type": "fetch", "kind": "error", "url": request.meta.get("radar_real_url", request.url),
            "status": status, "requested_at": datetime.now(UTC).isoformat(),
            "error": f"{failure.type.__name__}: {failure.getErrorMessage()}"[:500],
        })


def scrapy_settings(crawl: CrawlSettings) -> dict:
    """Scrapy settings that implement our politeness rules."""
    return {
        "USER_AGENT": crawl.user_agent,
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.per_host_concurrency,
        "DOWNLOAD_DELAY": crawl.per_host_delay_s,
        "AUTOTHROTTLE_ENABLED": True,
        "AUTOTHROTTLE_START_DELAY": crawl.per_host_delay_s,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.per_host_concurrency),
        "DOWNLOAD_TIMEOUT": crawl.timeout_s,
        "DOWNLOAD_MAXSIZE": crawl.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "HTTPERROR_ALLOW_ALL": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "RADAR_HOST_MAP": crawl.host_map,
        "DOWNLOADER_MIDDLEWARES": {"crawlers.listing.MirrorRouteMiddleware": 950},
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }


def run_listing(source: Source, crawl: CrawlSettings, since: datetime | None, known: set[str],
                spool_dir: Path, allowed_hosts: set[str], timeout_s: float = 1800) -> Path:
    """Crawl one listing source in a fresh subprocess; returns the spool file it wrote.

    Raises:
        TransientError: the subprocess failed or timed out (the spool keeps what it got).
    """
    spool_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    known_file = spool_dir / f"{source.id}-{stamp}.known"
    known_file.write_text("\n".join(sorted(known)))
    out_file = spool_dir / f"{source.id}-{stamp}.spool.jsonl"
    job = ListingJob(source=source.model_dump(mode="json"), crawl=crawl.model_dump(mode="json"),
                     since=since.isoformat() if since else None, known_file=str(known_file),
                     out_file=str(out_file), allowed_hosts=sorted(allowed_hosts))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "crawlers.listing"], input=json.dumps(job.__dict__),
            text=True, capture_output=True, timeout=timeout_s, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise TransientError(f"listing crawl of {source.id} timed out after {timeout_s}s") from exc
    finally:
        known_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise TransientError(f"listing crawl of {source.id} failed: {proc.stderr[-800:]}")
    return out_file


def _main() -> None:
    job = ListingJob(**json.loads(sys.stdin.read()))
    crawl = CrawlSettings.model_validate(job.crawl)
    process = CrawlerProcess(settings={**scrapy_settings(crawl), "LOG_INSTALL_ROOT_HANDLER": False})
    hosts = {urlsplit(u).hostname for u in [job.source["url"], *job.source.get("urls", [])]}
    job = ListingJob(**{**job.__dict__, "allowed_hosts": sorted(set(job.allowed_hosts) | hosts)})
    process.crawl(ListingSpider, job=job)
    process.start()


if __name__ == "__main__":
    _main()
