"""Server-side rendering: one Jinja2 environment (autoescape on), filters for Taipei time, safe
links and sanitised Markdown, and `page()` which fills in what every page needs."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

import nh3
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from briefs.records import safe_url
from briefs.render import evidence
from web.auth import csrf_token
from web.i18n import READING_COOKIE, pick_reading, ui_strings

_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ALLOWED_TAGS = {"h1", "h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "code", "pre",
                 "blockquote", "a", "br", "hr", "table", "thead", "tbody", "tr", "th", "td"}
_LOCAL_PATH = re.compile(r"^/(?![/\\])[^\s]*$")


def markdown_html(text: str) -> Markup:
    """Markdown as sanitised HTML: raw HTML is not rendered, and nh3 keeps only plain tags and
    http(s) links (so `javascript:` never becomes a link)."""
    return Markup(nh3.clean(_MD.render(text or ""), tags=_ALLOWED_TAGS,  # noqa: S704 - sanitised
                            attributes={"a": {"href", "title"}}, url_schemes={"http", "https"},
                            link_rel="noopener noreferrer nofollow"))


def local_path(value: str | None, default: str = "/") -> str:
    """`value` when it is a path on this site (never another host), else `default`."""
    if value and _LOCAL_PATH.match(value):
        return value
    return default


def make_environment(tz: str) -> Environment:
    """The UI's template environment; times render in `tz` (Asia/Taipei by default)."""
    zone = ZoneInfo(tz)

    def local(value: datetime | date | str | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return value
        if isinstance(value, datetime):
            return value.astimezone(zone).strftime(fmt)
        return value.isoformat()

    env = Environment(
        loader=PackageLoader("web", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["local"] = local
    env.filters["safe_url"] = safe_url
    env.filters["markdown"] = markdown_html
    env.filters["q"] = lambda v: quote(str(v), safe="")
    env.filters["url_host"] = url_host
    env.filters["evidence"] = evidence
    return env


def url_host(url: str) -> str:
    """Scheme and host of a URL with the rest elided: webhook paths often carry a secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "…"


def page(request: Request, template: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """Render a page with the language, strings, user and CSRF token filled in."""
    state = request.app.state
    session = request.state.session
    lang = request.state.lang
    html = state.env.get_template(template).render(
        t=ui_strings(lang),
        lang=lang,
        reading=pick_reading(request.cookies.get(READING_COOKIE)),
        user=session.user,
        csrf=csrf_token(state.key, session),
        path=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        nav=request.url.path.split("/")[1] if request.url.path != "/" else "digest",
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
