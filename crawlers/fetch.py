"""Polite HTTP fetching (httpx): allow-list, robots.txt, per-host delay, caps, conditional GET."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from config.errors import (
    BadInputError,
    BlockedError,
    DeadlineError,
    NotAllowedError,
    SourceDeadlineError,
    TransientError,
)
from config.settings import CrawlSettings
from store.records import FetchRecord, RawPage

TRANSIENT_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class FetchResult:
    """A completed fetch: the record of the attempt and, unless 304, the body."""

    record: FetchRecord
    body: bytes
    headers: dict[str, str]
    final_url: str

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional GET."""
        return self.record.status == 304

    def raw_page(self) -> RawPage:
        """The response as a RawPage to keep."""
        return RawPage(
            url=self.final_url,
            fetched_at=self.record.requested_at,
            content_type=self.headers.get("content-type"),
            body=self.body,
        )


def route(url: str, host_map: dict[str, str]) -> str:
    """Map a real URL onto the mirror that serves its host (identity when unmapped)."""
    parts = urlsplit(url)
    base = host_map.get(parts.hostname or "")
    if not base:
        return url
    tail = parts.path or "/"
    if parts.query:
        tail += "?" + parts.query
    return base.rstrip("/") + tail


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def retry_wait(attempt: int, exc: TransientError, crawl: CrawlSettings) -> float | None:
    """Seconds to wait before retrying after a transient failure, or None to give up.

    Args:
        attempt: retries already made (0 for the first failure).
        exc: the failure; its `retry_after` (from a Retry-After header) is honoured.
        crawl: `retries`, `backoff_s` and `max_retry_after_s`.
    """
    if attempt >= crawl.retries:
        return None
    if exc.retry_after is not None and exc.retry_after > crawl.max_retry_after_s:
        return None
    backoff = crawl.backoff_s * (2 ** attempt)
    return max(backoff, exc.retry_after or 0.0)


def _final(exc: TransientError, attempt: int, crawl: CrawlSettings) -> TransientError:
    if exc.retry_after is not None and exc.retry_after > crawl.max_retry_after_s:
        note = f"Retry-After {exc.retry_after:.0f}s exceeds {crawl.max_retry_after_s:.0f}s"
    else:
        note = f"after {attempt} retries"
    return TransientError(f"{exc} ({note})", retry_after=exc.retry_after)


