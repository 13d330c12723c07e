"""Alert records: candidates (new documents already in a story), claims, delivery outcomes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb


@dataclass(frozen=True)
class Candidate:
    """A recently first-seen document that has been assigned to a story."""

    doc_id: str
    story_id: str
    title: str
    text: str
    url: str
    source_id: str
    country: str | None
    published_at: datetime | None
    first_seen_at: datetime
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Alert:
    """One notification: a watchlist entry, a story, the document that triggered it."""

    watch_id: str
    story_id: str
    doc_id: str
    channel: str
    target: str
    link: str
    title: str
    attempts: int = 0


def candidates(con: duckdb.DuckDBPyConnection, since: datetime) -> list[Candidate]:
    """Documents first seen at or after `since` that are in a story, oldest first."""
    rows = con.execute(
        "SELECT d.id, m.story_id, d.title, d.text, d.url, d.source_id, s.country, d.published_at, "
        "d.first_seen_at, list(t.tag ORDER BY t.tag) FILTER (WHERE t.tag IS NOT NULL) "
        "FROM documents d JOIN story_members m ON m.doc_id = d.id "
        "LEFT JOIN sources s ON s.id = d.source_id "
        "LEFT JOIN tags t ON t.doc_id = d.id AND t.kind = 'topic' "
        "WHERE d.first_seen_at >= ? "
        "GROUP BY ALL ORDER BY d.first_seen_at, d.id", [since]).fetchall()
    return [Candidate(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], tuple(r[9] or ()))
            for r in rows]


def story_parents(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Merged story -> the story it was merged into."""
    rows = con.execute(
        "SELECT id, merged_into FROM stories WHERE merged_into IS NOT NULL").fetchall()
    return dict(rows)


def alerted_stories(con: duckdb.DuckDBPyConnection, watch_id: str) -> set[str]:
    """Stories a watchlist entry has already claimed (sent, failed or pending)."""
    rows = con.execute("SELECT story_id FROM alerts WHERE watch_id = ?", [watch_id]).fetchall()
    return {r[0] for r in rows}


def claim(con: duckdb.DuckDBPyConnection, alerts: list[Alert]) -> None:
    """Record new alerts as pending (before sending: a story is never notified twice)."""
    if not alerts:
        return
    now = datetime.now(UTC)
    con.executemany(
        "INSERT INTO alerts (watch_id, story_id, doc_id, channel, target, link, title, "
        "created_at, status, attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0) "
        "ON CONFLICT DO NOTHING",
        [[a.watch_id, a.story_id, a.doc_id, a.channel, a.target, a.link, a.title, now]
         for a in alerts])


def claim_retries(con: duckdb.DuckDBPyConnection, max_attempts: int) -> list[Alert]:
    """Failed deliveries with attempts left, marked pending again for this run."""
    rows = con.execute(
        "SELECT watch_id, story_id, doc_id, channel, target, link, title, attempts FROM alerts "
        "WHERE status = 'failed' AND attempts < ? ORDER BY created_at", [max_attempts]).fetchall()
    if rows:
        con.executemany("UPDATE alerts SET status = 'pending' WHERE watch_id = ? AND story_id = ?",
                        [[r[0], r[1]] for r in rows])
    return [Alert(*r) for r in rows]


def finish(con: duckdb.DuckDBPyConnection, alert: Alert, error: str | None,
           max_attempts: int) -> None:
    """Record one delivery attempt's outcome: sent; failed with its reason (tried again by a
    later pass); or, on the `max_attempts`-th failure, given up with the reason."""
    status = "sent"
    if error:
        status = "failed"
        if alert.attempts + 1 >= max_attempts:
            status = "given_up"
            error = f"gave up after {alert.attempts + 1} attempts: {error}"
    con.execute(
        "UPDATE alerts SET status = ?, attempts = attempts + 1, error = ?, "
        "sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE watch_id = ? AND story_id = ?",
        [status, (error or "")[:1000] or None, error is None,
         datetime.now(UTC), alert.watch_id, alert.story_id])


def recent_alerts(con: duckdb.DuckDBPyConnection, limit: int = 20) -> list[tuple[Any, ...]]:
    """(created_at, watch_id, story_id, status, attempts, error, title), newest first."""
    return con.execute(
        "SELECT created_at, watch_id, story_id, status, attempts, error, title FROM alerts "
        "ORDER BY created_at DESC LIMIT ?", [limit]).fetchall()
