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


def test_sessions_live_in_a_versioned_table_of_the_store(tmp_path):
    from store.db import open_reader

    settings = web_settings(tmp_path)
    with WebServer(settings) as server, server.client() as browser:
        login(browser)
        browser.post("/logout", data={"csrf": csrf_of(browser, "/sources")})
    with open_reader(settings) as con:
        assert con.execute("SELECT count(*) FROM schema_version WHERE name LIKE '%web_sessions%'"
                           ).fetchone()[0] == 1
        rows = con.execute("SELECT username, revoked_at IS NOT NULL, reason FROM web_sessions"
                           ).fetchall()
    assert rows == [(USER, True, "logout")]
