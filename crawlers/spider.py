"""Scrapy in a subprocess: the spool protocol, politeness middlewares and the runner.

A spider (listing or sitemap) runs in a fresh subprocess and writes a spool file (JSON lines:
every HTTP attempt and every page's bytes); the parent process, the only DuckDB writer,
ingests it. A crash leaves the spool for the next run.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse

from config.errors import SourceDeadlineError, TransientError
from config.settings import CrawlSettings
from crawlers.extract import decode_html
from crawlers.fetch import parse_retry_after, route, waf_challenge
from crawlers.registry import Source


@dataclass(frozen=True)
class SpiderJob:
    """Everything the subprocess needs (serialised as JSON)."""

    source: dict
    crawl: dict
    since: str | None
    known_file: str  # JSON object: canonical URL -> the site's last-modified claim (or null)
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
        if request.meta.get("radar_routed_url") == request.url:
            return None  # routed already (a retry of the routed request keeps its URL)
        target = route(request.url, self.host_map)
        if target == request.url:
            return None
        # robots.txt and offsite were already checked on the real URL
        meta = {**request.meta, "radar_real_url": request.url, "radar_routed_url": target,
                "dont_obey_robotstxt": True, "allow_offsite": True}
        return request.replace(url=target, meta=meta, dont_filter=True)

    def process_response(self, request, response, spider=None):  # noqa: D102
        real = request.meta.get("radar_real_url")
        if real and request.meta.get("radar_routed_url") == request.url:
            return response.replace(url=real)
        return response


class MirrorRedirectMiddleware:
    """Makes a redirect followed on the mirror pass robots.txt and offsite checks again.

    A redirect copies the routed request's meta (no robots.txt, offsite allowed) onto the
    request for the Location's real URL; sitting before robots.txt (100), this drops that meta
    so the new URL is checked like any other, then routed by `MirrorRouteMiddleware`.
    """

    KEYS = ("radar_real_url", "radar_routed_url", "dont_obey_robotstxt", "allow_offsite")

    def process_request(self, request, spider=None):  # noqa: D102
        routed = request.meta.get("radar_routed_url")
        if routed is None or routed == request.url:
            return None
        meta = {k: v for k, v in request.meta.items() if k not in self.KEYS}
        return request.replace(meta=meta)


class CharsetMiddleware:
    """Gives a page whose declared charset is no text codec ("charset=undefined") the
    encoding `decode_html` finds, before anything reads its text (meta refresh, callbacks).

    Sits between decompression (590) and meta refresh (580), so it sees the decoded body.
    """

    def process_response(self, request, response, spider=None):  # noqa: D102
        if not isinstance(response, TextResponse):
            return response
        try:
            response.text  # noqa: B018 - Scrapy's own decoding, cached on the response
        except (UnicodeError, LookupError):
            content_type = response.headers.get("Content-Type", b"").decode("latin-1")
            _, codec = decode_html(response.body, content_type)
            return response.replace(encoding=codec.replace("-replace", ""))
        return response


class WafBlocked(IgnoreRequest):
    """A bot wall's challenge answered instead of the page (see `crawlers.fetch.waf_challenge`)."""

    def __init__(self, response: Response, challenge: str):
        super().__init__(f"HTTP {response.status}: {challenge}")
        self.response = response


class WafChallengeMiddleware:
    """Turns a WAF challenge (HTTP 202/405 with ``x-amzn-waf-action``) into an error for the
    request's errback: a 202 is a 2xx, and its script page would otherwise be read as a
    listing with zero items ("layout changed") or stored as an article.

    Sits before retries (550) on the way back: a challenge is not retried.
    """

    def process_response(self, request, response, spider=None):  # noqa: D102
        headers = {k.decode("latin-1"): b",".join(v).decode("latin-1")
                   for k, v in response.headers.items()}
        challenge = waf_challenge(headers)
        if challenge:
            raise WafBlocked(response, challenge)
        return response


def is_refusal(failure) -> bool:
    """Whether a failed request was refused by the site: robots.txt (Scrapy's robots
    middleware raises IgnoreRequest "Forbidden by robots.txt") or a WAF challenge."""
    exc = failure.value
    return isinstance(exc, WafBlocked) or (
        isinstance(exc, IgnoreRequest) and "robots.txt" in str(exc))


