"""The web UI over real HTTP for tests: uvicorn in a thread on a free loopback port, a real
DuckDB store in tmp_path, and a logged-in httpx client (the login form's CSRF token read from
the page, as a browser would)."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import httpx

from config.settings import Settings, load_settings

USER, PASSWORD = "analyst", "correct horse battery"
SECRET_ENV = "RADAR_TEST_WEB_SECRET"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_HASHES: dict[str, str] = {}  # scrypt is slow on purpose: hash each test password once


def password_hash(password: str) -> str:
    """A scrypt hash of `password` (cached across tests)."""
    from web.auth import hash_password

    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


def web_settings(tmp_path: Path, users: dict[str, str] | None = None, **web: object) -> Settings:
    """Settings of a fresh store in tmp_path with web users (name -> password) and overrides.

    The signing key comes from SECRET_ENV, which the caller sets (monkeypatch) so that a
    restarted server accepts the cookies of the first one.
    """
    users = users if users is not None else {USER: PASSWORD}
    return load_settings(db_path=tmp_path / "radar.duckdb", spool_dir=tmp_path / "spool",
                         out_dir=tmp_path / "out",
                         web={"users": {u: password_hash(p) for u, p in users.items()},
                              "secret_key_env": SECRET_ENV, **web})


class WebServer:
    """`create_app(settings)` served by uvicorn until `stop()` (or the end of a `with`)."""

    def __init__(self, settings: Settings, app=None):
        import uvicorn

        from web.app import create_app

        self.app = app or create_app(settings)
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the web UI did not start")
            time.sleep(0.02)

    def client(self) -> httpx.Client:
        """A client with its own cookie jar (one browser)."""
        return httpx.Client(base_url=self.url, timeout=30, follow_redirects=False)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

    def __enter__(self) -> WebServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def csrf_of(client: httpx.Client, path: str = "/login") -> str:
    """The CSRF token of the client's session, from a page's form."""
    match = _CSRF.search(client.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: httpx.Client, user: str = USER, password: str = PASSWORD) -> httpx.Response:
    """Post the login form as a browser does (token from the form, urlencoded)."""
    token = csrf_of(client)
    return client.post("/login", data={"csrf": token, "username": user, "password": password,
                                       "next": "/sources"})
