"""Log in, log out (revoking the session on the server), and the language switch."""

from __future__ import annotations

import asyncio
import logging
import math

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from web import auth
from web.app import LANG_COOKIE, check_csrf
from web.i18n import LANGS, READING_COOKIE, READINGS, ui_strings
from web.render import local_path, page
from web.throttle import LoginThrottle

log = logging.getLogger(__name__)
router = APIRouter(dependencies=[Depends(check_csrf)])


@router.get("/healthz")
def healthz() -> dict:
    """Liveness for `radar serve` (no login needed, tells nothing about the store)."""
    return {"ok": True}


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The login form."""
    return page(request, "login.html.j2", next=local_path(next), failed=False)


@router.post("/login")
async def login(request: Request, username: str = Form(""), password: str = Form(""),
                next: str = Form("/")) -> Response:
    """Check the password (throttled per user and address: 429 with Retry-After); on success
    start a new session (new id, recorded on the server) and go on."""
    web = request.app.state.settings.web
    user = username.strip()
    address = request.client.host if request.client else None
    throttle: LoginThrottle = request.app.state.throttle
    wait = throttle.begin(user, address)
    if wait > 0:
        seconds = math.ceil(wait)
        log.warning("login throttled: user %r from %s, %d failed attempts, retry in %d s",
                    user[:64], address, throttle.failures(user, address), seconds)
        response = page(request, "login.html.j2", status_code=429, next=local_path(next),
                        failed=False, notice=ui_strings(request.state.lang)[
                            "login.throttled"].format(seconds=seconds))
        response.headers["Retry-After"] = str(seconds)
        return response
    ok = await asyncio.to_thread(auth.check_login, web, user, password)
    if not ok:
        log.warning("login failed: user %r from %s (%d failed attempts)", user[:64], address,
                    throttle.failures(user, address))
        return page(request, "login.html.j2", status_code=401, next=local_path(next), failed=True)
    throttle.succeeded(user, address)
    request.state.session = await asyncio.to_thread(request.app.state.sessions.login, user,
                                                    address)
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session: revoked on the server, so a copy of its cookie is refused too."""
    request.app.state.sessions.logout(request.state.session)
    request.state.session = auth.new_session(None, request.app.state.settings.web.session_hours)
    return RedirectResponse("/login", status_code=303)


@router.post("/reading")
def switch_reading(request: Request, to: str = Form(...), next: str = Form("/")) -> Response:
    """Remember the reading mode (中文 / English / 雙語) in a cookie and return to the page."""
    response = RedirectResponse(local_path(next), status_code=303)
    if to in READINGS:
        response.set_cookie(READING_COOKIE, to, max_age=365 * 86400, samesite="lax", path="/",
                            httponly=True)
    return response


@router.post("/lang")
def switch_language(request: Request, to: str = Form(...), next: str = Form("/")) -> Response:
    """Remember the interface language in a cookie and return to the page."""
    response = RedirectResponse(local_path(next), status_code=303)
    if to in LANGS:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, samesite="lax", path="/",
                            httponly=True)
    return response
