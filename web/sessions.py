"""Server-side sessions: a signed cookie (web.auth) logs in only while the sessions file holds
its session, unexpired and unrevoked, and its user is still in `[web.users]`.

Sessions live in their own SQLite file next to the store (store.sessions says why), not in
the store: a login, a logout and each request's check are millisecond reads and writes of
that file, which never wait for a writing flow or a read-copy publish. A revocation holds
for every request after the logout, in every process, and after any restart. When the
server starts, live sessions of users no longer configured are revoked, so putting a user
back in the config later does not revive an old cookie.

Upgrading from a version that kept sessions in the store (table `web_sessions`, migration
009): the first start copies that table's rows from the newest read copy into the file, once
(recorded in the file). If the read copy cannot be opened then, the copy is retried at the
next start; meanwhile those older sessions are refused (their users log in again), and a
logout of one is recorded as a revoked row, which the later copy leaves alone.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import duckdb

from config.errors import TransientError
from config.settings import Settings
from store import sessions as stored
from store.snapshot import latest_snapshot, reading
from web.auth import Session, new_session

log = logging.getLogger(__name__)


class Sessions:
    """The web UI's sessions, one instance per app (kept in ``app.state.sessions``).

    Args:
        settings: loaded settings (users, session length, the sessions file).
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        self.path = settings.sessions_path
        self.busy_s = settings.web.sessions_busy_s

    def _open(self):
        return stored.open_sessions(self.path, self.busy_s)

    def is_valid(self, session: Session) -> bool:
        """Whether a decoded (signed, unexpired) session may act as its user.

        Anonymous sessions (before login) are always valid: they only carry a CSRF id.

        Raises:
            TransientError: the sessions file stayed locked (the caller refuses the request).
        """
        if session.user is None:
            return True
        if session.user not in self.settings.web.users:
            return False  # removed from the config: refused at once, before any read
        with self._open() as con:
            row = stored.stored_session(con, session.sid)
        return row is not None and row.live(session.user, datetime.now(UTC))

    def login(self, user: str, address: str | None) -> Session:
        """Start and record a session for a user whose password was checked.

        Raises:
            TransientError: the sessions file stayed locked (the login page says to try again).
        """
        session = new_session(user, self.settings.web.session_hours)
        with self._open() as con:
            stored.record_login(con, session.sid, user,
                                datetime.fromtimestamp(session.expires, UTC), address)
        return session

    def logout(self, session: Session) -> None:
        """Revoke a session for good.

        Raises:
            TransientError: the sessions file stayed locked; the logout should be repeated.
        """
        if session.user is None:
            return
        with self._open() as con:
            stored.revoke(con, session.sid, session.user,
                          datetime.fromtimestamp(session.expires, UTC), "logout")

    def revoke_removed_users(self) -> int:
        """Revoke live sessions of users no longer in `[web.users]`; returns how many."""
        users = set(self.settings.web.users)
        with self._open() as con:
            stale = stored.live_users(con) - users
            count = stored.revoke_users_except(con, users) if stale else 0
        if count:
            log.warning("revoked %d session(s) of users no longer configured: %s", count,
                        ", ".join(sorted(stale)))
        return count

    def import_from_store(self) -> int | None:
        """Copy the sessions an earlier version kept in the store into the file, once;
        returns how many rows were new, or None when the read copy could not be read (the
        copy is then retried at the next start)."""
        with self._open() as con:
            if stored.imported_at(con) is not None:
                return 0
        try:
            rows: list[tuple] = []
            if latest_snapshot(self.settings.db_path) is not None:  # else: nothing was kept
                with reading(self.settings.db_path) as duck:
                    rows = _store_rows(duck)
        except TransientError as exc:
            log.warning("sessions kept in the store are copied at the next start (%s)", exc)
            return None
        with self._open() as con:
            added = stored.import_rows(con, rows)
        if added:
            log.info("copied %d session(s) from the store into %s", added, self.path)
        return added

    def start(self) -> None:
        """At server start: the one-time copy from the store, then revoke removed users'
        sessions (they are refused anyway, since `is_valid` checks the config)."""
        self.import_from_store()
        self.revoke_removed_users()


def _store_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The store's `web_sessions` rows (none when the table is gone or never existed)."""
    (present,) = con.execute("SELECT count(*) FROM duckdb_tables() "
                             "WHERE table_name = 'web_sessions'").fetchone()
    if not present:
        return []
    return con.execute("SELECT sid_hash, username, created_at, expires_at, address, "
                       "revoked_at, reason FROM web_sessions").fetchall()
