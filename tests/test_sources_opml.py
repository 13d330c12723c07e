"""OPML export/import of feed sources round-trips through a real registry file."""

from __future__ import annotations

import shutil

import pytest

from config.errors import BadInputError
from crawlers.opml import export_opml, import_opml, parse_opml
from crawlers.registry import DEFAULT_SOURCES, load_registry

EXTERNAL = b"""<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
<outline text="Trade"><outline type="rss" text="UK Export Finance news" language="en-GB"
 xmlUrl="https://www.gov.uk/search/news-and-communications.atom?organisations[]=uk-export-finance"/>
<outline type="rss" text="WTO latest" xmlUrl="https://www.wto.org/library/rss/latest_news_e.xml"/>
</outline></body></opml>"""


def test_export_lists_every_feed_source():
    reg = load_registry()
    parsed = parse_opml(export_opml(reg).encode(), "export")
    feeds = {s.id: s for s in reg.sources if s.kind == "feed"}
    assert {e["id"] for e in parsed} == set(feeds)
    e = next(e for e in parsed if e["id"] == "meti-news-ja")
    assert e["country"] == "JP" and e["language"] == "ja" and e["url"] == feeds["meti-news-ja"].url


def test_import_adds_new_feeds_skips_known_and_keeps_registry_valid(tmp_path):
    registry = tmp_path / "sources.yaml"
    shutil.copy(DEFAULT_SOURCES, registry)
    before = load_registry(registry)
    opml = tmp_path / "feeds.opml"
    opml.write_bytes(EXTERNAL)
    added = import_opml(opml, registry, country="GB")
    assert added == ["uk-export-finance-news"]  # the WTO feed is already registered
    after = load_registry(registry)
    assert len(after.sources) == len(before.sources) + 1
    new = after.get("uk-export-finance-news")
    assert new.kind == "feed" and new.country == "GB" and new.verified.startswith("unverified")
    assert "# The source registry" in registry.read_text()  # comments kept
    assert import_opml(opml, registry) == []  # idempotent


def test_not_opml_is_bad_input(tmp_path):
    bad = tmp_path / "x.opml"
    bad.write_text("<html><body>nope</body></html>")
    with pytest.raises(BadInputError, match="not OPML"):
        import_opml(bad, DEFAULT_SOURCES)
