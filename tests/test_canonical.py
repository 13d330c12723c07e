"""Canonical URLs strip tracking, fragments, default ports; keep meaningful queries."""

from crawlers.canonical import canonical_url


def test_tracking_and_fragment_removed():
    assert canonical_url("https://WWW.WhiteHouse.gov/a/?utm_source=x&utm_medium=y#top") == "https://www.whitehouse.gov/a/"


def test_meaningful_query_kept_and_sorted():
    assert canonical_url("https://x.gov/s?b=2&a=1&fbclid=z") == "https://x.gov/s?a=1&b=2"


def test_default_port_dropped_other_kept():
    assert canonical_url("https://x.gov:443/p") == "https://x.gov/p"
    assert canonical_url("http://x.gov:8080/p") == "http://x.gov:8080/p"


def test_servlet_session_id_in_the_path_dropped():
    # GSB sites (BMWK, BMFTR) put ";jsessionid=..." in links: one page, many session ids
    url = "https://www.bmwi.de/Redaktion/DE/Meldung/2022/x.html;jsessionid=8EC5ABD7?nn=1"
    assert canonical_url(url) == "https://www.bmwi.de/Redaktion/DE/Meldung/2022/x.html?nn=1"
    assert canonical_url("https://x.de/a.ico;JSESSIONID=8E.n1") == "https://x.de/a.ico"
