"""Shared fixtures: a tmp DuckDB store, settings, the loopback mirror, a fault-injecting server."""

from __future__ import annotations

import os
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_HOME", str(Path(__file__).resolve().parent.parent / ".prefect"))

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "demo" / "snapshot"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def settings(tmp_path):
    """Settings pointing at a fresh store and spool in tmp_path, with no politeness delay."""
    from radar.settings import load_settings

    return load_settings(db_path=tmp_path / "radar.duckdb", spool_dir=tmp_path / "spool",
                         out_dir=tmp_path / "out", crawl={"per_host_delay_s": 0.0})


@pytest.fixture
def con(settings):
    """A real, migrated DuckDB file in tmp_path."""
    from store.db import connect

    c = connect(settings.db_path)
    yield c
    c.close()


@pytest.fixture(scope="session")
def mirror():
    """The loopback mirror over the bundled snapshot, as of the demo date's morning."""
    from crawlers.mirror import Mirror

    m = Mirror(SNAPSHOT, datetime.fromisoformat("2025-04-03T07:00:00+08:00")).start()
    yield m
    m.stop()


class Route:
    """What the fault server answers for a path: status, headers, body (or a callable)."""

    def __init__(self, status=200, headers=None, body=b"", delay=0.0):
        self.status, self.headers, self.body, self.delay = status, headers or {}, body, delay


class FaultServer:
    """A loopback HTTP server whose routes a test sets (for bad-input tests)."""

    def __init__(self):
        self.routes: dict[str, Route] = {}
        self.hits: list[tuple[str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits.append((self.path, dict(self.headers)))
                route = outer.routes.get(self.path)
                if route is None and self.path == "/robots.txt":
                    route = Route(200, {"Content-Type": "text/plain"}, b"User-agent: *\nAllow: /\n")
                if route is None:
                    route = Route(404, {}, b"not found")
                if route.delay:
                    import time

                    time.sleep(route.delay)
                body = route.body(self) if callable(route.body) else route.body
                self.send_response(route.status)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in route.headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fault_server():
    """A fresh fault-injecting loopback server."""
    s = FaultServer()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect server/database for every flow test of the session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
