"""Server-side sessions of the web UI over real HTTP, with the store in tmp_path: logout
revokes a session (a copied cookie stops working), a user removed from `[web.users]` is
refused at once, and restarting the server revives neither."""

from __future__ import annotations

import pytest

from tests.webserver import PASSWORD, SECRET_ENV, USER, WebServer, csrf_of, login, web_settings

OTHER, OTHER_PASSWORD = "bob", "another long passphrase"


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    """One signing key for every server of a test, as in production (restarts keep it)."""
    monkeypatch.setenv(SECRET_ENV, "test key " * 4)


def _cookie(client) -> str:
    return client.cookies["radar_session"]


def _as(server: WebServer, cookie: str):
    """A second browser carrying a copied session cookie."""
    other = server.client()
    other.cookies.set("radar_session", cookie)
    return other


def _logged_in(client) -> bool:
    got = client.get("/sources")
    assert got.status_code in (200, 303), got.status_code
    return got.status_code == 200


def test_logout_revokes_the_session_also_for_a_copied_cookie(tmp_path):
    settings = web_settings(tmp_path)
    with WebServer(settings) as server, server.client() as browser:
        assert login(browser).headers["location"] == "/sources"
        stolen = _cookie(browser)
        with _as(server, stolen) as thief:
            assert _logged_in(thief)
            got = browser.post("/logout", data={"csrf": csrf_of(browser, "/sources")})
            assert got.status_code == 303 and got.headers["location"] == "/login"
            assert not _logged_in(browser)
            assert not _logged_in(thief)  # the copy taken before logout is dead too
            assert thief.get("/sources").headers["location"].startswith("/login")
    with WebServer(settings) as server, _as(server, stolen) as thief:  # restarted
        assert not _logged_in(thief)
        with server.client() as browser:  # logging in again still works
            assert login(browser).status_code == 303 and _logged_in(browser)


def test_a_user_removed_from_the_config_is_refused_at_once_and_after_restarts(tmp_path):
    both = {USER: PASSWORD, OTHER: OTHER_PASSWORD}
    with WebServer(web_settings(tmp_path, both)) as server:
        cookies = {}
        for user, password in both.items():
            with server.client() as browser:
                assert login(browser, user, password).status_code == 303
                cookies[user] = _cookie(browser)
    with WebServer(web_settings(tmp_path, {OTHER: OTHER_PASSWORD})) as server:  # ana removed
        with _as(server, cookies[USER]) as removed, _as(server, cookies[OTHER]) as kept:
            assert not _logged_in(removed)
            assert _logged_in(kept)
    with WebServer(web_settings(tmp_path, both)) as server:  # ana back: a new login needed
        with _as(server, cookies[USER]) as removed, _as(server, cookies[OTHER]) as kept:
            assert not _logged_in(removed)
            assert _logged_in(kept)
        with server.client() as browser:
            assert login(browser).status_code == 303 and _logged_in(browser)


def test_a_validly_signed_cookie_without_a_server_side_session_is_refused(tmp_path):
    """A cookie signed with the key but never issued by a login (say, made by someone who
    read the key) does not log anyone in."""
    from web import auth

    settings = web_settings(tmp_path)
    forged = auth.encode_session(b"test key " * 4, auth.new_session(USER, 1))
    with WebServer(settings) as server, _as(server, forged) as client:
        assert not _logged_in(client)


def test_sessions_live_in_their_own_versioned_file_not_in_the_store(tmp_path):
    import sqlite3

    from store.db import open_reader

    settings = web_settings(tmp_path)
    assert settings.sessions_path == tmp_path / "radar.sessions.sqlite3"
    with WebServer(settings) as server, server.client() as browser:
        login(browser)
        browser.post("/logout", data={"csrf": csrf_of(browser, "/sources")})
    con = sqlite3.connect(settings.sessions_path)
    try:
        assert con.execute("PRAGMA user_version").fetchone()[0] >= 1
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        rows = con.execute("SELECT username, revoked_at IS NOT NULL, reason FROM web_sessions"
                           ).fetchall()
    finally:
        con.close()
    assert rows == [(USER, 1, "logout")]
    with open_reader(settings) as store:  # the store's old table (migration 009) stays empty
        assert store.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0


def test_login_and_logout_do_not_wait_while_a_flow_holds_the_stores_writer_lock(tmp_path):
    """The old design queued a login behind the writer (20 s, then 503): now it is a write of
    the sessions file, and the request's check reads that file, not the store."""
    import threading
    import time

    from store.snapshot import reading, writing

    settings = web_settings(tmp_path)
    with reading(settings.db_path):  # the store and its first read copy, before the flow
        pass
    held, release = threading.Event(), threading.Event()

    def flow() -> None:
        with writing(settings.db_path, "test flow", publish=False) as con:
            con.execute("SELECT count(*) FROM documents").fetchone()
            held.set()
            release.wait(60)

    with WebServer(settings) as server, server.client() as browser:
        writer = threading.Thread(target=flow)
        writer.start()
        try:
            assert held.wait(30)
            t0 = time.monotonic()
            got = login(browser)
            took = time.monotonic() - t0
            assert got.status_code == 303 and got.headers["location"] == "/sources", got.text
            assert took < 5.0, took
            assert _logged_in(browser)
            got = browser.post("/logout", data={"csrf": csrf_of(browser, "/sources")})
            assert got.status_code == 303 and not _logged_in(browser)
            assert writer.is_alive()  # all of it while the flow still held the store
        finally:
            release.set()
            writer.join(30)


def test_sessions_an_earlier_version_kept_in_the_store_are_copied_once(tmp_path):
    """Upgrading: the store's `web_sessions` rows are copied into the sessions file at the
    first start, so logged-in analysts stay logged in and revoked sessions stay revoked."""
    from datetime import UTC, datetime

    from store.sessions import sid_hash
    from store.snapshot import writing
    from web import auth

    settings = web_settings(tmp_path)
    live, revoked = auth.new_session(USER, 1), auth.new_session(USER, 1)
    now = datetime.now(UTC)
    with writing(settings.db_path, "an earlier version's logins") as con:
        for session, revoked_at in ((live, None), (revoked, now)):
            con.execute("INSERT INTO web_sessions (sid_hash, username, created_at, expires_at, "
                        "revoked_at, reason) VALUES (?, ?, ?, ?, ?, ?)",
                        [sid_hash(session.sid), USER, now,
                         datetime.fromtimestamp(session.expires, UTC), revoked_at,
                         revoked_at and "logout"])
    key = b"test key " * 4
    kept, dead = auth.encode_session(key, live), auth.encode_session(key, revoked)
    assert not settings.sessions_path.exists()
    with WebServer(settings) as server:
        with _as(server, kept) as client, _as(server, dead) as other:
            assert _logged_in(client)
            assert not _logged_in(other)
            client.post("/logout", data={"csrf": csrf_of(client, "/sources")})
    with WebServer(settings) as server, _as(server, kept) as client:  # not copied again
        assert not _logged_in(client)
