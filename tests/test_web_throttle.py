"""Login throttling: per user and per client address, exponential backoff, 429 with
Retry-After, and a warning log line naming the user and the address; over real HTTP (clients
bound to different loopback addresses) and on the throttle's own clock."""

from __future__ import annotations

import logging
import time

import httpx
import pytest

from config.settings import WebSettings
from tests.webserver import PASSWORD, SECRET_ENV, USER, WebServer, csrf_of, login, web_settings


@pytest.fixture(autouse=True)
def secret(monkeypatch):
    monkeypatch.setenv(SECRET_ENV, "test key " * 4)


def _client(server: WebServer, address: str) -> httpx.Client:
    """A browser on another loopback address (Linux routes all of 127/8 to lo)."""
    return httpx.Client(base_url=server.url, timeout=30, follow_redirects=False,
                        transport=httpx.HTTPTransport(local_address=address))


def test_defaults_throttle_after_a_few_failures():
    web = WebSettings()
    assert 3 <= web.login_free_failures <= 10
    assert web.login_backoff_s >= 1 and web.login_backoff_max_s >= 300


def test_guessing_one_users_password_backs_off_exponentially(tmp_path, caplog):
    settings = web_settings(tmp_path, login_free_failures=3, login_backoff_s=2.0)
    # 2 s, not less: at load 20 one scrypt login took longer than a 0.5 s backoff, which had
    # expired before the next request arrived
    with WebServer(settings) as server, server.client() as browser:
        with caplog.at_level(logging.WARNING, logger="web"):
            for _ in range(3):
                assert login(browser, password="guess").status_code == 401
            refused = login(browser)  # even the right password waits out the backoff
            assert refused.status_code == 429 and refused.headers["retry-after"] == "2"
            assert "登入嘗試過多" in refused.text
            assert "x-frame-options" in refused.headers
            waits = []
            for _ in range(2):  # each further failure doubles the wait: 2 s, 4 s, 8 s
                time.sleep(float(refused.headers["retry-after"]) + 0.1)
                assert login(browser, password="guess").status_code == 401
                refused = login(browser)
                assert refused.status_code == 429
                waits.append(int(refused.headers["retry-after"]))
            assert waits == [4, 8]
            time.sleep(waits[-1] + 0.1)
            assert login(browser).status_code == 303  # the right password, after the wait
        lines = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("throttled" in m and repr(USER) in m and "127.0.0.1" in m for m in lines)
        assert any("failed" in m and repr(USER) in m and "127.0.0.1" in m for m in lines)
        with server.client() as other:  # a success forgets the failures
            assert login(other, password="guess").status_code == 401


def test_a_user_is_throttled_from_every_address(tmp_path):
    settings = web_settings(tmp_path, login_free_failures=2, login_backoff_s=60)
    with WebServer(settings) as server:
        with _client(server, "127.0.0.2") as first, _client(server, "127.0.0.3") as second:
            for _ in range(2):
                assert login(first, password="guess").status_code == 401
            refused = login(second)
            assert refused.status_code == 429 and 55 <= int(refused.headers["retry-after"]) <= 60


def test_an_address_trying_many_users_is_throttled(tmp_path):
    settings = web_settings(tmp_path, {USER: PASSWORD, "bob": "bobs password"},
                            login_free_failures=2, login_backoff_s=60)
    with WebServer(settings) as server:
        with _client(server, "127.0.0.4") as sprayer, _client(server, "127.0.0.5") as analyst:
            for name in ("root", "admin"):
                assert login(sprayer, name, "guess").status_code == 401
            assert login(sprayer, "bob", "bobs password").status_code == 429
            assert login(analyst).status_code == 303  # another address, another user: let in


def test_parallel_guesses_count_before_their_passwords_are_checked(tmp_path):
    """Guesses sent at once must not all slip through before the first failure is recorded."""
    from concurrent.futures import ThreadPoolExecutor

    settings = web_settings(tmp_path, login_free_failures=2, login_backoff_s=60)
    with WebServer(settings) as server:
        clients = [server.client() for _ in range(8)]
        tokens = [csrf_of(c) for c in clients]

        def guess(i: int) -> int:
            return clients[i].post("/login", data={"csrf": tokens[i], "username": USER,
                                                   "password": f"guess {i}"}).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = sorted(pool.map(guess, range(8)))
        for c in clients:
            c.close()
    assert codes.count(401) == 2 and codes.count(429) == 6


def test_backoff_doubles_up_to_the_cap_and_a_quiet_day_forgives():
    from web.throttle import LoginThrottle

    throttle = LoginThrottle(free_failures=2, backoff_s=1.0, max_backoff_s=8.0)
    now = 1000.0
    waits = []
    for _ in range(8):
        wait = throttle.begin("ana", "10.0.0.1", now=now)
        if wait:
            waits.append(wait)
            now += wait
            assert throttle.begin("ana", "10.0.0.1", now=now) == 0
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert throttle.begin("ANA ", "10.0.0.9", now=now) == 8.0  # the same user, any spelling
    assert throttle.begin("ana", "10.0.0.1", now=now + 86_401) == 0
