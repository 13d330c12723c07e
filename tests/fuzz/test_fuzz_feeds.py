"""Fuzz feed parsing (`crawlers.feeds.parse_feed`) and the feed crawl that records what it
got (`crawlers.collect.crawl_feed`): every entry is stored or recorded with a reason."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from config.errors import BadInputError, TransientError
from crawlers.canonical import canonical_url
from crawlers.collect import crawl_feed
from crawlers.counts import CrawlCounts, CrawlWindow
from crawlers.feeds import FeedEntry, parse_feed
from crawlers.registry import Source
from store.db import connect
from store.runs import start_run
from tests.fuzz.contract import KnownDefect, attempt, tally
from tests.fuzz.documents import feeds, html_text
from tests.fuzz.hostile import content_types, encode, raw_bytes
from tests.fuzz.recording import FakeFetcher, recorded, stored
from tests.servers import HTML, article_page, rss_feed

SOURCE = Source(id="fuzz-feed", name="Fuzz feed", publisher="p", country="US", language="en",
                kind="feed", url="https://news.example.gov/feed", timezone="America/New_York",
                verified="unverified: fuzz")
# pages behind the entries: small, since every example may fetch several
entry_pages = st.one_of(
    st.tuples(html_text().map(lambda t: encode(t, "utf-8")), content_types),
    st.tuples(st.binary(max_size=512), content_types),
    st.tuples(st.sampled_from([BadInputError("response exceeds cap"),
                               TransientError("HTTP 503", retry_after=3600)]), st.none()),
)


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    """One store for the module's examples (a URL seen before is then merely unchanged)."""
    c = connect(tmp_path_factory.mktemp("fuzz-feeds") / "radar.duckdb")
    yield c
    c.close()


ATOM = ('<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><title>Zölle</title>'
        '<link href="https://news.example.gov/z"/><id>z</id><updated>0000-00-00</updated></entry>'
        '<entry><title>\u2028</title><link href="https://news.example.gov:99999/p"/><id>p</id>'
        "<updated>9999-12-31T23:59:59+99:00</updated></entry></feed>").encode()


# feedparser reads about 4.5 s per MB of entries (linear; measured on the long run's 1 MB
# feeds), so a body up to CAP is given 20 s
@settings(deadline=20_000)
@example(body=rss_feed(["/a", "/b"]))
@example(body=ATOM)
@given(body=st.one_of(feeds, raw_bytes))
def test_parse_feed_keeps_entries_or_refuses_with_a_reason(body):
    try:
        got = attempt("feeds.parse_feed", parse_feed, body, SOURCE)
    except KnownDefect:
        return
    if isinstance(got, Exception):
        return
    entries, error = got
    assert error is None or error.strip()
    for e in entries:
        assert isinstance(e, FeedEntry) and e.url.startswith(("http://", "https://"))
        for when in (e.published_at, e.updated_at):
            assert when is None or when.utcoffset() == timedelta(0)


def _links(body: bytes) -> list[str]:
    """The entry links a feed carries (what crawl_feed must account for)."""
    try:
        parsed = feedparser.parse(body)
    except Exception:  # noqa: BLE001 - feedparser's own crash is parse_feed's to report
        return []
    return [e.get("link") for e in parsed.entries
            if (e.get("link") or "").startswith(("http://", "https://"))]


def _accounted(link: str, docs: set[str], items: set[str], reasons: str) -> bool:
    try:
        url = canonical_url(link)
    except ValueError:
        url = None
    return url in docs or url in items or link in items or link[:200] in reasons


@settings(deadline=20_000)
@example(body=rss_feed(["/a", "/b", "/c"]), fetch_articles=True,
         pages=[(article_page("Tariffs", "Duties."), HTML["Content-Type"]),
                (BadInputError("response exceeds cap"), None)])
@example(body=ATOM, fetch_articles=False, pages=[(b"", None)])
@given(body=feeds, pages=st.lists(entry_pages, min_size=1, max_size=3),
       fetch_articles=st.booleans())
def test_crawl_feed_stores_or_records_every_entry(con, body, pages, fetch_articles):
    source = SOURCE.model_copy(update={"fetch_articles": fetch_articles})
    links = _links(body)
    t = tally("collect.crawl_feed")
    t.items += len(links)
    run_id = start_run(con, "fuzz")
    try:
        attempt("collect.crawl_feed", crawl_feed, con, FakeFetcher(source.url, body, pages),
                source, CrawlWindow(), run_id, CrawlCounts())
    except KnownDefect:
        t.lost += len(links)  # the crash ends the feed: none of its entries is kept
        return
    items, reasons = recorded(con, run_id)
    if source.url in items:  # the feed itself was refused, with its reason
        return
    urls = set()
    for link in links:
        try:
            urls.add(canonical_url(link))
        except ValueError:
            pass
    docs = stored(con, urls)
    lost = [link for link in links if not _accounted(link, docs, items, reasons)]
    t.lost += len(lost)
    assert not lost, f"entries neither stored nor recorded: {lost[:5]}"
