"""Foreign registry sources as issue 14 knows them, crawled over loopback with real Scrapy and
feedparser: recorded real pages (tests/fixtures/foreign, see its README) where they exist,
feeds and listings built here from the documented shape where none was recorded.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config.errors import BlockedError
from crawlers.crawl import CrawlWindow, crawl, source_retry_wait
from crawlers.health import source_health
from crawlers.registry import load_registry
from tests.servers import FIXTURES, HTML, Route

pytestmark = pytest.mark.slow

FOREIGN = FIXTURES / "foreign"
BMBF_PRESS = FOREIGN / "bmftr-press" / "bmbf-pressemitteilung-2022-01-26-260122-Directions.html"
BMBF_TOPIC = FOREIGN / "bmftr-press" / "bmbf-themenseite-energiewende-und-nachhaltiges-wirtschaften.html"
BMWK_NEWS = FOREIGN / "bmwk-press" / "bmwi-meldung-2022-01-24-foerderung-energieeffiziente-gebaeude.html"
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}


def _settings(settings, server, *hosts):
    crawl_cfg = settings.crawl.model_copy(update={
        "host_map": {h: server.base for h in hosts}, "retries": 0, "timeout_s": 5.0})
    return settings.model_copy(update={"crawl": crawl_cfg})


def _docs(con, source_id):
    rows = con.execute("SELECT canonical_url, title, published_at, published_precision, language, "
                       "text FROM documents WHERE source_id = ?", [source_id]).fetchall()
    return {r[0]: r[1:] for r in rows}


def _status(con, source_id):
    return con.execute("SELECT status, detail FROM source_runs WHERE source_id = ? "
                       "ORDER BY finished_at DESC LIMIT 1", [source_id]).fetchone()


# --------------------------------------------------------------------------- BMFTR (BMBF)
BMBF_FORM = "/SiteGlobals/Forms/bmbf/suche/pressemitteilungen/Pressemitteilungensuche_Formular.html"
BMFTR_FORM = "/SiteGlobals/Forms/bmftr/suche/pressemitteilungen/Pressemitteilungensuche_Formular.html"
PRESS = "/SharedDocs/Pressemitteilungen/DE/2022/01/260122-Directions.html"
TOPIC = "/DE/Forschung/energiewende-und-nachhaltiges-wirtschaften_node.html"


def _teaser(href: str, day: str, title: str) -> str:
    # the documented teaser: an <a class="c-teaser"> holding the topline with its <time>
    return (f'<a class="c-teaser" href="{href}"><small class="c-topline">'
            f'<time datetime="{day}" class="c-topline__time">{day}</time></small>'
            f'<strong class="c-teaser__headline">{title}</strong></a>')


def _bmftr_page(teasers: list[str], pages: int, current: int) -> bytes:
    nav = "".join(
        f'<li class="c-nav-index__item"><strong>{n}</strong></li>' if n == current else
        f'<li class="c-nav-index__item"><a href="{BMFTR_FORM.lstrip("/")}?gtp=2_list%3D{n}">{n}</a></li>'
        for n in range(1, pages + 1))
    # GSB pages carry <base href>: the teasers' relative links resolve against it
    return (f'<html lang="de"><head><base href="https://www.bmftr.bund.de/"/></head><body>'
            f'<div class="c-search-results">{"".join(teasers)}</div>'
            f'<ul class="c-nav-index">{nav}</ul></body></html>').encode()


@pytest.fixture
def bmftr(settings, fault_server):
    fs = fault_server
    fs.routes[f"{BMBF_FORM}?resultsPerPage=50"] = Route(
        301, {"Location": f"https://www.bmftr.bund.de{BMFTR_FORM}?resultsPerPage=50"}, b"")
    fs.routes[f"{BMFTR_FORM}?resultsPerPage=50"] = Route(200, HTML, _bmftr_page(
        [_teaser(PRESS.lstrip("/") + ";jsessionid=0A1B2C3D?nn=123", "2022-01-26", "Datenschutz")],
        2, 1))
    fs.routes[f"{BMFTR_FORM}?gtp=2_list%3D2"] = Route(200, HTML, _bmftr_page(
        [_teaser(TOPIC.lstrip("/"), "2022-01-20", "Energiewende")], 2, 2))
    fs.routes[PRESS + ";jsessionid=0A1B2C3D?nn=123"] = Route(200, HTML, BMBF_PRESS.read_bytes())
    fs.routes[TOPIC] = Route(200, HTML, BMBF_TOPIC.read_bytes())
    return _settings(settings, fs, "www.bmbf.de", "www.bmftr.bund.de"), fs


def test_bmftr_press_list_walks_teasers_and_pages_to_the_recorded_articles(con, bmftr):
    settings, fs = bmftr
    counts = crawl(con, settings, load_registry(), ["bmftr-press"], CrawlWindow())
    assert _status(con, "bmftr-press")[0] == "ok", counts.as_dict()
    docs = _docs(con, "bmftr-press")
    press = docs["https://www.bmftr.bund.de" + PRESS + "?nn=123"]  # ;jsessionid= dropped
    assert press[0] == ("Stark-Watzinger: Forschungsprojekt legt Grundstein für "
                        "Datenschutzzertifizierung von Bildungsprodukten")  # no " - BMBF"
    assert press[1] == datetime(2022, 1, 25, 23, 0, tzinfo=UTC)  # 26.01.2022 in Berlin
    assert press[2] == "date" and press[3] == "de" and "DIRECTIONS" in press[4]
    topic = docs["https://www.bmftr.bund.de" + TOPIC]  # page 2, via li.c-nav-index__item
    assert topic[0] == "Energiewende und nachhaltiges Wirtschaften"
    assert topic[1] == datetime(2022, 1, 19, 23, 0, tzinfo=UTC)  # no date on the page: the teaser's
    assert any(p.startswith(BMBF_FORM) for p, _ in fs.hits)  # the old host, redirected


def test_a_recorded_page_without_teasers_flags_the_bmftr_list_as_changed(con, bmftr):
    settings, fs = bmftr
    fs.routes[f"{BMFTR_FORM}?resultsPerPage=50"] = Route(200, HTML, BMBF_TOPIC.read_bytes())
    reg = load_registry()
    crawl(con, settings, reg, ["bmftr-press"], CrawlWindow())
    status, detail = _status(con, "bmftr-press")
    assert status == "layout" and "a.c-teaser" in detail
    assert "layout" in source_health(con, reg.get("bmftr-press"), settings.crawl).flags


# --------------------------------------------------------------------------- BMWK
BMWK_PATH = "/Redaktion/DE/Meldung/2022/20220124-foerderung-fur-energieeffiziente-gebaude-durch-kfw.html"
BMWK_FEED = "/SiteGlobals/BMWI/Functions/RSSFeed/DE/RSSFeed-Pressemitteilungen.xml"


def test_bmwk_feed_to_the_recorded_news_page(con, settings, fault_server):
    # the feed's shape is not recorded anywhere: a plain RSS 2.0 item without a date, so the
    # date must come from the page ("24.01.2022" in p.topline span.date, no machine date)
    link = f"https://www.bundeswirtschaftsministerium.de{BMWK_PATH};jsessionid=8EC5ABD70631156A6127EBB669854F11"
    fault_server.routes[BMWK_FEED] = Route(200, RSS, (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>BMWK</title>'
        f"<item><title>Förderung gestoppt</title><link>{link}</link></item></channel></rss>").encode())
    # the entry's link is canonical before it is fetched: the session id is never sent
    fault_server.routes[BMWK_PATH] = Route(200, HTML, BMWK_NEWS.read_bytes())
    cfg = _settings(settings, fault_server, "www.bundeswirtschaftsministerium.de")
    crawl(con, cfg, load_registry(), ["bmwk-press"], CrawlWindow())
    assert _status(con, "bmwk-press")[0] == "ok"
    title, published, precision, lang, text = _docs(con, "bmwk-press")[
        "https://www.bundeswirtschaftsministerium.de" + BMWK_PATH]
    assert title.startswith("Förderung für energieeffiziente Gebäude der KfW vorläufig gestoppt")
    assert "\n" not in title and "\t" not in title  # the <title> is full of both
    assert published == datetime(2022, 1, 23, 23, 0, tzinfo=UTC) and precision == "date"
    assert lang == "de" and "Bundesförderung für effiziente Gebäude" in text


# --------------------------------------------------------------------------- refusals
def test_wto_robots_txt_is_obeyed_and_the_source_shows_blocked(con, settings, fault_server):
    fault_server.routes["/robots.txt"] = Route(200, {"Content-Type": "text/plain"},
                                               b"User-agent: *\nDisallow: /\n")
    cfg = _settings(settings, fault_server, "www.wto.org")
    reg = load_registry()
    counts = crawl(con, cfg, reg, ["wto-news"], CrawlWindow())
    assert [p for p, _ in fault_server.hits] == ["/robots.txt"]  # the feed was never asked for
    status, detail = _status(con, "wto-news")
    assert status == "blocked" and "robots.txt disallows" in detail
    assert isinstance(counts.failures["wto-news"], BlockedError)
    assert source_retry_wait(counts, "wto-news", 0, cfg.crawl) is None  # not retried at once
    health = source_health(con, reg.get("wto-news"), cfg.crawl)
    assert health.flags == ("blocked", "unavailable") and "robots.txt" in health.note


def test_eurlex_waf_challenge_is_blocked_not_an_empty_feed(con, settings, fault_server):
    challenge = Route(202, {"x-amzn-waf-action": "challenge", "Content-Type": "text/html"},
                      b"<html><script>AwsWafIntegration.getToken()</script></html>")
    fault_server.routes["/EN/display-feed.rss?rssId=222"] = challenge
    cfg = _settings(settings, fault_server, "eur-lex.europa.eu")
    reg = load_registry()
    crawl(con, cfg, reg, ["eurlex-oj-l"], CrawlWindow())
    status, detail = _status(con, "eurlex-oj-l")
    assert status == "blocked" and "x-amzn-waf-action" in detail and "202" in detail
    assert _docs(con, "eurlex-oj-l") == {}
    assert "blocked" in source_health(con, reg.get("eurlex-oj-l"), cfg.crawl).flags


@pytest.mark.parametrize("answer", ["robots", "waf"])
def test_a_listing_refused_by_robots_txt_or_a_waf_is_blocked(con, settings, fault_server, answer):
    if answer == "robots":
        fault_server.routes["/robots.txt"] = Route(200, {"Content-Type": "text/plain"},
                                                   b"User-agent: *\nDisallow: /\n")
    else:
        fault_server.routes["/press-releases"] = Route(
            405, {"x-amzn-waf-action": "captcha", "Content-Type": "text/html"}, b"<html>captcha</html>")
    cfg = _settings(settings, fault_server, "www.trade.gov")
    counts = crawl(con, cfg, load_registry(), ["ita-press-releases"], CrawlWindow())
    status, detail = _status(con, "ita-press-releases")
    assert status == "blocked", (detail, counts.as_dict())
    assert ("robots.txt" in detail) if answer == "robots" else ("captcha" in detail)
    if answer == "robots":
        assert "/press-releases" not in {p for p, _ in fault_server.hits}


# --------------------------------------------------------------------------- GOV.UK
GOVUK = "/search/news-and-communications.atom?organisations[]=department-for-science-innovation-and-technology"


def _route_govuk(fault_server, route):
    # the client may send the brackets as they are or percent-encoded
    for path in (GOVUK, GOVUK.replace("[]", "%5B%5D")):
        fault_server.routes[path] = route


def test_a_retired_govuk_finder_flags_the_source_ended(con, settings, fault_server):
    # as alphagov/finder-frontend's show-redirect.atom.builder writes it: one entry, no link
    _route_govuk(fault_server, Route(200, ATOM, (
        b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<id>tag:www.gov.uk,2005:/search/news-and-communications</id>"
        b"<title>/search/news-and-communications</title><entry><id>tag:www.gov.uk,2005:feed-ended</id>"
        b'<title>This feed has ended</title><summary type="html">&lt;p&gt;This feed no longer '
        b"exists.&lt;/p&gt;</summary></entry></feed>")))
    cfg = _settings(settings, fault_server, "www.gov.uk")
    reg = load_registry()
    crawl(con, cfg, reg, ["govuk-dsit-news"], CrawlWindow())
    status, detail = _status(con, "govuk-dsit-news")
    assert status == "ended" and "This feed has ended" in detail and "no longer exists" in detail
    health = source_health(con, reg.get("govuk-dsit-news"), cfg.crawl)
    assert health.flags == ("ended",) and "retired" in health.note
    assert _docs(con, "govuk-dsit-news") == {}


def test_govuk_entries_dated_by_updated_alone(con, settings, fault_server):
    _route_govuk(fault_server, Route(200, ATOM, (
        b'<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        b"<id>tag:www.gov.uk,2005:/search/news-and-communications</id><title>DSIT</title>"
        b"<updated>2025-04-02T10:15:00+01:00</updated><author><name>HM Government</name></author>"
        b"<entry><id>tag:www.gov.uk,2005:/government/news/ai-plan</id><updated>2025-04-02T10:15:00+01:00</updated>"
        b'<link rel="alternate" type="text/html" href="https://www.gov.uk/government/news/ai-plan"/>'
        b'<title>AI plan</title><summary type="html">The plan.</summary></entry></feed>')))
    fault_server.routes["/government/news/ai-plan"] = Route(200, HTML, (
        "<html lang='en'><body><main><h1>AI plan</h1><p>" + "The plan in detail. " * 20
        + "</p></main></body></html>").encode())
    cfg = _settings(settings, fault_server, "www.gov.uk")
    crawl(con, cfg, load_registry(), ["govuk-dsit-news"], CrawlWindow())
    (title, published, *_), = _docs(con, "govuk-dsit-news").values()
    assert title == "AI plan" and published == datetime(2025, 4, 2, 9, 15, tzinfo=UTC)


# --------------------------------------------------------------------------- trade.gov, MOFCOM
def _article(title: str) -> bytes:  # no date of its own: the listing's date is used
    return (f"<html lang='en'><body><main><h1>{title}</h1><p>" + "Trade policy detail. " * 20
            + "</p></main></body></html>").encode()


def test_trade_gov_list_of_dated_items(con, settings, fault_server):
    fault_server.routes["/press-releases"] = Route(200, HTML, (
        b"<html><body><nav><ul><li><a href='/about'>About</a></li></ul></nav><main>"
        b"<h2>Press Releases</h2><h3>April 2025</h3><ul>"
        b"<li>4/2/25<br><a href='/press-release/tariff-guidance'>Tariff guidance</a></li>"
        b"<li>4/1/25<br><a href='/press-release/export-mission'>Export mission</a></li></ul>"
        b"<h3>March 2025</h3><ul><li>3/31/25<br><a href='/press-release/chips'>Chips</a></li></ul>"
        b"</main></body></html>"))
    for slug, title in (("tariff-guidance", "Tariff guidance"), ("export-mission", "Export mission"),
                        ("chips", "Chips")):
        fault_server.routes[f"/press-release/{slug}"] = Route(200, HTML, _article(title))
    crawl(con, _settings(settings, fault_server, "www.trade.gov"), load_registry(),
          ["ita-press-releases"], CrawlWindow())
    docs = _docs(con, "ita-press-releases")
    assert {d[0] for d in docs.values()} == {"Tariff guidance", "Export mission", "Chips"}
    assert docs["https://www.trade.gov/press-release/tariff-guidance"][1] == datetime(
        2025, 4, 2, 4, 0, tzinfo=UTC)  # 4/2/25, midnight in Washington
    assert "/about" not in {p for p, _ in fault_server.hits}


def test_mofcom_list_with_script_redirects_and_iframes(con, settings, fault_server):
    fault_server.routes["/News/index.html"] = Route(200, HTML, (
        "<html><body><div class='txtList_01'><ul>"
        "<li><a href='/News/a1.html'>Plain</a><span>2025年4月3日</span></li>"
        "<li><a href='/News/a2.html'>Moved</a><span>2025年4月2</span></li>"
        "<li><a href='/News/a3.html'>Framed</a><span>[2025-04-01]</span></li>"
        "</ul></div></body></html>").encode())
    fault_server.routes["/News/a1.html"] = Route(200, HTML, _article("Plain"))
    fault_server.routes["/News/a2.html"] = Route(200, HTML, (
        b"<html><head><script>window.location.href = '/art/2025/moved.html';</script></head>"
        b"<body></body></html>"))
    fault_server.routes["/art/2025/moved.html"] = Route(200, HTML, _article("Moved for real"))
    fault_server.routes["/News/a3.html"] = Route(200, HTML, (
        b"<html><body><iframe src='/art/2025/framed.html' width='100%'></iframe></body></html>"))
    fault_server.routes["/art/2025/framed.html"] = Route(200, HTML, _article("Framed for real"))
    crawl(con, _settings(settings, fault_server, "english.mofcom.gov.cn"), load_registry(),
          ["mofcom-en-news"], CrawlWindow())
    docs = _docs(con, "mofcom-en-news")
    base = "https://english.mofcom.gov.cn/News/"
    assert {u: d[0] for u, d in docs.items()} == {  # stored under the listed URLs
        base + "a1.html": "Plain", base + "a2.html": "Moved for real", base + "a3.html": "Framed for real"}
    assert docs[base + "a1.html"][1] == datetime(2025, 4, 2, 16, 0, tzinfo=UTC)  # 2025年4月3日, Beijing
    assert docs[base + "a2.html"][1] == datetime(2025, 4, 1, 16, 0, tzinfo=UTC)  # 2025年4月2 (no 日)
    assert "Trade policy detail" in docs[base + "a3.html"][4]
