"""Feed polling (RSS/Atom via feedparser) with conditional GET; broken feeds keep what parsed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import feedparser

from config.errors import BadInputError, FeedEndedError
from crawlers.canonical import canonical_url
from crawlers.extract import parse_when, plausible
from crawlers.fetch import Fetcher, FetchResult
from crawlers.registry import Source

_OFFSET = re.compile(r"[+-](\d{2}):?(\d{2})$")  # a trailing UTC offset, +HH:MM or +HHMM
_CHAR_REF = re.compile(rb"&#([xX][0-9a-fA-F]{1,12}|[0-9]{1,12});")
# GOV.UK's retired finders answer one entry with this title (alphagov/finder-frontend,
# app/views/finders/show-redirect.atom.builder), often with no link: read as entries, it
# would be a feed that is quietly empty forever.
_FEED_ENDED = re.compile(r"^\s*this feed has ended\b", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


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


def _valid_char_ref(m: re.Match) -> bytes:
    """A character reference to a surrogate or beyond U+10FFFF (feedparser raises on both)
    becomes U+FFFD; others stay as they are."""
    ref = m.group(1)
    code = int(ref[1:], 16) if ref[:1] in (b"x", b"X") else int(ref)
    return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else m.group(0)


def _impossible_offset(value: str) -> bool:
    m = _OFFSET.search(value.strip())
    return bool(m) and int(m.group(1)) > 18


def _entry_date(entry: dict, tz: str) -> tuple[datetime | None, str | None]:
    """The entry's date, or (None, None) when it has no real one.

    feedparser turns impossible values into impossible tuples (Atom "0000-00-00" becomes
    year -1, 9999-12-31 at -05:00 becomes year 10000): those are unknown dates.
    """
    for key in ("published", "updated", "created"):
        if entry.get(key):
            parsed = parse_when(entry[key], tz)
            if parsed:
                return parsed[0], parsed[1]
    for key in ("published", "updated"):
        # feedparser reads formats dateutil does not, but it also applies offsets that do not
        # exist ("+99:00" shifts the date by four days): such a date is unknown
        if entry.get(f"{key}_parsed") and not _impossible_offset(entry.get(key) or ""):
            try:
                when = datetime(*entry[f"{key}_parsed"][:6], tzinfo=UTC)
            except (ValueError, OverflowError, TypeError):
                continue
            if plausible(when):
                return when, "+00:00"
    return None, None


def ended_notice(entries: list) -> str | None:
    """Why a feed whose every entry is a "This feed has ended" notice is retired, else None."""
    if not entries or not all(_FEED_ENDED.match(e.get("title") or "") for e in entries):
        return None
    said = " ".join(_TAGS.sub(" ", entries[0].get("summary") or "").split())[:200]
    link = entries[0].get("link")
    return ("the publisher retired this feed ('This feed has ended')"
            + (f": {said}" if said else "") + (f" (see {link})" if link else ""))


def parse_feed(body: bytes, source: Source) -> tuple[list[FeedEntry], str | None]:
    """Parse feed bytes; returns (entries, error).

    Raises:
        BadInputError: nothing in the bytes is a feed.
        FeedEndedError: the feed's only entries say it has ended (a retired GOV.UK finder).
    """
    if not body.strip():
        raise BadInputError("empty body")
    try:
        parsed = feedparser.parse(_CHAR_REF.sub(_valid_char_ref, body))
    except (ValueError, UnicodeError, LookupError, RecursionError) as exc:  # feedparser's own
        raise BadInputError(f"unparseable feed: {type(exc).__name__}: {exc}"[:500]) from exc
    error = None
    if parsed.bozo:
        error = f"malformed feed: {type(parsed.bozo_exception).__name__}: {parsed.bozo_exception}"
    if not parsed.entries and (parsed.bozo or not parsed.version):
        raise BadInputError(error or "not a feed (no RSS/Atom root)")
    ended = ended_notice(parsed.entries)
    if ended:
        raise FeedEndedError(ended)
    entries, unusable = [], []
    for e in parsed.entries:
        link = e.get("link") or ""
        if not link.startswith(("http://", "https://")):
            continue
        try:
            url = canonical_url(link)
        except ValueError as exc:  # "Port out of range", "Invalid IPv6 URL": skip this entry only
            unusable.append(f"{link[:200]}: {exc}")
            continue
        when, offset = _entry_date(e, source.timezone)
        updated = parse_when(e.get("updated") or "", source.timezone) if e.get("updated") else None
        entries.append(FeedEntry(
            url=url, title=(e.get("title") or "").strip(),
            summary=(e.get("summary") or "").strip(), published_at=when,
            published_offset=offset, guid=e.get("id"),
            updated_at=updated[0] if updated else when,
        ))
    if unusable:
        note = f"{len(unusable)} entries with unusable links skipped: " + "; ".join(unusable[:5])
        error = f"{error}; {note}" if error else note
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
