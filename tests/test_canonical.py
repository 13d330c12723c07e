"""Canonical URLs strip tracking, fragments, default ports; keep meaningful queries."""

from crawlers.canonical import canonical_url


def test_tracking_and_fragment_removed():
    assert canonical_url("https://WWW.WhiteHouse.gov/a/?utm_source=x&utm_medium=y#top") == "https://www.whitehouse.gov/a/"


def test_meaningful_query_kept_and_sorted():
    assert canonical_url("https://x.gov/s?b=2&a=1&fbclid=z") == "https://x.gov/s?a=1&b=2"


def test_default_port_dropped_other_kept():
    assert canonical_url("https://x.gov:443/p") == "https://x.gov/p"
    assert canonical_url("http://x.gov:8080/p") == "http://x.gov:8080/p"
