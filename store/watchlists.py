"""Watchlists analysts manage in the web UI (table `watchlists`, migration 007) and their
recent hits: documents first seen lately that match the watchlist's query and filters.

The query syntax and matching are the alerts pass's (store.query), so a UI watchlist means
the same as one in config.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import duckdb

from config.errors import BadInputError, NotFoundError
from store.query import Glossary, Query, matches, parse_query

CHANNELS = ("", "email", "webhook")  # '' = shown on the page, never sent
_ADDRESS = re.compile(r"[^@\s,<>]+@[^@\s,<>]+\.[^@\s,<>]+")


@dataclass(frozen=True)
class Watchlist:
    """A UI watchlist; the fields match alerts' WatchSettings (id, query, filters)."""

    id: str
    name: str
    query: str
    topics: tuple[str, ...]
    countries: tuple[str, ...]
    sources: tuple[str, ...]
    owner: str
    created_at: datetime
    updated_at: datetime
    channel: str = ""
    target: str = ""


@dataclass(frozen=True)
class WatchHit:
    """A recent document matching a watchlist."""

    doc_id: str
    title: str
    url: str
    source_name: str
    country: str | None
    first_seen_at: datetime
    story_id: str | None


def _row(r: tuple[Any, ...]) -> Watchlist:
    return Watchlist(r[0], r[1], r[2], tuple(json.loads(r[3])), tuple(json.loads(r[4])),
                     tuple(json.loads(r[5])), r[6], r[7].astimezone(UTC), r[8].astimezone(UTC),
                     r[9] or "", r[10] or "")


_COLS = ("id, name, query, topics, countries, sources, owner, created_at, updated_at, "
         "channel, target")


def check_delivery(channel: str, target: str) -> tuple[str, str]:
    """The (channel, target) to store, normalised.

    Raises:
        BadInputError: an unknown channel, a webhook that is not an http(s) URL, or an
            email target that is not a list of addresses.
    """
    channel, target = channel.strip(), target.strip()
    if channel not in CHANNELS:
        raise BadInputError(f"unknown alert channel {channel!r}")
    if not channel:
        return "", ""
    if channel == "webhook":
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise BadInputError(f"a webhook needs an http(s) URL, not {target!r}")
        return channel, target
    addresses = [a.strip() for a in target.split(",") if a.strip()]
    if not addresses or not all(_ADDRESS.fullmatch(a) for a in addresses):
        raise BadInputError(f"email alerts need comma-separated addresses, not {target!r}")
    return channel, ", ".join(addresses)


def list_watchlists(con: duckdb.DuckDBPyConnection) -> list[Watchlist]:
    """Every UI watchlist, by name."""
    rows = con.execute(f"SELECT {_COLS} FROM watchlists ORDER BY lower(name), id").fetchall()  # noqa: S608 - constant columns
    return [_row(r) for r in rows]


def get_watchlist(con: duckdb.DuckDBPyConnection, watch_id: str) -> Watchlist:
    """One watchlist.

    Raises:
        NotFoundError: no watchlist has that id.
    """
    row = con.execute(f"SELECT {_COLS} FROM watchlists WHERE id = ?", [watch_id]).fetchone()  # noqa: S608
    if row is None:
        raise NotFoundError(f"no watchlist {watch_id!r}")
    return _row(row)


def save_watchlist(
    con: duckdb.DuckDBPyConnection, name: str, query: str, owner: str, *,
    topics: tuple[str, ...] = (), countries: tuple[str, ...] = (), sources: tuple[str, ...] = (),
    channel: str = "", target: str = "", watch_id: str | None = None,
    now: datetime | None = None,
) -> str:
    """Create (no id) or update a watchlist; returns its id.

    Raises:
        ConfigError: the query does not parse (store.query.parse_query).
        BadInputError: the alert channel or target is invalid (`check_delivery`).
        NotFoundError: updating an id that does not exist.
    """
    parse_query(query)
    channel, target = check_delivery(channel, target)
    now = now or datetime.now(UTC)
    lists = [json.dumps(list(topics)), json.dumps([c.upper() for c in countries]),
             json.dumps(list(sources))]
    if watch_id is None:
        watch_id = "ui-" + secrets.token_hex(6)
        con.execute(f"INSERT INTO watchlists ({_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                    [watch_id, name.strip(), query.strip(), *lists, owner, now, now, channel,
                     target])
        return watch_id
    get_watchlist(con, watch_id)
    con.execute("UPDATE watchlists SET name = ?, query = ?, topics = ?, countries = ?, "
                "sources = ?, channel = ?, target = ?, updated_at = ? WHERE id = ?",
                [name.strip(), query.strip(), *lists, channel, target, now, watch_id])
    return watch_id


def delete_watchlist(con: duckdb.DuckDBPyConnection, watch_id: str) -> None:
    """Remove a watchlist.

    Raises:
        NotFoundError: no watchlist has that id.
    """
    get_watchlist(con, watch_id)
    con.execute("DELETE FROM watchlists WHERE id = ?", [watch_id])


def _prefilter(query: Query) -> str:
    """A case-insensitive regex any matching document contains (one term of each
    alternative); the exact check is store.query.matches."""
    terms = [w for alt in query.alternatives for w in query.wordings(alt[0])]
    parts = [re.escape(t).replace(r"\ ", r"\W+") for t in terms]
    return "(?i)(" + "|".join(parts) + ")"


def watch_hits(
    con: duckdb.DuckDBPyConnection, watch: Watchlist, since: datetime,
    glossary: Callable[[], Glossary], limit: int = 20,
) -> list[WatchHit]:
    """Documents first seen at or after `since` that match the watchlist, newest first.

    Args:
        con: the store.
        watch: the watchlist.
        since: earliest first-seen instant.
        glossary: the zh -> English glossary (commentary.query.load_glossary), so a Chinese
            term also finds its English wording.
        limit: at most this many hits.
    """
    query = parse_query(watch.query, glossary)
    rows = con.execute(
        "SELECT d.id, d.title, d.url, coalesce(s.name, d.source_id), s.country, d.first_seen_at, "
        "m.story_id, substr(d.text, 1, 20000) FROM documents d "
        "LEFT JOIN sources s ON s.id = d.source_id LEFT JOIN story_members m ON m.doc_id = d.id "
        "WHERE d.first_seen_at >= ? AND regexp_matches(d.title || ' ' || d.text, ?) "
        "AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], d.source_id)) "
        "AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], upper(s.country))) "
        "AND (len(?::VARCHAR[]) = 0 OR d.id IN (SELECT doc_id FROM tags WHERE kind = 'topic' "
        "AND list_contains(?::VARCHAR[], tag))) ORDER BY d.first_seen_at DESC, d.id LIMIT 2000",
        [since, _prefilter(query), list(watch.sources), list(watch.sources),
         list(watch.countries), list(watch.countries), list(watch.topics), list(watch.topics)],
    ).fetchall()
    hits = []
    for r in rows:
        if matches(query, r[1], r[7]):
            hits.append(WatchHit(r[0], r[1], r[2], r[3], r[4], r[5].astimezone(UTC), r[6]))
            if len(hits) >= limit:
                break
    return hits
