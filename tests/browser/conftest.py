"""Browser-test fixtures: a small real store, the UI on a loopback port (uvicorn in a thread),
and Debian's Chromium driven by Playwright (never a downloaded browser). Screenshots go to
test-artifacts/ at the project root."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from tests.browser.actions import PASSWORD, USER
from tests.browser.webstore import build_web_store

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
        "--disable-component-update", "--no-first-run", "--disable-sync"]


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory):
    """Settings of a store filled from the snapshot, with one web user."""
    from config.settings import load_settings
    from web.auth import hash_password

    base = tmp_path_factory.mktemp("webui")
    settings = load_settings(db_path=base / "radar.duckdb", spool_dir=base / "spool",
                             out_dir=base / "out",
                             web={"users": {USER: hash_password(PASSWORD)}})
    prebuilt = os.environ.get("RADAR_WEB_TEST_STORE")  # a store built before, to iterate faster
    if prebuilt:
        shutil.copyfile(prebuilt, settings.db_path)
    else:
        build_web_store(settings)
    return settings


@pytest.fixture(scope="session")
def base_url(web_settings):
    """The UI served by uvicorn on a free loopback port for the whole session."""
    import uvicorn

    from web.app import create_app
    from web.routes_search import load_encoder

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(web_settings)
    load_encoder(app.state)  # the models are loaded before the first page is timed
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the web UI did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium (apt-get install chromium), headless."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("no Chromium at /usr/bin/chromium: `apt-get install -y chromium` "
                    "(`make test` does this)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, base_url):
    """A fresh browser context (no cookies) per test, reporting console CSP violations."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900},
                                  accept_downloads=True, locale="zh-TW")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.csp_errors = []
    pg.on("console", lambda m: pg.csp_errors.append(m.text)
          if "Content Security Policy" in m.text else None)
    yield pg
    context.close()
