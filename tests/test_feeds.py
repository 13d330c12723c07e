"""Feed polling over loopback HTTP with real feedparser: entries, 304, broken feeds."""

import pytest

from config.errors import BadInputError
from crawlers.feeds import parse_feed, poll_feed
from crawlers.fetch import Fetcher
from crawlers.registry import Source
from tests.servers import Route

HOST = "news.example.gov"
SOURCE = Source(id="t-feed", name="T", publisher="P", country="US", language="en", kind="feed",
                url=f"https://{HOST}/feed/", timezone="America/New_York", verified="unverified: test")

RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>
<item><title>First &amp; foremost</title><link>https://news.example.gov/a/?utm_source=rss</link>
<pubDate>Wed, 02 Apr 2025 16:30:00 -0400</pubDate><description>One</description></item>
<item><title>Second</title><link>https://news.example.gov/b/</link>
<pubDate>Tue, 01 Apr 2025 09:00:00 -0400</pubDate></item></channel></rss>"""


def _fetcher(settings, server):
    cfg = settings.crawl.model_copy(update={"host_map": {HOST: server.base}})
    return Fetcher(cfg, {HOST}, source_id=SOURCE.id)


def test_poll_parses_entries_with_offsets(settings, fault_server):
    fault_server.routes["/feed/"] = Route(200, {"Content-Type": "application/rss+xml", "ETag": '"f1"'}, RSS)
    with _fetcher(settings, fault_server) as f:
        poll = poll_feed(f, SOURCE, SOURCE.url, None, None)
    assert [e.title for e in poll.entries] == ["First & foremost", "Second"]
    assert poll.entries[0].url == "https://news.example.gov/a/"  # tracking stripped
    assert poll.entries[0].published_at.isoformat() == "2025-04-02T20:30:00+00:00"
    assert poll.entries[0].published_offset == "-04:00"
    assert poll.error is None and poll.fetch.record.etag == '"f1"'


def test_not_modified_costs_nothing(settings, fault_server):
    fault_server.routes["/feed/"] = Route(304, {"ETag": '"f1"'}, b"")
    with _fetcher(settings, fault_server) as f:
        poll = poll_feed(f, SOURCE, SOURCE.url, '"f1"', None)
    assert poll.fetch.not_modified and poll.entries == []


def test_malformed_feed_keeps_what_parsed():
    broken = RSS.replace(b"</channel></rss>", b"<item><title>Cut")
    entries, error = parse_feed(broken, SOURCE)
    assert len(entries) >= 2 and error and "malformed" in error


def test_html_served_as_feed_is_bad_input():
    with pytest.raises(BadInputError):
        parse_feed(b"<html><body><h1>Welcome</h1><p>Not a feed</p></body></html>", SOURCE)


def test_empty_body_is_bad_input():
    with pytest.raises(BadInputError):
        parse_feed(b"", SOURCE)


def _atom(updated: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>T</title><id>urn:t</id><updated>{updated}</updated>"
            f"<entry><title>Guidance</title><link href='https://{HOST}/g'/><id>urn:g</id>"
            f"<published>2025-04-01T09:00:00+01:00</published><updated>{updated}</updated>"
            "</entry></feed>").encode()


def test_updated_entry_is_refetched_as_a_new_version(con, settings, fault_server, tmp_path):
    from crawlers.crawl import CrawlWindow, crawl
    from crawlers.registry import load_registry

    path = tmp_path / "s.yaml"
    path.write_text(f"sources:\n  - {{id: gb, name: g, publisher: p, country: GB, language: en, "
                    f"kind: feed, url: 'https://{HOST}/atom', verified: 'unverified: t'}}\n")
    reg = load_registry(path)
    cfg = settings.model_copy(update={"crawl": settings.crawl.model_copy(
        update={"host_map": {HOST: fault_server.base}})})
    page = "<html><body><main><h1>Guidance</h1><p>{}</p></main></body></html>"
    fault_server.routes["/atom"] = Route(200, {"Content-Type": "application/atom+xml"},
                                         _atom("2025-04-01T09:00:00+01:00"))
    fault_server.routes["/g"] = Route(200, {}, page.format("Rules apply from May. " * 10).encode())
    assert crawl(con, cfg, reg, None, CrawlWindow()).outcomes["new"] == 1
    assert crawl(con, cfg, reg, None, CrawlWindow()).outcomes.get("new", 0) == 0
    fault_server.routes["/atom"].body = _atom("2025-04-03T15:00:00+01:00")
    fault_server.routes["/g"].body = page.format("Rules now apply from June. " * 10).encode()
    assert crawl(con, cfg, reg, None, CrawlWindow()).outcomes["updated"] == 1
    assert con.execute("SELECT count(*), max(version) FROM documents").fetchone() == (1, 2)
    assert con.execute("SELECT count(*) FROM document_versions").fetchone()[0] == 2


ATOM_BAD_DATES = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:t</id>
<updated>2025-04-02T10:00:00Z</updated>
<entry><title>Zero</title><id>z</id><link href="https://news.example.gov/zero"/>
<updated>0000-00-00</updated></entry>
<entry><title>Far</title><id>f</id><link href="https://news.example.gov/far"/>
<published>9999-12-31T23:00:00-05:00</published><updated>9999-12-31T23:00:00-05:00</updated></entry>
<entry><title>Offset</title><id>o</id><link href="https://news.example.gov/offset"/>
<updated>2025-04-02T10:00:00+99:00</updated></entry>
<entry><title>Good</title><id>g</id><link href="https://news.example.gov/good"/>
<updated>2025-04-02T10:00:00-04:00</updated></entry></feed>"""


