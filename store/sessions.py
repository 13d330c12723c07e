"""Web UI sessions in the store (table `web_sessions`, migration 009): recorded at login,
revoked at logout or when their user leaves `[web.users]`.

Rows are keyed by a SHA-256 hash of the session id, never the id itself, so the store and
its read copies hold nothing a cookie could be made from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from store.db import packed

REMOVED = "user removed"
_KEEP_EXPIRED = timedelta(days=30)  # expired rows kept this long for the operator, then pruned


def sid_hash(sid: str) -> str:
    """The stored key of a session id."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StoredSession:
    """What the store knows about one session."""

    username: str
    expires_at: datetime
    revoked_at: datetime | None
    reason: str | None

    def live(self, user: str, now: datetime) -> bool:
        """Whether this row lets `user` in at `now`."""
        return self.revoked_at is None and self.username == user and self.expires_at > now


def record_login(con: duckdb.DuckDBPyConnection, sid: str, user: str, expires_at: datetime,
                 address: str | None, now: datetime | None = None) -> None:
    """Record a new session (and prune rows that expired long ago)."""
    now = now or datetime.now(UTC)
    con.execute("DELETE FROM web_sessions WHERE expires_at < ?", [now - _KEEP_EXPIRED])
    con.execute("INSERT INTO web_sessions (sid_hash, username, created_at, expires_at, address) "
                "VALUES (?, ?, ?, ?, ?)", [sid_hash(sid), user, now, expires_at, address])


def revoke(con: duckdb.DuckDBPyConnection, sid: str, reason: str,
           now: datetime | None = None) -> None:
    """Revoke one session (kept revoked: a restart does not revive it)."""
    con.execute("UPDATE web_sessions SET revoked_at = ?, reason = ? "
                "WHERE sid_hash = ? AND revoked_at IS NULL",
                [now or datetime.now(UTC), reason, sid_hash(sid)])


def live_users(con: duckdb.DuckDBPyConnection, now: datetime | None = None) -> set[str]:
    """Users with at least one unexpired, unrevoked session."""
    rows = con.execute("SELECT DISTINCT username FROM web_sessions "
                       "WHERE revoked_at IS NULL AND expires_at > ?",
                       [now or datetime.now(UTC)]).fetchall()
    return {r[0] for r in rows}


def revoke_users_except(con: duckdb.DuckDBPyConnection, users: Iterable[str],
                        now: datetime | None = None) -> int:
    """Revoke every live session whose user is not in `users`; returns how many."""
    now = now or datetime.now(UTC)
    keep = packed(sorted(users))
    row = con.execute(
        "UPDATE web_sessions SET revoked_at = ?, reason = ? WHERE revoked_at IS NULL "
        "AND expires_at > ? AND NOT list_contains(string_split(?, chr(31)), username) "
        "RETURNING 1", [now, REMOVED, now, keep]).fetchall()
    return len(row)


def stored_session(con: duckdb.DuckDBPyConnection, sid: str) -> StoredSession | None:
    """The row of a session id, or None when no login created it."""
    row = con.execute("SELECT username, expires_at, revoked_at, reason FROM web_sessions "
                      "WHERE sid_hash = ?", [sid_hash(sid)]).fetchone()
    return StoredSession(*row) if row else None
