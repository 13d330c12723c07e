"""The analyst web UI: `create_app(settings)` builds the FastAPI app, `serve(settings)` runs it.

Every page needs a logged-in session (local users from settings, scrypt hashes); every form
carries a CSRF token; every response, errors included, carries a Content-Security-Policy that
allows only our own scripts and styles (web.guard, which also limits request bodies). Store
errors become pages: busy store 503, unknown id 404, bad input 400, anything else 500.
"""

from __future__ import annotations

import gc
import logging
import threading
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from briefs.entries import tag_labels
from config.errors import BadInputError, NotFoundError, TransientError
from config.settings import Settings
from nlp.topics import load_taxonomy
from web import auth
from web.db import reader_pool
from web.drafts import DraftJobs
from web.guard import BodyTooLarge, RequestGuard
from web.i18n import LANG_COOKIE, pick_lang, ui_strings
from web.render import make_environment, page
from web.sessions import Sessions
from web.throttle import LoginThrottle

log = logging.getLogger(__name__)

SESSION_COOKIE = "radar_session"
__all__ = ["LANG_COOKIE", "SESSION_COOKIE", "check_csrf", "create_app", "serve"]
_PUBLIC = ("/login", "/lang", "/static/", "/healthz")
_UNCHECKED = ("/static/", "/healthz")  # answered alike for everyone: no session lookup
# Paths whose routes take file uploads; multipart bodies are refused (415) everywhere else.
_FILE_PATHS: tuple[str, ...] = ()


class CsrfError(BadInputError):
    """A form was posted without this session's CSRF token."""


async def check_csrf(request: Request) -> None:
    """Dependency of every router: a POST must carry the session's token in `csrf`.

    Raises:
        CsrfError: missing or wrong token.
    """
    if request.method != "POST":
        return
    form = await request.form()
    token = form.get("csrf")
    if not auth.csrf_ok(request.app.state.key, request.state.session, str(token or "")):
        raise CsrfError("missing or wrong CSRF token")


def _error_page(request: Request, status: int, message: str, detail: str = "") -> Response:
    if not hasattr(request.state, "session"):
        return Response(message, status_code=status, media_type="text/plain; charset=utf-8")
    return page(request, "error.html.j2", status_code=status, message=message, detail=detail)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        t = ui_strings(request.state.lang)
        return _error_page(request, 404, t["error.notfound"], str(exc))

    @app.exception_handler(TransientError)
    async def busy(request: Request, exc: TransientError) -> Response:
        t = ui_strings(request.state.lang)
        response = _error_page(request, 503, t["error.busy"], str(exc))
        response.headers["Retry-After"] = str(int(exc.retry_after or 30))
        return response

    @app.exception_handler(CsrfError)
    async def csrf(request: Request, exc: CsrfError) -> Response:
        return _error_page(request, 403, ui_strings(request.state.lang)["error.csrf"])

    @app.exception_handler(BadInputError)
    async def bad_input(request: Request, exc: BadInputError) -> Response:
        return _error_page(request, 400, ui_strings(request.state.lang)["error.bad"], str(exc))

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default is a 422 with its JSON (the value echoed back, English only): a
        # person gets a page naming the parameters instead.
        t = ui_strings(request.state.lang)
        names = sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")})
        return _error_page(request, 400, t["error.bad"],
                           t["error.param"].format(names=", ".join(names)[:200]))


async def _session_of(request: Request) -> tuple[auth.Session, bool, Response | None]:
    """The request's session: (session, whether it is new, a refusal response or None).

    A cookie that is unsigned, expired, revoked on the server or of a user no longer
    configured gives a new anonymous session (so the login page follows). When the store
    cannot be read to check a logged-in session, the request is refused (503), never let in.
    """
    app = request.app
    hours = app.state.settings.web.session_hours
    session = auth.decode_session(app.state.key, request.cookies.get(SESSION_COOKIE))
    if session is not None and not request.url.path.startswith(_UNCHECKED):
        try:
            valid = await run_in_threadpool(app.state.sessions.is_valid, session)
        except TransientError as exc:
            request.state.session = auth.new_session(None, hours)
            response = _error_page(request, 503, ui_strings(request.state.lang)["error.busy"],
                                   str(exc))
            response.headers["Retry-After"] = str(int(exc.retry_after or 5))
            return request.state.session, True, response
        if not valid:
            session = None
    if session is None:
        return auth.new_session(None, hours), True, None
    return session, False, None


