"""Log in, log out (revoking the session on the server), and the language switch."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from web import auth
from web.app import LANG_COOKIE, check_csrf
from web.i18n import LANGS
from web.render import local_path, page

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
    """Check the password; on success start a new session (new id) and go on."""
    web = request.app.state.settings.web
    ok = await asyncio.to_thread(auth.check_login, web, username.strip(), password)
    if not ok:
        return page(request, "login.html.j2", status_code=401, next=local_path(next), failed=True)
    address = request.client.host if request.client else None
    request.state.session = await asyncio.to_thread(request.app.state.sessions.login,
                                                    username.strip(), address)
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session: revoked on the server, so a copy of its cookie is refused too."""
    request.app.state.sessions.logout(request.state.session)
    request.state.session = auth.new_session(None, request.app.state.settings.web.session_hours)
    return RedirectResponse("/login", status_code=303)


@router.post("/lang")
def switch_language(request: Request, to: str = Form(...), next: str = Form("/")) -> Response:
    """Remember the interface language in a cookie and return to the page."""
    response = RedirectResponse(local_path(next), status_code=303)
    if to in LANGS:
        response.set_cookie(LANG_COOKIE, to, max_age=365 * 86400, samesite="lax", path="/",
                            httponly=True)
    return response