@dataclass
class Fetcher:
    """One crawl run's HTTP client. Create per run; not shared across processes.

    `deadline_at` (a `time.monotonic()` instant, e.g. now + `source_deadline_s`) ends the
    source's run: no fetch starts after it and a response still arriving is cut there.
    """

    settings: CrawlSettings
    allowed_hosts: set[str]
    source_id: str = ""
    sleep: object = time.sleep
    deadline_at: float | None = None
    _client: httpx.Client | None = None
    _robots: dict[str, RobotFileParser] = field(default_factory=dict)
    _last_hit: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._client = httpx.Client(
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            timeout=self.settings.timeout_s,
            follow_redirects=False,
        )

    def close(self) -> None:
        """Release the connection pool."""
        if self._client:
            self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_allowed(self, url: str) -> None:
        host = urlsplit(url).hostname or ""
        allowed = self.allowed_hosts | set(self.settings.allowed_hosts)
        if host not in allowed:
            raise NotAllowedError(f"host not in the source registry: {host}")

    def _robots_for(self, url: str) -> RobotFileParser:
        parts = urlsplit(url)
        key = f"{parts.scheme}://{parts.netloc}"
        if key not in self._robots:
            parser = RobotFileParser()
            try:
                resp = self._client.get(route(key + "/robots.txt", self.settings.host_map))
                if resp.status_code >= 400:
                    parser.allow_all = resp.status_code < 500
                    parser.disallow_all = resp.status_code >= 500
                else:
                    parser.parse(resp.text.splitlines())
            except httpx.HTTPError:
                parser.allow_all = True  # unreachable robots.txt: RFC 9309 says treat as allowed
            self._robots[key] = parser
        return self._robots[key]

    def _wait_turn(self, host: str) -> None:
        last = self._last_hit.get(host)
        if last is not None:
            wait = self.settings.per_host_delay_s - (time.monotonic() - last)
            if wait > 0:
                self.sleep(wait)
        self._last_hit[host] = time.monotonic()

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """Fetch one URL politely, retrying transient failures with backoff.

        Only a TransientError is retried (up to `retries` times); a Retry-After answer is
        honoured when it is at most `max_retry_after_s`, otherwise the attempt ends at once.
        A response that takes longer than `deadline_s` in all is cut and not retried.

        Raises:
            NotAllowedError: host not allowed.
            BlockedError: robots.txt disallows, or a WAF challenge answered instead of the page.
            DeadlineError: the response took longer than `deadline_s`.
            SourceDeadlineError: the source's run reached `deadline_at`.
            TransientError: timeout, connection error, 429/5xx after the retries.
            BadInputError: an unusable URL, body over the size cap, too many redirects, other 4xx.
        """
        attempt = 0
        while True:
            self._check_source_deadline(url)
            try:
                return self._get_once(url, etag, last_modified)
            except DeadlineError:
                raise
            except TransientError as exc:
                wait = retry_wait(attempt, exc, self.settings)
                if wait is None:
                    raise _final(exc, attempt, self.settings) from exc
                if self.deadline_at is not None and time.monotonic() + wait > self.deadline_at:
                    raise SourceDeadlineError(
                        f"source run deadline of {self.settings.source_deadline_s}s reached "
                        f"before a retry of {url}: {exc}") from exc
                self.sleep(wait)
                attempt += 1

    def _check_source_deadline(self, url: str) -> None:
        if self.deadline_at is not None and time.monotonic() >= self.deadline_at:
            raise SourceDeadlineError(
                f"source run deadline of {self.settings.source_deadline_s}s reached; "
                f"not fetched: {url}")

    def _limit(self, t0: float) -> tuple[float, bool]:
        """The instant a response started at `t0` must be done by; True when it is the
        source's deadline (not the response's own) that binds."""
        own = t0 + self.settings.deadline_s
        if self.deadline_at is not None and self.deadline_at < own:
            return self.deadline_at, True
        return own, False

    def _past_deadline(self, url: str, t0: float) -> DeadlineError:
        limit, source_bound = self._limit(t0)
        if source_bound:
            return SourceDeadlineError(
                f"source run deadline of {self.settings.source_deadline_s}s reached while "
                f"{url} was still arriving")
        return DeadlineError(f"deadline of {self.settings.deadline_s}s exceeded: {url} still "
                             "arriving (a slow or trickling server)")

    def _get_once(self, url: str, etag: str | None, last_modified: str | None) -> FetchResult:
        started = datetime.now(UTC)
        t0 = time.monotonic()
        limit, _ = self._limit(t0)
        current = url
        for _ in range(self.settings.max_redirects + 1):
            _check_url(current)
            self._check_allowed(current)
            if self.settings.obey_robots and not self._robots_for(current).can_fetch(
                self.settings.user_agent, current
            ):
                raise BlockedError(f"robots.txt disallows {current}")
            self._wait_turn(urlsplit(current).hostname or "")
            headers = {}
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            remaining = limit - time.monotonic()
            if remaining <= 0:
                raise self._past_deadline(url, t0)
            # each read waits at most what is left of the deadline (timeout_s caps one read)
            timeout = httpx.Timeout(min(self.settings.timeout_s, remaining))
            try:
                with self._client.stream(
                    "GET", route(current, self.settings.host_map), headers=headers,
                    timeout=timeout,
                ) as resp:
                    if resp.is_redirect and resp.status_code != 304:
                        location = resp.headers.get("location", "")
                        current = _join(current, location)
                        continue
                    body = self._read_capped(resp, url, t0, limit)
                    status, resp_headers = resp.status_code, dict(resp.headers)
            except httpx.TimeoutException as exc:
                if time.monotonic() >= limit:
                    raise self._past_deadline(url, t0) from exc
                raise TransientError(f"timeout after {self.settings.timeout_s}s: {url}") from exc
            except httpx.TransportError as exc:
                raise TransientError(f"connection error: {exc}") from exc
            except httpx.InvalidURL as exc:
                raise BadInputError(f"unusable URL {current!r}: {exc}") from exc
            record = FetchRecord(
                source_id=self.source_id,
                url=url,
                requested_at=started,
                status=status,
                etag=resp_headers.get("etag"),
                last_modified=resp_headers.get("last-modified"),
                content_type=resp_headers.get("content-type"),
                n_bytes=len(body),
                duration_ms=int((time.monotonic() - t0) * 1000),
            )
            challenge = waf_challenge(resp_headers)
            if challenge:  # 202/405 with a bot wall's script is no page, nor a server error
                raise BlockedError(f"HTTP {status} from {current}: {challenge}")
            if status in TRANSIENT_STATUS:
                raise TransientError(
                    f"HTTP {status} from {current}",
                    retry_after=parse_retry_after(resp_headers.get("retry-after")),
                )
            if status >= 400:
                raise BadInputError(f"HTTP {status} from {current}")
            return FetchResult(record=record, body=body, headers=resp_headers, final_url=current)
        raise BadInputError(f"more than {self.settings.max_redirects} redirects from {url}")

    def _read_capped(self, resp: httpx.Response, url: str, t0: float, limit: float) -> bytes:
        """The body, within the size cap and the deadline (checked as each chunk arrives, so
        a trickle overruns it by at most one read's `timeout_s`)."""
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.settings.max_bytes:
            raise BadInputError(f"body of {declared} bytes exceeds cap {self.settings.max_bytes}")
        chunks, total = [], 0
        try:
            for chunk in resp.iter_bytes():
                if time.monotonic() >= limit:
                    raise self._past_deadline(url, t0)
                total += len(chunk)
                if total > self.settings.max_bytes:
                    raise BadInputError(
                        f"body exceeds cap {self.settings.max_bytes} bytes (decompressed)"
                    )
                chunks.append(chunk)
        except httpx.DecodingError as exc:
            raise BadInputError(f"undecodable content-encoding: {exc}") from exc
        return b"".join(chunks)


