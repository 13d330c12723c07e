"""Watchlists: create, edit, delete, and each one's recent hits."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from briefs.i18n import is_chinese
from commentary.query import load_glossary
from config.settings import Settings
from store import watchlists as wl
from store import webqueries as wq
from web.app import check_csrf
from web.db import reading, writing
from web.i18n import country_choices
from web.render import page

router = APIRouter(dependencies=[Depends(check_csrf)])


def _terms(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(x.strip() for x in value.replace(",", "\n").splitlines()
                               if x.strip()))


@router.get("/watch")
def watch_page(request: Request, edit: str = "") -> Response:
    """Every watchlist with its hits among documents first seen in the last `web.watch_days`
    days of the store (so a replayed store shows its own recent days)."""
    settings: Settings = request.app.state.settings
    with reading(request) as con:
        lists = wl.list_watchlists(con)
        until = wq.newest_document_time(con)
        since = until - timedelta(days=settings.web.watch_days) if until else None
        hits = {w.id: wl.watch_hits(con, w, since, load_glossary) if since else [] for w in lists}
        countries, sources = wq.search_facets(con)
    zh = is_chinese(request.state.lang)
    topics = [(t.id, t.zh if zh else t.en) for t in request.app.state.taxonomy.topics]
    editing = next((w for w in lists if w.id == edit), None)
    return page(request, "watch.html.j2", lists=lists, hits=hits, since=since, until=until,
                editing=editing, topics=topics, sources=sources,
                countries=country_choices(countries, request.state.lang),
                country_names=dict(country_choices(sorted({c for w in lists for c in w.countries}),
                                                   request.state.lang)),
                days=settings.web.watch_days)


@router.post("/watch")
def save_watch(request: Request, name: str = Form(...), query: str = Form(...),
               topics: Annotated[list[str] | None, Form()] = None,
               countries: Annotated[list[str] | None, Form()] = None,
               sources: Annotated[list[str] | None, Form()] = None,
               channel: str = Form(""), target: str = Form(""),
               watch_id: str = Form("")) -> Response:
    """Create a watchlist, or update the one named by `watch_id`; with a channel, the
    alerts pass notifies its target of each new matching story."""
    with writing(request) as con:
        saved = wl.save_watchlist(
            con, name.strip() or query.strip()[:40], query, request.state.session.user,
            topics=tuple(t for t in topics or () if t), countries=_terms("\n".join(countries or ())),
            sources=tuple(s for s in sources or () if s), channel=channel, target=target,
            watch_id=watch_id or None)
    return RedirectResponse(f"/watch#w-{saved}", status_code=303)


@router.post("/watch/{watch_id}/delete")
def delete_watch(request: Request, watch_id: str) -> Response:
    """Delete a watchlist."""
    with writing(request) as con:
        wl.delete_watchlist(con, watch_id)
    return RedirectResponse("/watch", status_code=303)
