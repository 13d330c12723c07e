"""The sessions file (store.sessions) on real SQLite files in tmp_path: created and migrated
on first open, a logout that comes before the one-time copy from the store stays a logout,
expiry, and two connections (two processes' worth) writing at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from store import sessions as stored

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_session_is_live_until_it_expires_or_is_revoked(tmp_path):
    path = tmp_path / "s.sqlite3"
    with stored.open_sessions(path) as con:
        stored.record_login(con, "sid-1", "ana", NOW + timedelta(hours=1), "10.0.0.7", now=NOW)
        row = stored.stored_session(con, "sid-1")
        assert row.live("ana", NOW) and not row.live("bob", NOW)
        assert not row.live("ana", NOW + timedelta(hours=2))  # expired
        assert stored.stored_session(con, "sid-2") is None
        assert stored.live_users(con, now=NOW) == {"ana"}
        stored.revoke(con, "sid-1", "ana", NOW + timedelta(hours=1), "logout", now=NOW)
        assert not stored.stored_session(con, "sid-1").live("ana", NOW)
        assert stored.live_users(con, now=NOW) == set()
    with stored.open_sessions(path) as con:  # kept on disk; ids only as hashes
        assert con.execute("SELECT sid_hash, reason FROM web_sessions").fetchall() == [
            (stored.sid_hash("sid-1"), "logout")]


def test_removed_users_are_revoked_and_long_expired_rows_pruned(tmp_path):
    with stored.open_sessions(tmp_path / "s.sqlite3") as con:
        stored.record_login(con, "old", "ana", NOW - timedelta(days=40), None,
                            now=NOW - timedelta(days=41))
        for sid, user in (("a", "ana"), ("b", "bob"), ("c", "carl")):
            stored.record_login(con, sid, user, NOW + timedelta(hours=1), None, now=NOW)
        assert stored.stored_session(con, "old") is None  # pruned by a later login
        assert stored.revoke_users_except(con, ["bob"], now=NOW) == 2
        assert stored.live_users(con, now=NOW) == {"bob"}
        assert stored.stored_session(con, "a").reason == stored.REMOVED
        assert stored.revoke_users_except(con, [], now=NOW) == 1


def test_the_copy_from_the_store_runs_once_and_keeps_a_logout_made_before_it(tmp_path):
    expires = NOW + timedelta(hours=1)
    old = [(stored.sid_hash(s), "ana", NOW, expires, None, None, None) for s in ("x", "y")]
    with stored.open_sessions(tmp_path / "s.sqlite3") as con:
        assert stored.imported_at(con) is None
        stored.revoke(con, "x", "ana", expires, "logout", now=NOW)  # before the copy
        assert stored.import_rows(con, old, now=NOW) == 1
        assert stored.imported_at(con) is not None
        assert not stored.stored_session(con, "x").live("ana", NOW)  # the logout held
        assert stored.stored_session(con, "y").live("ana", NOW)
        stored.revoke(con, "y", "ana", expires, "logout", now=NOW)
        assert stored.import_rows(con, old, now=NOW) == 0  # never again
        assert not stored.stored_session(con, "y").live("ana", NOW)


def test_two_connections_log_in_at_once_without_losing_a_row(tmp_path):
    path = tmp_path / "s.sqlite3"
    errors: list[BaseException] = []

    def logins(worker: int) -> None:
        try:
            for i in range(50):
                with stored.open_sessions(path) as con:
                    stored.record_login(con, f"{worker}-{i}", "ana", NOW + timedelta(hours=1),
                                        None, now=NOW)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)

    threads = [threading.Thread(target=logins, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with stored.open_sessions(path) as con:
        assert con.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 100
