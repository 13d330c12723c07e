"""A store and a fake fetcher for fuzzing the entry points that record items (crawl_feed,
crawl_api): every item must end up stored, or recorded in `item_errors` with a reason."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from config.errors import RadarError
from crawlers.fetch import FetchResult
from store.records import FetchRecord


class FakeFetcher:
    """Answers the entry URL with `entry_body` and any other URL with the next of `pages`.

    A page given as an exception is raised instead (a fetch that failed for that item).
    """

    def __init__(self, entry_url: str, entry_body: bytes, pages: list, source_id: str = "fuzz"):
        self.entry_url, self.entry_body, self.pages = entry_url, entry_body, pages
        self.source_id, self.calls = source_id, 0

    def get(self, url: str, etag: str | None = None, last_modified: str | None = None):
        """Like `crawlers.fetch.Fetcher.get`, without the network."""
        if url == self.entry_url or not self.pages:
            body, content_type = self.entry_body, "application/octet-stream"
        else:
            body, content_type = self.pages[self.calls % len(self.pages)]
            self.calls += 1
        if isinstance(body, RadarError):
            raise body
        record = FetchRecord(source_id=self.source_id, url=url, requested_at=datetime.now(UTC),
                             status=200, content_type=content_type, n_bytes=len(body))
        return FetchResult(record=record, body=body,
                           headers={"content-type": content_type} if content_type else {},
                           final_url=url)


def recorded(con, run_id: str) -> tuple[set[str], str]:
    """Items with an `item_errors` row in the run, and all its reasons as one text."""
    rows = con.execute("SELECT item, reason FROM item_errors WHERE run_id = ?", [run_id]).fetchall()
    assert all(reason and reason.strip() for _, reason in rows), rows  # every one has a reason
    return {item for item, _ in rows}, "\n".join(reason for _, reason in rows)


def stored(con, canonical_urls: Iterable[str]) -> set[str]:
    """Which of `canonical_urls` are stored documents."""
    wanted = sorted(set(canonical_urls))
    if not wanted:
        return set()
    rows = con.execute("SELECT canonical_url FROM documents "
                       "WHERE canonical_url IN (SELECT unnest(?::TEXT[]))", [wanted]).fetchall()
    return {r[0] for r in rows}