def test_impossible_entry_dates_are_unknown_and_every_entry_is_kept():
    entries, _ = parse_feed(ATOM_BAD_DATES, SOURCE)
    by_title = {e.title: e for e in entries}
    assert set(by_title) == {"Zero", "Far", "Offset", "Good"}
    for title in ("Zero", "Far", "Offset"):
        assert by_title[title].published_at is None and by_title[title].published_offset is None
    assert by_title["Good"].published_at.isoformat() == "2025-04-02T14:00:00+00:00"


def test_an_entry_with_an_unusable_link_is_skipped_and_named():
    rss = RSS.replace(b"<link>https://news.example.gov/b/</link>",
                      b"<link>https://news.example.gov:99999/b/</link>")
    entries, error = parse_feed(rss, SOURCE)
    assert [e.title for e in entries] == ["First & foremost"]
    assert "unusable links" in error and "Port out of range" in error


@pytest.mark.parametrize("ref", [b"&#xD800;", b"&#55296;", b"&#2000000;", b"&#x110000;"])
def test_a_character_reference_that_is_no_character_is_replaced(ref):
    rss = RSS.replace(b"<title>Second</title>", b"<title>Sec" + ref + b"ond</title>")
    entries, _ = parse_feed(rss, SOURCE)
    assert [e.title for e in entries] == ["First & foremost", "Sec\ufffdond"]


def test_bytes_feedparser_chokes_on_are_refused_with_a_reason():
    body = b"<rss version='2.0'><channel><item><link>https://news.example.gov/a</link>" + \
           "<title>x&#xD800;</title>".encode("utf-16-le") + b"</item></channel></rss>"
    try:
        entries, _ = parse_feed(body, SOURCE)
    except BadInputError as exc:
        assert str(exc).strip()
    else:
        assert all(e.url.startswith("https://") for e in entries)


def test_a_retired_finder_is_feed_ended_not_an_empty_feed():
    from config.errors import FeedEndedError

    # the shape of alphagov/finder-frontend's show-redirect.atom.builder: one entry, no link
    retired = (b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
               b"<title>/search/news-and-communications</title><entry><id>tag:x,2005:ended</id>"
               b'<title>This feed has ended</title><summary type="html">&lt;p&gt;This feed no '
               b"longer exists.&lt;/p&gt;</summary></entry></feed>")
    with pytest.raises(FeedEndedError, match="This feed has ended.*no longer exists"):
        parse_feed(retired, SOURCE)
    live = RSS.replace(b"<title>Second</title>", b"<title>This feed has ended? Not this one</title>")
    assert len(parse_feed(live, SOURCE)[0]) == 2  # one such title among real entries is an entry
