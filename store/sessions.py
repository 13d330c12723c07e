"""Web UI sessions in a small SQLite file of their own next to the store
(``Settings.sessions_path``, default ``<store name>.sessions.sqlite3``): recorded at login,
revoked at logout or when their user leaves `[web.users]`.

Why a file of its own: a login, a logout and every page's session check are tiny row writes
and reads that must answer in milliseconds. In the main store a login was a write queued
behind the pipeline's writer lock and followed by a read-copy publish: 10-40 s at 1M
documents, so logins under a running flow timed out with 503 (docs/performance.md, issue 18).

Why the stdlib's sqlite3 and not a second DuckDB file: SQLite in WAL mode lets any number of
processes read while one writes, and queues concurrent writers for milliseconds
(``busy_timeout``); its transactions of one row are what it is built for. DuckDB locks a
file for one process at a time (a second `radar web`, or the operator's shell, could not
even open it while the server runs), gives every connection a buffer pool sized from RAM,
and answers concurrent updates of a row with a conflict error instead of waiting. The file
needs no new dependency and is readable with the `sqlite3` shell.

Rows are keyed by a SHA-256 hash of the session id, never the id itself, so the file holds
nothing a cookie could be made from. Times are UTC ISO-8601 text with microseconds (so text
order is time order). Schema versions are ``PRAGMA user_version``; sessions kept in the
main store by earlier versions (table `web_sessions`, migration 009) are copied in once
(``import_rows``, driven by web.sessions), recorded in the `meta` table.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from config.errors import TransientError

REMOVED = "user removed"
IMPORTED = "imported_from_store"  # meta key: when the main store's sessions were copied in
_KEEP_EXPIRED = timedelta(days=30)  # expired rows kept this long for the operator, then pruned
_SCHEMA = (  # version n is reached by running _SCHEMA[n - 1]
    """
    CREATE TABLE web_sessions (
        sid_hash TEXT PRIMARY KEY,
        username TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        address TEXT,                  -- client address at login (for the operator)
        revoked_at TEXT,
        reason TEXT                    -- logout | user removed
    );
    CREATE INDEX web_sessions_expiry ON web_sessions (expires_at);
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    """,
)


def sid_hash(sid: str) -> str:
    """The stored key of a session id."""
    return hashlib.sha256(sid.encode("utf-8")).hexdigest()


def _text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True)
class StoredSession:
    """What the sessions file knows about one session."""

    username: str
    expires_at: datetime
    revoked_at: datetime | None
    reason: str | None

    def live(self, user: str, now: datetime) -> bool:
        """Whether this row lets `user` in at `now`."""
        return self.revoked_at is None and self.username == user and self.expires_at > now


@contextmanager
def open_sessions(path: Path | str, busy_s: float = 5.0) -> Iterator[sqlite3.Connection]:
    """A connection to the sessions file (created and migrated on first use), for one short
    read or write; each statement commits on its own unless wrapped in ``writing``.

    Args:
        path: the sessions file.
        busy_s: how long a write waits for another process's write to finish.

    Raises:
        TransientError: the file stayed locked by another writer for `busy_s`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=busy_s, isolation_level=None, check_same_thread=False)
    try:
        # FULL: a logout is on disk before its answer goes out, even across a power cut
        # (NORMAL could lose it and revive the session); one fsync per login or logout.
        con.execute("PRAGMA synchronous = FULL")
        _migrate(con)
        yield con
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise TransientError(f"sessions file {path} busy: {exc}", retry_after=2) from exc
        raise
    finally:
        con.close()


def _migrate(con: sqlite3.Connection) -> None:
    (version,) = con.execute("PRAGMA user_version").fetchone()
    if version >= len(_SCHEMA):
        return
    con.execute("PRAGMA journal_mode = WAL")  # persistent: set once, kept by the file
    with writing(con):
        (version,) = con.execute("PRAGMA user_version").fetchone()  # another process won
        for number in range(version + 1, len(_SCHEMA) + 1):
            for statement in _SCHEMA[number - 1].split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(f"PRAGMA user_version = {number}")


