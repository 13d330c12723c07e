"""The loopback mirror's HTTP side: responses, conditional GET and the threaded server.

Routing lives in replay/mirror.py (``Mirror.route``); this module only turns a routed
response into bytes on the wire, the way the real sites answer (keep-alive, ETag and
Last-Modified, 304 on a matching conditional GET, 405 on anything but GET and HEAD).
"""

from __future__ import annotations

import hashlib
import logging
import socketserver
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol

log = logging.getLogger(__name__)

HTML = "text/html; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
RSS = "application/rss+xml; charset=UTF-8"
JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"


@dataclass
class Response:
    """One routed answer before the HTTP headers are added."""

    status: int
    body: bytes
    content_type: str = HTML
    last_modified: datetime | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Router(Protocol):
    """What the server asks of the mirror: a response per path, and a request log."""

    def route(self, raw_path: str) -> Response:
        """The response to a GET of ``raw_path``."""
        ...

    def record(self, method: str, path: str, status: int) -> None:
        """Note a served request."""
        ...


def not_found() -> Response:
    """The mirror's 404 page."""
    return Response(404, b"<!DOCTYPE html>\n<html><head><title>Page not found</title></head>"
                         b"<body><h1>404 - Page not found</h1></body></html>\n")


def ok(text: str, content_type: str, last_modified: datetime | None = None) -> Response:
    """A 200 response of ``text`` (UTF-8)."""
    return Response(200, text.encode("utf-8"), content_type, last_modified)


def not_modified(request_headers, etag: str, last_modified: datetime | None) -> bool:
    """RFC 9110 conditional GET: If-None-Match wins; If-Modified-Since only without it."""
    inm = request_headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = request_headers.get("If-Modified-Since")
    if ims and last_modified is not None:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False  # an unparsable date is ignored, as the RFC says
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return last_modified.replace(microsecond=0) <= since
    return False


class MirrorServer(ThreadingHTTPServer):
    """A threaded HTTP server whose handler asks ``router`` for every response."""

    daemon_threads = True
    router: Router

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup (getfqdn can stall for seconds on
        machines without DNS; a loopback mirror never needs the name)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address) -> None:
        """Keep stderr quiet: a client hanging up is routine; anything else goes to logging."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        log.exception("mirror connection from %s failed", client_address)


class MirrorHandler(BaseHTTPRequestHandler):
    """GET and HEAD through the router; every other method is refused."""

    server: MirrorServer
    protocol_version = "HTTP/1.1"  # keep-alive, like the real sites
    server_version = "policy-radar-mirror/1"
    timeout = 30  # idle keep-alive connections are closed, so stop() is never held up
    # Headers and body leave in one buffered write with Nagle off: two small writes
    # otherwise meet the client's delayed ACK and every response takes ~40 ms.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        """Server header value (without the Python version the stdlib appends)."""
        return self.server_version

    def log_message(self, format: str, *args) -> None:
        """Silence the default access log on stderr; ``Mirror.request_log`` keeps it."""

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Serve a HEAD (same headers as GET, no body)."""
        self._serve(head=True)

    def _method_not_allowed(self) -> None:
        # Connection: close, because a request body we never read would poison keep-alive.
        headers = {"Allow": "GET, HEAD", "Connection": "close"}
        self._send(Response(405, b"Method Not Allowed\n", TEXT, headers=headers), False)

    do_POST = do_PUT = do_DELETE = do_PATCH = _method_not_allowed

    def _serve(self, head: bool) -> None:
        try:
            resp = self.server.router.route(self.path)
        except Exception:
            log.exception("mirror failed on %s", self.path)
            resp = Response(500, b"Internal Server Error\n", TEXT)
        if resp.status == 200:
            etag = '"' + hashlib.sha1(resp.body).hexdigest()[:24] + '"'
            resp.headers["ETag"] = etag
            if resp.last_modified is not None:
                resp.headers["Last-Modified"] = format_datetime(resp.last_modified.astimezone(UTC), usegmt=True)
            if not_modified(self.headers, etag, resp.last_modified):
                resp = Response(304, b"", resp.content_type, headers=resp.headers)
        self._send(resp, head)

    def _send(self, resp: Response, head: bool) -> None:
        self.send_response(resp.status)
        if resp.status != 304:
            self.send_header("Content-Type", resp.content_type)
            self.send_header("Content-Length", str(len(resp.body)))
        for name, value in resp.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not head and resp.status != 304:
            self.wfile.write(resp.body)
        self.server.router.record(self.command, self.path, resp.status)
