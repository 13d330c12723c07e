"""The mirror's foreign sites (replay/mirror_foreign.py) on the real bundled items."""

from datetime import datetime
from pathlib import Path
from urllib.robotparser import RobotFileParser

import feedparser
import httpx
import pytest

from crawlers.extract import extract_page
from replay.mirror import Mirror
from replay.mirror_foreign import (
    PRESIDENT,
    ForeignItem,
    generic_article,
    president_article,
    published_instant,
)

SNAPSHOT = Path(__file__).resolve().parents[1] / "demo" / "snapshot"


def _at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


@pytest.fixture(scope="module")
def mirror():
    m = Mirror(SNAPSHOT, _at("2025-04-07T07:00:00+08:00")).start()
    yield m
    m.stop()


def _get(mirror, url: str) -> httpx.Response:
    host = url.split("/")[2]
    return httpx.get(url.replace(f"https://{host}", mirror.host_map()[host]), timeout=10)


def test_president_rss_shows_what_was_published_by_then(mirror):
    mirror.set_as_of(_at("2025-04-05T07:00:00+08:00"))
    before = feedparser.parse(_get(mirror, "https://www.president.gov.tw/RSSNEWS.aspx").content)
    mirror.set_as_of(_at("2025-04-07T07:00:00+08:00"))
    after = feedparser.parse(_get(mirror, "https://www.president.gov.tw/RSSNEWS.aspx").content)
    links = [e.link for e in after.entries]
    assert "https://www.president.gov.tw/NEWS/39165" in links  # 4/6 五大因應策略
    assert "https://www.president.gov.tw/NEWS/39165" not in [e.link for e in before.entries]
    assert all(e.get("published") and e.get("summary") for e in after.entries)


def test_president_article_page_shape_and_extraction(mirror):
    resp = _get(mirror, "https://www.president.gov.tw/NEWS/39165")
    assert resp.status_code == 200
    html = resp.text
    assert '<div class="pageDate1"><span class="date">114年04月06日</span>' in html
    assert '<div class="pageTitle1">總統針對美國關稅政策提出五大因應策略' in html
    ex = extract_page(resp.content, "https://www.president.gov.tw/NEWS/39165", resp.headers["content-type"],
                      default_tz="Asia/Taipei")
    assert "對等關稅" in ex.text and "32%" in ex.text
    assert "網站導覽" not in ex.text  # the footer is not the article
    # the page's ROC date (114年04月06日) is not read by the extractor today: the crawl keeps the
    # RSS pubDate for these pages (crawlers.collect.page_document's hint)
    # a later item does not exist yet
    assert _get(mirror, "https://www.president.gov.tw/NEWS/39170").status_code == 404


def test_a_date_only_item_shows_its_own_day_not_the_utc_one(mirror):
    """Sites print their own day: METI's release of 7 April (2025-04-06T15:00Z in the corpus,
    00:00 in Tokyo) shows 2025-04-07, and a 總統府 item of 6 April (2025-04-05T16:00Z) shows
    114年04月06日, as the real pages do; the feeds keep the instant."""
    page = _get(mirror, "https://www.meti.go.jp/press/2025/04/20250407001/20250407001.html")
    assert page.status_code == 200
    assert '<time datetime="2025-04-07">2025-04-07</time>' in page.text
    doc = {"id": "tw-president-x", "country": "TW", "published": "2025-04-05T16:00:00Z",
           "title": "總統府新聞", "text": "內文。", "url": "https://www.president.gov.tw/NEWS/1"}
    item = ForeignItem(doc, PRESIDENT, "/NEWS/1", published_instant(doc))
    assert '<span class="date">114年04月06日</span>' in president_article(item)
    assert '<time datetime="2025-04-06">' in generic_article(item, "zh-Hant-TW", "總統府")


def test_meti_atom_and_lead_pages(mirror):
    mirror.set_as_of(_at("2025-04-11T07:00:00+08:00"))
    feed = feedparser.parse(_get(mirror, "https://www.meti.go.jp/ml_index_release_atom.xml").content)
    titles = [e.title for e in feed.entries]
    assert "第2回米国関税対策本部を開催しました" in titles
    first = feed.entries[0]
    assert first.get("updated") and first.get("summary") and first.link.startswith("https://www.meti.go.jp/press/")
    page = _get(mirror, first.link)
    assert page.status_code == 200 and first.title in page.text
    mirror.set_as_of(_at("2025-04-07T07:00:00+08:00"))


def test_eurlex_oj_feeds_and_act_page(mirror):
    l_series = feedparser.parse(_get(mirror, "https://eur-lex.europa.eu/EN/display-feed.rss?rssId=222").content)
    assert [e.link for e in l_series.entries] == [
        "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32024R1689"]
    c_series = feedparser.parse(_get(mirror, "https://eur-lex.europa.eu/EN/display-feed.rss?rssId=221").content)
    assert c_series.entries == [] and c_series.feed.get("title")
    assert _get(mirror, "https://eur-lex.europa.eu/EN/display-feed.rss?rssId=999").status_code == 404
    act = _get(mirror, "https://eur-lex.europa.eu/legal-content/EN/TXT/?uri=CELEX:32024R1689")
    assert act.status_code == 200 and "Artificial Intelligence Act" in act.text


def test_ec_presscorner_and_govuk_feeds(mirror):
    ec = feedparser.parse(_get(mirror, "https://ec.europa.eu/commission/presscorner/api/rss?language=en").content)
    assert ec.entries and all("/presscorner/detail/en/" in e.link for e in ec.entries)
    assert max(e.published_parsed for e in ec.entries)[:3] <= (2025, 4, 7)
    uk = _get(mirror, "https://www.gov.uk/search/news-and-communications.atom")
    parsed = feedparser.parse(uk.content)
    assert len(parsed.entries) == 20
    assert "<published>" not in uk.text and all(e.get("updated") for e in parsed.entries)  # finder shape
    treasury = feedparser.parse(_get(
        mirror, "https://www.gov.uk/search/news-and-communications.atom?organisations[]=hm-treasury").content)
    assert len(treasury.entries) == 2  # "Hundreds of millions of new investment…", the Swiss dialogue
    dsit = feedparser.parse(_get(mirror, "https://www.gov.uk/search/news-and-communications.atom"
                                         "?organisations[]=department-for-science-innovation-and-technology").content)
    assert dsit.entries == [] and dsit.feed.get("title")


def test_wto_refuses_every_crawler(mirror):
    robots = RobotFileParser()
    robots.parse(_get(mirror, "https://www.wto.org/robots.txt").text.splitlines())
    assert not robots.can_fetch("policy-radar", "https://www.wto.org/library/rss/latest_news_e.xml")
    assert _get(mirror, "https://www.wto.org/library/rss/latest_news_e.xml").status_code == 404


def test_korean_board_listing(mirror):
    mirror.set_as_of(_at("2026-08-20T09:00:00+09:00"))
    board = _get(mirror, "https://www.motir.go.kr/kor/article/ATCL3f49a5a8c")
    mirror.set_as_of(_at("2025-04-07T07:00:00+08:00"))
    assert board.status_code == 200
    assert "7월 자동차 수출 역대 최대" in board.text
    assert 'href="https://www.motir.go.kr/kor/article/ATCL3f49a5a8c/172105/view"' in board.text


def test_foreign_hosts_are_in_the_host_map(mirror):
    hosts = set(mirror.host_map())
    assert {"www.president.gov.tw", "www.meti.go.jp", "eur-lex.europa.eu", "ec.europa.eu",
            "www.gov.uk", "www.wto.org", "www.whitehouse.gov"} <= hosts
