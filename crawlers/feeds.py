"""Feed polling (RSS/Atom via feedparser) with conditional GET; broken feeds keep what parsed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser

from crawlers.canonical import canonical_url
from crawlers.extract import parse_when
from crawlers.fetch import Fetcher, FetchResult
from crawlers.registry import Source
from radar.errors import BadInputError


@dataclass(frozen=True)
class FeedEntry:
    """One feed item: where it points and what the feed says about it."""

    url: str
    title: str
    summary: str
    published_at: datetime | None
    published_offset: str | None
    guid: str | None = None
    updated_at: datetime | None = None  # the feed's <updated>, when newer than published


@dataclass(frozen=True)
class FeedPoll:
    """Result of polling one feed URL."""

    fetch: FetchResult
    entries: list[FeedEntry] = field(default_factory=list)
    error: str | None = None  # set for bozo feeds (what parsed is still in entries)


def _entry_date(entry: dict, tz: str) -> tuple[datetime | None, str | None]:
    for key in ("published", "updated", "created"):
        if entry.get(key):
            parsed = parse_when(entry[key], tz)
            if parsed:
                return parsed[0], parsed[1]
    for key in ("published_parsed", "updated_parsed"):
        if entry.get(key):
            return datetime(*entry[key][:6], tzinfo=UTC), "+00:00"
    return None, None


def parse_feed(body: bytes, source: Source) -> tuple[list[FeedEntry], str | None]:
    """Parse feed bytes; returns (entries, error). Raises BadInputError when nothing is a feed."""
    if not body.strip():
        raise BadInputError("empty body")
    parsed = feedparser.parse(body)
    error = None
    if parsed.bozo:
        error = f"malformed feed: {type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    if not parsed.entries and (parsed.bozo or not parsed.version):
        raise BadInputError(error or "not a feed (no RSS/Atom root)")
    entries = []
    for e in parsed.entries:
        link = e.get("link") or ""
        if not link.startswith(("http://", "https://")):
            continue
        when, offset = _entry_date(e, source.timezone)
        updated = parse_when(e.get("updated") or "", source.timezone) if e.get("updated") else None
        entries.append(FeedEntry(
            url=canonical_url(link), title=(e.get("title") or "").strip(),
            summary=(e.get("summary") or "").strip(), published_at=when,
            published_offset=offset, guid=e.get("id"),
            updated_at=updated[0] if updated else when,
        ))
    return entries, error


def poll_feed(fetcher: Fetcher, source: Source, url: str, etag: str | None,
              last_modified: str | None) -> FeedPoll:
    """Fetch a feed with conditional GET and parse it.

    A 304 returns no entries and costs nothing else. Raises the fetcher's errors.
    """
    result = fetcher.get(url, etag=etag, last_modified=last_modified)
    if result.not_modified:
        return FeedPoll(fetch=result)
    entries, error = parse_feed(result.body, source)
    return FeedPoll(fetch=result, entries=entries, error=error)
