"""Server-side sessions: a signed cookie (web.auth) logs in only while the store holds its
session, unexpired and unrevoked, and its user is still in `[web.users]`.

Logins and logouts are short writes through the writers' queue (web.db.writing, like saving
a watchlist), which publishes a read copy before the response goes out; every request checks
its session against the newest read copy (web.db.reading), so a page never waits for a flow
and a revocation holds for every request after the logout, and after any restart. When the
server starts, live sessions of users no longer configured are revoked, so putting a user
back in the config later does not revive an old cookie.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from config.errors import TransientError
from config.settings import Settings
from store import sessions as stored
from web.auth import Session, new_session
from web.db import reading, writing

log = logging.getLogger(__name__)


class Sessions:
    """The web UI's sessions, one instance per app (kept in ``app.state.sessions``).

    Args:
        settings: loaded settings (users, session length, store path).
    """

    def __init__(self, settings: Settings):
        self.settings = settings
        # Sessions this process revoked: refused even if the read copy published after the
        # revocation could not be opened yet. Bounded by session lifetime (pruned on add).
        self._revoked: dict[str, float] = {}
        self._lock = threading.Lock()

    def is_valid(self, session: Session) -> bool:
        """Whether a decoded (signed, unexpired) session may act as its user.

        Anonymous sessions (before login) are always valid: they only carry a CSRF id.

        Raises:
            TransientError: the read copy could not be opened (the caller refuses the request).
        """
        if session.user is None:
            return True
        if session.user not in self.settings.web.users:
            return False  # removed from the config: refused at once, before any store read
        with self._lock:
            if session.sid in self._revoked:
                return False
        with reading(self.settings) as con:
            row = stored.stored_session(con, session.sid)
        return row is not None and row.live(session.user, datetime.now(UTC))

    def login(self, user: str, address: str | None) -> Session:
        """Start and record a session for a user whose password was checked.

        Raises:
            TransientError: the store stayed busy (the login page says to try again).
        """
        session = new_session(user, self.settings.web.session_hours)
        with writing(self.settings) as con:
            stored.record_login(con, session.sid, user,
                                datetime.fromtimestamp(session.expires, UTC), address)
        return session

    def logout(self, session: Session) -> None:
        """Revoke a session in this process at once and in the store for good.

        Raises:
            TransientError: the store stayed busy; the session is refused by this process
                already, and the logout should be repeated so that a restart keeps it so.
        """
        if session.user is None:
            return
        now = time.time()
        with self._lock:
            self._revoked = {sid: exp for sid, exp in self._revoked.items() if exp > now}
            self._revoked[session.sid] = session.expires
        with writing(self.settings) as con:
            stored.revoke(con, session.sid, "logout")

    def revoke_removed_users(self, wait_s: float = 20.0) -> int:
        """Revoke live sessions of users no longer in `[web.users]`; returns how many.

        Reads first and writes only when there is something to revoke, so an ordinary start
        does not queue behind a writing flow.

        Raises:
            TransientError: the store stayed busy for `wait_s`.
        """
        users = set(self.settings.web.users)
        with reading(self.settings) as con:
            stale = stored.live_users(con) - users
        if not stale:
            return 0
        with writing(self.settings, wait_s=wait_s) as con:
            count = stored.revoke_users_except(con, users)
        log.warning("revoked %d session(s) of users no longer configured: %s", count,
                    ", ".join(sorted(stale)))
        return count

    def start(self) -> None:
        """Revoke removed users' sessions now, or (store busy) from a background thread:
        meanwhile those users are refused anyway, since `is_valid` checks the config."""
        try:
            self.revoke_removed_users(wait_s=5.0)
        except TransientError as exc:
            log.warning("sessions of removed users are revoked once the store is free (%s)", exc)
            threading.Thread(target=self._revoke_later, name="revoke-sessions",
                             daemon=True).start()

    def _revoke_later(self) -> None:
        try:
            self.revoke_removed_users(wait_s=3600.0)
        except TransientError as exc:
            log.error("sessions of removed users could not be revoked: %s", exc)
