"""UI watchlists in a real DuckDB file: create, update, delete, alert delivery settings, and
recent hits with the alerts query syntax and filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from commentary.query import load_glossary
from config.errors import BadInputError, ConfigError, NotFoundError
from store.db import connect
from store.watchlists import (
    check_delivery,
    delete_watchlist,
    get_watchlist,
    list_watchlists,
    save_watchlist,
    watch_hits,
)

NOW = datetime(2025, 4, 3, 7, 0, tzinfo=UTC)


@pytest.fixture
def con(tmp_path):
    c = connect(tmp_path / "radar.duckdb")
    c.execute("INSERT INTO sources (id, name, country, kind, url) VALUES "
              "('wh', 'The White House', 'us', 'listing', 'https://www.whitehouse.gov/'), "
              "('ec', 'European Commission', 'EU', 'feed', 'https://ec.europa.eu/')")
    for i, (src, title, text, age) in enumerate([
        ("wh", "Closing the de minimis loophole", "Duty-free de minimis treatment ends.", 1),
        ("ec", "EU to reform de-minimis for parcels", "Customs reform.", 2),
        ("wh", "Tariffs on steel", "Section 232 steel tariffs rise.", 3),
        ("wh", "Old de minimis notice", "De minimis, a year ago.", 400),
    ]):
        seen = NOW - timedelta(days=age)
        c.execute("INSERT INTO documents (id, url, canonical_url, source_id, title, text, "
                  "first_seen_at, updated_at, content_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                  [f"d{i}", f"https://x.gov/{i}", f"https://x.gov/{i}", src, title, text, seen,
                   seen, f"h{i}"])
    yield c
    c.close()


def test_create_update_and_delete(con):
    wid = save_watchlist(con, " 小額包裹 ", '"de minimis"', "amy", countries=("us",), now=NOW)
    w = get_watchlist(con, wid)
    assert (w.name, w.query, w.countries, w.owner, w.channel) == (
        "小額包裹", '"de minimis"', ("US",), "amy", "")
    save_watchlist(con, "小額包裹", '"de minimis" OR parcels', "amy", watch_id=wid,
                   channel="webhook", target="https://hooks.example.org/x",
                   now=NOW + timedelta(minutes=1))
    w = get_watchlist(con, wid)
    assert (w.query, w.countries, w.channel, w.target) == (
        '"de minimis" OR parcels', (), "webhook", "https://hooks.example.org/x")
    assert w.updated_at > w.created_at
    assert [x.id for x in list_watchlists(con)] == [wid]
    delete_watchlist(con, wid)
    assert list_watchlists(con) == []
    with pytest.raises(NotFoundError):
        delete_watchlist(con, wid)
    with pytest.raises(NotFoundError):
        save_watchlist(con, "x", "tariff", "amy", watch_id="ui-missing")


def test_bad_queries_and_deliveries_are_refused_and_nothing_is_stored(con):
    with pytest.raises(ConfigError):
        save_watchlist(con, "x", '"unclosed', "amy")
    for channel, target in [("sms", "+886"), ("webhook", "javascript:alert(1)"),
                            ("webhook", "ftp://x.org/h"), ("webhook", ""),
                            ("email", "not an address"), ("email", "a@b.org, <x>@y")]:
        with pytest.raises(BadInputError):
            save_watchlist(con, "x", "tariff", "amy", channel=channel, target=target)
    assert list_watchlists(con) == []


def test_delivery_is_normalised():
    assert check_delivery("", "ignored@example.org") == ("", "")
    assert check_delivery("email", " a@x.org,b@y.gov.tw ,") == ("email", "a@x.org, b@y.gov.tw")
    assert check_delivery("webhook", " http://127.0.0.1:9/h ") == ("webhook", "http://127.0.0.1:9/h")


def test_hits_follow_the_query_filters_and_window(con):
    wid = save_watchlist(con, "dm", '"de minimis"', "amy", now=NOW)
    hits = watch_hits(con, get_watchlist(con, wid), NOW - timedelta(days=30), load_glossary)
    assert [h.doc_id for h in hits] == ["d0", "d1"]  # newest first; the old notice is outside
    assert hits[0].source_name == "The White House"
    save_watchlist(con, "dm", '"de minimis"', "amy", countries=("US",), watch_id=wid)
    hits = watch_hits(con, get_watchlist(con, wid), NOW - timedelta(days=30), load_glossary)
    assert [h.doc_id for h in hits] == ["d0"]
    save_watchlist(con, "dm", '"de minimis"', "amy", sources=("ec",), watch_id=wid)
    hits = watch_hits(con, get_watchlist(con, wid), NOW - timedelta(days=30), load_glossary)
    assert [h.doc_id for h in hits] == ["d1"]


def test_a_chinese_watchlist_finds_the_english_documents(con):
    # 小額包裹免稅 is de minimis in the shipped glossary: the English notices are hits
    wid = save_watchlist(con, "dm-zh", "小額包裹免稅", "amy", now=NOW)
    hits = watch_hits(con, get_watchlist(con, wid), NOW - timedelta(days=30), load_glossary)
    assert [h.doc_id for h in hits] == ["d0", "d1"]
