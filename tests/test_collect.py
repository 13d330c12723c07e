"""crawlers.collect.page_document: which date a fetched page's document gets (page or feed)."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from crawlers.collect import page_document
from crawlers.counts import CrawlWindow
from crawlers.registry import load_registry
from replay.mirror_foreign import PRESIDENT, load_foreign, president_article

SNAPSHOT = Path(__file__).resolve().parent.parent / "demo" / "snapshot"
TAIPEI = ZoneInfo("Asia/Taipei")


def _president_item():
    return next(it for it in load_foreign(SNAPSHOT) if it.host == PRESIDENT
                and it.published.date().isoformat() == "2025-04-06")


def test_a_page_showing_only_the_feeds_day_keeps_the_feeds_time():
    source = load_registry().get("tw-president-news")
    item = _president_item()
    body = president_article(item).encode()  # div.pageDate1 span.date 114年04月06日, no time
    pub = datetime(2025, 4, 6, 15, 30, tzinfo=TAIPEI)  # RSS pubDate of the same day, with a time
    doc = page_document(source, item.url, body, "text/html; charset=UTF-8", None, CrawlWindow(),
                        hint_date=pub, hint_offset="+08:00")
    assert doc.published_at == pub and doc.published_precision == "datetime"


def test_a_page_date_of_another_day_than_the_feed_wins():
    source = load_registry().get("tw-president-news")
    item = _president_item()
    body = president_article(item).encode()
    wrong = datetime(2025, 4, 9, 9, 0, tzinfo=TAIPEI)  # a feed re-dating the item on a later day
    doc = page_document(source, item.url, body, "text/html; charset=UTF-8", None, CrawlWindow(),
                        hint_date=wrong, hint_offset="+08:00")
    assert doc.published_at == datetime(2025, 4, 6, tzinfo=TAIPEI)  # the page's 114年04月06日
    assert doc.published_precision == "date"


def test_an_undated_page_takes_the_feeds_date():
    source = load_registry().get("tw-president-news")
    item = _president_item()
    body = president_article(item).replace('<span class="date">114年04月06日</span>', "").encode()
    pub = datetime(2025, 4, 6, 15, 30, tzinfo=TAIPEI)
    doc = page_document(source, item.url, body, "text/html; charset=UTF-8", None, CrawlWindow(),
                        hint_date=pub, hint_offset="+08:00")
    assert doc.published_at == pub
