"""Shared test servers and page builders, imported by conftest.py and by test modules.

They live here, not in conftest.py or a test file, so that ``from tests.servers import ...``
imports one module once, whichever way pytest was started (``pytest`` or ``python -m pytest``).
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "demo" / "snapshot"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

HOST = "news.example.gov"  # the fault site's real host, mapped to the loopback server
HTML = {"Content-Type": "text/html; charset=utf-8"}


class Route:
    """What the fault server answers for a path: status, headers, body (or a callable)."""

    def __init__(self, status=200, headers=None, body=b"", delay=0.0, trickle=0.0):
        self.status, self.headers, self.body, self.delay = status, headers or {}, body, delay
        self.trickle = trickle  # > 0: the body is sent one byte every `trickle` seconds


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
                    time.sleep(route.delay)
                body = route.body(self) if callable(route.body) else route.body
                self.send_response(route.status)
                for k, v in route.headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in route.headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    if route.trickle:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(route.trickle)
                    else:
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
        """The server's base URL (http://127.0.0.1:<port>)."""
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def stop(self):
        """Shut the server down and close its socket."""
        self.httpd.shutdown()
        self.httpd.server_close()


def article_page(title: str, body: str) -> bytes:
    """A small English article page with a structured publication date."""
    return (f'<html lang="en"><head><title>{title}</title>'
            '<meta property="article:published_time" content="2025-04-02T10:00:00-04:00"></head>'
            f"<body><main><h1>{title}</h1><p>{body} " + "More policy detail here. " * 20
            + "</p></main></body></html>").encode()


def rss_feed(paths: list[str]) -> bytes:
    """An RSS 2.0 feed listing one item per path on HOST."""
    items = "".join(
        f"<item><title>Item {p}</title><link>https://{HOST}{p}</link>"
        "<pubDate>Wed, 02 Apr 2025 10:00:00 -0400</pubDate></item>" for p in paths)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}'
            "</channel></rss>").encode()