@contextmanager
def writing(con: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE``: takes the write lock at once, so two
    processes never both read and then collide); committed on exit, rolled back on error."""
    con.execute("BEGIN IMMEDIATE")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def record_login(con: sqlite3.Connection, sid: str, user: str, expires_at: datetime,
                 address: str | None, now: datetime | None = None) -> None:
    """Record a new session (and prune rows that expired long ago)."""
    now = now or datetime.now(UTC)
    with writing(con):
        con.execute("DELETE FROM web_sessions WHERE expires_at < ?", [_text(now - _KEEP_EXPIRED)])
        con.execute("INSERT INTO web_sessions (sid_hash, username, created_at, expires_at, "
                    "address) VALUES (?, ?, ?, ?, ?)",
                    [sid_hash(sid), user, _text(now), _text(expires_at), address])


def revoke(con: sqlite3.Connection, sid: str, user: str, expires_at: datetime, reason: str,
           now: datetime | None = None) -> None:
    """Revoke one session for good (a restart does not revive it).

    A session not in the file yet (one from the main store whose copy is still pending) gets
    a revoked row, which the copy then leaves alone.
    """
    now = now or datetime.now(UTC)
    con.execute("INSERT INTO web_sessions (sid_hash, username, created_at, expires_at, "
                "revoked_at, reason) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sid_hash) DO UPDATE "
                "SET revoked_at = excluded.revoked_at, reason = excluded.reason "
                "WHERE web_sessions.revoked_at IS NULL",
                [sid_hash(sid), user, _text(now), _text(expires_at), _text(now), reason])


def live_users(con: sqlite3.Connection, now: datetime | None = None) -> set[str]:
    """Users with at least one unexpired, unrevoked session."""
    rows = con.execute("SELECT DISTINCT username FROM web_sessions "
                       "WHERE revoked_at IS NULL AND expires_at > ?",
                       [_text(now or datetime.now(UTC))]).fetchall()
    return {r[0] for r in rows}


def revoke_users_except(con: sqlite3.Connection, users: Iterable[str],
                        now: datetime | None = None) -> int:
    """Revoke every live session whose user is not in `users`; returns how many."""
    now = now or datetime.now(UTC)
    keep = sorted(users)
    # No users kept: every live session goes (`NOT IN ()` is not SQL, `NOT IN (NULL)` is null).
    others = f" AND username NOT IN ({', '.join('?' * len(keep))})" if keep else ""
    cur = con.execute(
        "UPDATE web_sessions SET revoked_at = ?, reason = ? WHERE revoked_at IS NULL "  # noqa: S608
        f"AND expires_at > ?{others}", [_text(now), REMOVED, _text(now), *keep])
    return cur.rowcount


def stored_session(con: sqlite3.Connection, sid: str) -> StoredSession | None:
    """The row of a session id, or None when no login created it."""
    row = con.execute("SELECT username, expires_at, revoked_at, reason FROM web_sessions "
                      "WHERE sid_hash = ?", [sid_hash(sid)]).fetchone()
    if row is None:
        return None
    return StoredSession(row[0], _time(row[1]), _time(row[2]), row[3])


def imported_at(con: sqlite3.Connection) -> str | None:
    """When the main store's sessions were copied in (None: not yet)."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [IMPORTED]).fetchone()
    return row[0] if row else None


def import_rows(con: sqlite3.Connection, rows: Sequence[tuple], now: datetime | None = None
                ) -> int:
    """Copy the main store's session rows in, once; returns how many were new.

    Args:
        con: the sessions file.
        rows: (sid_hash, username, created_at, expires_at, address, revoked_at, reason),
            times as datetimes, from the main store's `web_sessions` (empty when it has none).
        now: the time recorded as the import's.

    A row already here (a session revoked here before the copy) is kept as it is.
    """
    now = now or datetime.now(UTC)
    with writing(con):
        if imported_at(con) is not None:
            return 0
        before = con.total_changes
        con.executemany(
            "INSERT INTO web_sessions (sid_hash, username, created_at, expires_at, address, "
            "revoked_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sid_hash) DO NOTHING",
            [(h, u, _text(c), _text(e), a, None if r is None else _text(r), why)
             for h, u, c, e, a, r, why in rows])
        added = con.total_changes - before
        con.execute("INSERT INTO meta (key, value) VALUES (?, ?)", [IMPORTED, _text(now)])
    return added
