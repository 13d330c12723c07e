"""Source registry: the shipped file validates; bad entries are rejected with file and reason."""

import pytest

from config.errors import ConfigError
from crawlers.registry import load_registry


def test_shipped_registry_is_valid():
    reg = load_registry()
    assert len(reg.sources) >= 40
    assert {"listing", "api", "feed", "sitemap"} == {s.kind for s in reg.sources}
    assert "www.whitehouse.gov" in reg.allowed_hosts()
    for s in reg.sources:
        assert s.verification()[0] in {"recorded", "documented", "unverified"}


@pytest.mark.parametrize("entry,reason", [
    ("{id: Bad_Id, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'unverified: x'}", "id"),
    ("{id: ok, name: n, publisher: p, country: USA, language: en, kind: feed, url: 'https://x.gov/f', verified: 'unverified: x'}", "country"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: ftp, url: 'https://x.gov/f', verified: 'unverified: x'}", "kind"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: feed, url: 'javascript:alert(1)', verified: 'unverified: x'}", "url"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'trust me'}", "verified"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'documented:'}", "verified"),
    ("{id: ok, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'unverified: x', unavailable: ''}", "unavailable"),
])
def test_bad_entry_names_file_and_reason(tmp_path, entry, reason):
    path = tmp_path / "sources.yaml"
    path.write_text(f"sources:\n  - {entry}\n")
    with pytest.raises(ConfigError) as info:
        load_registry(path)
    assert str(path) in str(info.value) and reason in str(info.value)


def test_duplicate_ids_rejected(tmp_path):
    e = "{id: a, name: n, publisher: p, country: US, language: en, kind: feed, url: 'https://x.gov/f', verified: 'unverified: x'}"
    path = tmp_path / "s.yaml"
    path.write_text(f"sources:\n  - {e}\n  - {e}\n")
    with pytest.raises(ConfigError, match="duplicate"):
        load_registry(path)


def test_registry_covers_the_required_publishers_and_topics():
    from pathlib import Path

    import yaml

    reg = load_registry()
    countries = {s.country for s in reg.sources}
    assert {"US", "EU", "GB", "JP", "KR", "DE", "NL", "FI", "SE", "FR", "INT", "CN"} <= countries
    hosts = reg.allowed_hosts()
    for host in ("www.whitehouse.gov", "www.federalregister.gov", "ustr.gov", "www.nist.gov",
                 "www.nsf.gov", "ec.europa.eu", "eur-lex.europa.eu", "www.gov.uk", "www.meti.go.jp",
                 "www.cao.go.jp", "english.motie.go.kr", "www.msit.go.kr", "www.fraunhofer.de",
                 "www.tno.nl", "www.vttresearch.com", "www.vinnova.se", "www.wto.org",
                 "www.wipo.int", "www.imd.org", "english.mofcom.gov.cn", "public-inspection.federalregister.gov"):
        assert host in hosts, host
    taxonomy = Path(__file__).resolve().parent.parent / "nlp" / "taxonomy.yaml"
    known = {t["id"] for t in yaml.safe_load(taxonomy.read_text())["topics"]}
    for s in reg.sources:
        assert set(s.topics) <= known, (s.id, s.topics)
        assert s.verified.split(":", 1)[1].strip(), s.id  # every status says why


def test_listing_without_selectors_and_bad_sitemap_rule_rejected(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("sources:\n  - {id: l, name: n, publisher: p, country: US, language: en, "
                    "kind: listing, url: 'https://x.gov/', verified: 'unverified: x'}\n")
    with pytest.raises(ConfigError, match="selectors"):
        load_registry(path)
    path.write_text("sources:\n  - {id: s, name: n, publisher: p, country: US, language: en, "
                    "kind: sitemap, url: 'https://x.gov/sitemap.xml', sitemap_rules: ['(['], "
                    "verified: 'unverified: x'}\n")
    with pytest.raises(ConfigError, match="sitemap rule"):
        load_registry(path)


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent


def test_every_recorded_claim_names_a_file_in_the_project():
    import re

    reg = load_registry()
    for s in reg.sources:
        for path in re.findall(r"recorded: (\S+)", s.verified):
            assert (ROOT / path).is_file(), (s.id, path)


def test_what_issue_14_knows_is_applied():
    reg = load_registry()
    ustr = reg.get("ustr-press-releases")
    assert "/about/policy-offices/" in ustr.url and "about-us" not in ustr.url
    assert reg.get("ustr-news").url == "https://ustr.gov/rss.xml"
    assert not any(s.url.endswith("/press-releases/rss.xml") for s in reg.sources)
    assert reg.get("eurlex-oj-l").url.endswith("display-feed.rss?rssId=222")
    assert reg.get("eurlex-oj-c").url.endswith("display-feed.rss?rssId=221")
    assert reg.get("ec-trade-news").url == "https://policy.trade.ec.europa.eu/node/2/rss_en"
    assert "coo/nist-rss-feeds" in reg.get("nist-news").verified
    wto = reg.get("wto-news")
    assert wto.enabled and wto.unavailable and "robots.txt" in wto.unavailable
    bmftr = reg.get("bmftr-press")
    assert bmftr.selectors.item == "a.c-teaser" and "c-nav-index__item" in bmftr.selectors.next
    assert bmftr.selectors.date == "time.c-topline__time"
    assert {"www.bmbf.de", "www.bmftr.bund.de"} <= bmftr.hosts()
    for sid in ("mofcom-en-news", "mofcom-zh-announcements"):
        assert reg.get(sid).selectors.item == ".txtList_01 li"


def test_a_source_declared_unavailable_shows_in_health_before_and_after_a_refusal(con, settings):
    from datetime import UTC, datetime

    from crawlers.health import source_health
    from store.runs import record_source_run

    wto = load_registry().get("wto-news")
    now = datetime(2025, 4, 3, tzinfo=UTC)
    h = source_health(con, wto, settings.crawl, now)
    assert h.flags == ("never-crawled", "unavailable") and "robots.txt" in h.note
    for i in range(4):  # refused every day: one state, not a growing count of failures
        record_source_run(con, f"r{i}", wto.id, now, "blocked", 0, 0, 1,
                             "robots.txt disallows https://www.wto.org/library/rss/latest_news_e.xml")
    h = source_health(con, wto, settings.crawl, now)
    assert h.flags == ("blocked", "unavailable") and "robots.txt disallows" in h.note


def test_taiwan_entries_follow_what_public_crawlers_show_and_say_what_is_unchecked():
    reg = load_registry()
    ey = reg.get("ey-news")
    assert ey.url == "https://www.ey.gov.tw/Page/6485009ABEC1CB9C"  # 本院新聞, not /Page/26952B6BCAD013A7
    assert ey.selectors.item == "ul.list-group-item > li" and ey.selectors.date == ".date"
    assert reg.get("moea-news").selectors.item == "#holderContent_grdNews tbody tr"
    for sid in ("tw-president-news", "ey-news", "moea-news", "ndc-business-indicators"):
        s = reg.get(sid)
        assert s.country == "TW" and s.timezone == "Asia/Taipei", sid
        # nothing of Taiwan's side was fetched from this machine: every entry says so
        assert "not read from this machine" in s.verified or "nothing fetched from this machine" in s.verified, sid
    assert reg.get("ndc-business-indicators").verification()[0] == "unverified"