def waf_challenge(headers: dict[str, str]) -> str | None:
    """What bot wall answered instead of the page, or None.

    AWS WAF answers a Challenge action with HTTP 202 and a CAPTCHA action with HTTP 405, both
    with ``x-amzn-waf-action`` (docs.aws.amazon.com/waf/latest/APIReference/API_ChallengeAction.html);
    EUR-Lex answers crawlers so. The header is the evidence, not the status: a 202 is a 2xx.
    """
    action = next((v for k, v in headers.items() if k.lower() == "x-amzn-waf-action"), None)
    return f"AWS WAF {action.strip() or 'action'} (x-amzn-waf-action)" if action is not None else None


def _check_url(url: str) -> None:
    """Raise BadInputError for a URL no request can be made to (bad port, broken IPv6 host)."""
    try:
        urlsplit(url).port  # noqa: B018 - parsing the port is the check
        httpx.URL(url)
    except (ValueError, httpx.InvalidURL) as exc:
        raise BadInputError(f"unusable URL {url[:300]!r}: {exc}") from exc


def _join(base: str, location: str) -> str:
    """A redirect's target; a Location that is no URL is bad input."""
    try:
        return str(httpx.URL(base).join(location))
    except (ValueError, httpx.InvalidURL) as exc:
        raise BadInputError(f"unusable redirect Location {location[:300]!r}: {exc}") from exc