class RetryAfterMiddleware(RetryMiddleware):
    """Retries transient failures with exponential backoff, honouring Retry-After (429/503).

    A Retry-After longer than RADAR_MAX_RETRY_AFTER is not waited for: the response goes on
    to the errback, which records it with the header's value.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.cap = settings.getfloat("RADAR_MAX_RETRY_AFTER", 60.0)
        self.backoff = settings.getfloat("RADAR_BACKOFF", 1.0)

    def _wait(self, request, retry_after: float | None) -> float:
        return max(self.backoff * 2 ** request.meta.get("retry_times", 0), retry_after or 0.0)

    async def process_response(self, request, response, spider=None):  # noqa: D102
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After", b"").decode("latin-1"))
        if retry_after is not None and retry_after > self.cap:
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        await asyncio.sleep(self._wait(request, retry_after))
        return retry

    async def process_exception(self, request, exception, spider=None):  # noqa: D102
        if request.meta.get("dont_retry") or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await asyncio.sleep(self._wait(request, None))
        return retry


class SpoolSpider(scrapy.Spider):
    """Base of our spiders: writes fetch lines, page lines and errors to the spool."""

    def __init__(self, job: SpiderJob, **kwargs):
        super().__init__(**kwargs)
        self.job = job
        self.source = Source.model_validate(job.source)
        self.since = datetime.fromisoformat(job.since) if job.since else None
        known = json.loads(Path(job.known_file).read_text()) if job.known_file else {}
        self.known: dict[str, datetime | None] = {
            u: datetime.fromisoformat(v) if v else None for u, v in known.items()}
        self.out = open(job.out_file, "a", encoding="utf-8")  # noqa: SIM115 - closed in closed()
        self.allowed_domains = job.allowed_hosts
        self.pages_seen = 0

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):  # noqa: D102
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_spider_error, signal=signals.spider_error)
        return spider

    def on_spider_error(self, failure, response, spider=None):
        """A callback that raised: the page is recorded as a bad item with the error, so a
        source whose listing cannot be read is never silently empty."""
        self._write({"type": "error", "kind": self.entry_kind(response.request)
                     if response.request is not None else "article", "url": response.url,
                     "reason": f"page not processed: {failure.type.__name__}: "
                               f"{failure.getErrorMessage()}"[:500]})

    def closed(self, reason):  # noqa: D102
        self._write({"type": "done", "reason": reason, "pages": self.pages_seen,
                     "capped": getattr(self, "capped", None)})
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

    def parse_article(self, response: Response, listing_title: str = "",
                      listing_date: str | None = None, modified: str | None = None,
                      listed_url: str | None = None):
        """Spool an article page.

        `listed_url` is the URL the listing gave when the page came from a script redirect or
        an iframe there (MOFCOM): the document keeps the listed URL, so the next run knows
        it, and the spool line says where the text was read (`resolved_url`).
        """
        self.pages_seen += 1
        line = self._fetch_line(response, "article")
        self._write(line)
        self._write({
            "type": "page", "url": listed_url or response.url, "fetched_at": line["requested_at"],
            "content_type": line["content_type"], "listing_title": listing_title,
            "listing_date": listing_date, "modified": modified,
            **({"resolved_url": response.url} if listed_url else {}),
            "body_b64": base64.b64encode(response.body).decode(),
        })

    def entry_kind(self, request) -> str:
        """'entry' for the source's own pages (listing, sitemap), else 'article'."""
        return "article" if request.callback == self.parse_article else "entry"

    def on_error(self, failure):  # noqa: D102
        request = failure.request
        response = getattr(failure.value, "response", None)
        retry_after = None
        if response is not None:
            retry_after = parse_retry_after(
                response.headers.get("Retry-After", b"").decode("latin-1"))
        blocked = is_refusal(failure)
        self._write({
            "type": "fetch", "kind": self.entry_kind(request),
            "url": request.meta.get("radar_real_url", request.url),
            "status": getattr(response, "status", None), "retry_after": retry_after,
            "requested_at": datetime.now(UTC).isoformat(),
            "error": (f"blocked: {failure.getErrorMessage()}" if blocked else
                      (f"HTTP {response.status} " if response is not None else "")
                      + f"{failure.type.__name__}: {failure.getErrorMessage()}")[:500],
            **({"blocked": True} if blocked else {}),
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
        # Scrapy's download timeout is already a wall-clock cap on the whole response
        "DOWNLOAD_TIMEOUT": min(crawl.timeout_s, crawl.deadline_s),
        "DOWNLOAD_MAXSIZE": crawl.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "REDIRECT_MAX_TIMES": crawl.max_redirects,
        "RETRY_TIMES": crawl.retries,
        "RETRY_HTTP_CODES": [500, 502, 503, 504, 522, 524, 408, 429],
        "RADAR_MAX_RETRY_AFTER": crawl.max_retry_after_s,
        "RADAR_BACKOFF": crawl.backoff_s,
        "HTTPERROR_ALLOW_ALL": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "RADAR_HOST_MAP": crawl.host_map,
        "DOWNLOADER_MIDDLEWARES": {
            "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
            "crawlers.spider.RetryAfterMiddleware": 550,
            "crawlers.spider.WafChallengeMiddleware": 560,
            "crawlers.spider.CharsetMiddleware": 585,
            "crawlers.spider.MirrorRedirectMiddleware": 50,
            "crawlers.spider.MirrorRouteMiddleware": 950,
        },
        "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
    }


def clean_known_files(spool_dir: Path, crawl: CrawlSettings, db_path: Path | str) -> list[Path]:
    """Remove the ``.known`` files that killed crawls left in `spool_dir`; returns them.

    `run_spider` deletes its file when the subprocess ends; a kill -9 of the crawl leaves it.
    A file is only removed when no live spider can still need it: this process holds the
    store's writer lock (every crawl runs under it, so no other crawl is starting a spider),
    or the file is older than any spider may run.
    """
    from store.snapshot import holds_writer_lock

    if not spool_dir.is_dir():
        return []
    locked = holds_writer_lock(db_path)
    oldest = time.time() - max(crawl.listing_timeout_s, crawl.source_deadline_s) - 60
    removed = []
    for path in spool_dir.glob("*.known"):
        try:
            if locked or path.stat().st_mtime < oldest:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # its own run finished meanwhile
            continue
    return removed


def run_spider(source: Source, crawl: CrawlSettings, since: datetime | None,
               known: dict[str, datetime | None], spool_dir: Path, allowed_hosts: set[str],
               timeout_s: float | None = None) -> Path:
    """Crawl one listing or sitemap source in a fresh subprocess; returns the spool it wrote.

    Args:
        source: a listing or sitemap source.
        crawl: politeness settings.
        since: skip items dated before this instant.
        known: stored canonical URLs -> the site's last-modified claim we saw (or None).
        spool_dir: where the spool file goes.
        allowed_hosts: the registry's hosts (offsite requests are dropped).
        timeout_s: wall-clock cap (default: the smaller of `crawl.listing_timeout_s` and
            `crawl.source_deadline_s`).

    Raises:
        SourceDeadlineError: the subprocess ran out of time (the spool keeps what it got).
        TransientError: the subprocess failed.
    """
    spool_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    known_file = spool_dir / f"{source.id}-{stamp}.known"
    known_file.write_text(json.dumps({u: v.isoformat() if v else None for u, v in known.items()}))
    out_file = spool_dir / f"{source.id}-{stamp}.spool.jsonl"
    job = SpiderJob(source=source.model_dump(mode="json"), crawl=crawl.model_dump(mode="json"),
                    since=since.isoformat() if since else None, known_file=str(known_file),
                    out_file=str(out_file), allowed_hosts=sorted(allowed_hosts))
    timeout_s = timeout_s or min(crawl.listing_timeout_s, crawl.source_deadline_s)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "crawlers.spider"], input=json.dumps(job.__dict__),
            text=True, capture_output=True, timeout=timeout_s, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise SourceDeadlineError(f"{source.kind} crawl of {source.id} timed out: source run "
                                  f"deadline of {timeout_s}s reached") from exc
    finally:
        known_file.unlink(missing_ok=True)
    if proc.returncode != 0:
        raise TransientError(f"{source.kind} crawl of {source.id} failed: {proc.stderr[-800:]}")
    return out_file


def _main() -> None:
    job = SpiderJob(**json.loads(sys.stdin.read()))
    crawl = CrawlSettings.model_validate(job.crawl)
    process = CrawlerProcess(settings={**scrapy_settings(crawl), "LOG_INSTALL_ROOT_HANDLER": False})
    source = Source.model_validate(job.source)
    job = SpiderJob(**{**job.__dict__, "allowed_hosts": sorted(set(job.allowed_hosts) | source.hosts())})
    if source.kind == "sitemap":
        from crawlers.sitemap import SitemapSpider as spider_cls
    else:
        from crawlers.listing import ListingSpider as spider_cls
    process.crawl(spider_cls, job=job)
    process.start()


if __name__ == "__main__":
    _main()
