"""The outer layer of the web UI (plain ASGI, around every route, handler and middleware):
security headers on every response, request body limits, and a last-resort 500.

It runs before anything parses a request: a body larger than ``web.max_body_bytes`` is
refused with 413 from its Content-Length, or as soon as the bytes streamed in pass the
limit, so nothing is spooled to disk or memory beyond it; multipart bodies (file uploads)
are refused with 415 on every path that does not take files. Whatever a route or a
middleware raises, the client gets a response with the security headers.
"""

from __future__ import annotations

import logging

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.i18n import LANG_COOKIE, pick_lang, ui_strings

log = logging.getLogger(__name__)

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode("ascii")),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_DEFAULT_HEADERS = ((b"cache-control", b"no-store"),)  # unless the response sets its own


class BodyTooLarge(Exception):
    """The request body passed ``web.max_body_bytes`` while it was being read."""


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """Response headers with the security headers set (replacing any the app set) and
    Cache-Control defaulted to no-store."""
    names = {name for name, _ in SECURITY_HEADERS}
    out = [(k, v) for k, v in headers if k.lower() not in names]
    out += SECURITY_HEADERS
    present = {k.lower() for k, _ in out}
    out += [(k, v) for k, v in _DEFAULT_HEADERS if k not in present]
    return out


class RequestGuard:
    """ASGI middleware: security headers, body limit, multipart refusal, last-resort 500.

    Args:
        app: the application to guard.
        max_body_bytes: largest request body accepted (``web.max_body_bytes``).
        default_lang: UI language when the request has no language cookie.
        file_paths: paths whose routes take file uploads (multipart allowed there).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int, default_lang: str,
                 file_paths: tuple[str, ...] = ()):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.default_lang = default_lang
        self.file_paths = file_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await self._plain(scope, send, *refusal)
            return
        started = too_large = False
        received = 0

        async def receive_limited() -> Message:
            nonlocal received, too_large
            if too_large:
                raise BodyTooLarge(f"request body over {self.max_body_bytes} bytes")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    too_large = True
                    raise BodyTooLarge(f"request body over {self.max_body_bytes} bytes")
            return message

        async def send_guarded(message: Message) -> None:
            nonlocal started
            if too_large:
                # The app may have turned our exception into its own answer (FastAPI makes
                # any error while parsing a form a 400): the client gets the 413 instead.
                if not started:
                    started = True
                    await self._plain(scope, send, 413, "error.too_large")
                return
            if message["type"] == "http.response.start":
                started = True
                message = {**message,
                           "headers": with_security_headers(list(message.get("headers", [])))}
            await send(message)

        try:
            await self.app(scope, receive_limited, send_guarded)
        except BodyTooLarge:
            if not started:
                await self._plain(scope, send, 413, "error.too_large")
        except Exception:  # the client still gets an answer with the headers; we log it
            log.exception("unhandled error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                await self._plain(scope, send, 500, "error.internal")

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        """(status, message key) when the request is refused from its headers alone."""
        headers = dict(HTTPConnection(scope).headers)
        length = headers.get("content-length")
        if length is not None:
            if not length.strip().isdigit():
                return 400, "error.bad"
            if int(length) > self.max_body_bytes:
                return 413, "error.too_large"
        kind = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind.startswith("multipart/") and scope.get("path") not in self.file_paths:
            return 415, "error.media_type"
        return None

    async def _plain(self, scope: Scope, send: Send, status: int, key: str) -> None:
        """A short plain-text answer in the UI language, sent on the unguarded `send` with the
        security headers; the connection is closed after it (the rest of a refused body is
        never read)."""
        conn = HTTPConnection(scope)
        lang = pick_lang(conn.cookies.get(LANG_COOKIE), self.default_lang)
        body = (ui_strings(lang)[key] + "\n").encode("utf-8")
        headers = [(b"content-type", b"text/plain; charset=utf-8"),
                   (b"content-length", str(len(body)).encode("ascii")), (b"connection", b"close")]
        await send({"type": "http.response.start", "status": status,
                    "headers": with_security_headers(headers)})
        await send({"type": "http.response.body", "body": body})