def create_app(settings: Settings) -> FastAPI:
    """The web UI as an ASGI app (serve it with uvicorn on `settings.web.host/port`).

    Raises:
        ConfigError: no users configured, or a user without a scrypt hash.
    """
    from web import (
        routes_comment,
        routes_digest,
        routes_search,
        routes_session,
        routes_sources,
        routes_watch,
    )

    auth.validate_users(settings.web)
    app = FastAPI(title="policy-radar", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.key = auth.secret_key(settings.web)
    app.state.env = make_environment(settings.timezone)
    app.state.taxonomy = load_taxonomy()
    app.state.tag_labels = tag_labels(app.state.taxonomy)
    app.state.jobs = DraftJobs()
    app.state.readers = reader_pool(settings)
    app.state.sessions = Sessions(settings)
    app.state.throttle = LoginThrottle(settings.web.login_free_failures,
                                       settings.web.login_backoff_s,
                                       settings.web.login_backoff_max_s)
    app.state.sessions.start()
    static = Path(__file__).with_name("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.middleware("http")
    async def session_layer(request: Request, call_next) -> Response:
        web = settings.web
        request.state.lang = pick_lang(request.cookies.get(LANG_COOKIE), settings.ui_lang)
        session, fresh, refusal = await _session_of(request)
        request.state.session = session
        path = request.url.path
        if refusal is not None:
            response: Response = refusal
        elif session.user is None and not path.startswith(_PUBLIC):
            target = quote(path + (f"?{request.url.query}" if request.url.query else ""), safe="")
            response = RedirectResponse(f"/login?next={target}", status_code=303)
        else:
            try:
                response = await call_next(request)
            except BodyTooLarge:
                raise  # web.guard answers 413
            except Exception:  # an unexpected error is a logged 500 page, never a traceback
                log.exception("unhandled error on %s %s", request.method, path)
                response = _error_page(request, 500, ui_strings(request.state.lang)["error.internal"])
        if fresh or request.state.session is not session:
            response.set_cookie(SESSION_COOKIE, auth.encode_session(app.state.key,
                                                                    request.state.session),
                                max_age=int(web.session_hours * 3600), httponly=True,
                                samesite="lax", secure=web.cookie_secure, path="/")
        return response

    threading.Thread(target=_warm_up, args=(app.state,), name="warm-up", daemon=True).start()
    _install_handlers(app)
    # Added last, so it is the outermost layer: it sees every response and every exception.
    app.add_middleware(RequestGuard, max_body_bytes=settings.web.max_body_bytes,
                       default_lang=settings.ui_lang, file_paths=_FILE_PATHS)
    for module in (routes_session, routes_digest, routes_search, routes_comment, routes_sources,
                   routes_watch):
        app.include_router(module.router)
    return app


def _warm_up(state) -> None:
    """Load the embedding model, then move everything allocated so far (model, libraries) out
    of the garbage collector's reach: a full collection otherwise walks those millions of
    objects and stalls whatever page is being served for 150-300 ms (measured with
    benchmarks/web.py, where such pauses were the digest page's slowest requests)."""
    from web.routes_search import load_encoder  # the routes import this module

    load_encoder(state)
    gc.collect()
    gc.freeze()


def serve(settings: Settings) -> None:
    """Run the UI with uvicorn on `settings.web.host`:`settings.web.port` (loopback by default)."""
    import uvicorn

    app = create_app(settings)
    uvicorn.run(app, host=settings.web.host, port=settings.web.port, log_level="info",
                proxy_headers=False, server_header=False)
