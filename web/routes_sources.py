"""Source health: last success, last new item, consecutive failures, stale flag."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from config.settings import Settings
from crawlers.health import health_clock, registry_health
from crawlers.registry import load_registry
from store.documents import replay_clock
from web.app import check_csrf
from web.db import reading
from web.render import page

router = APIRouter(dependencies=[Depends(check_csrf)])


@router.get("/sources")
def sources_page(request: Request) -> Response:
    """Every enabled source's health (the same figures as `radar sources health`), flagged
    ones first and never-crawled ones after them, judged at the store's clock (a replayed
    store's own instant; see crawlers.health.health_clock)."""
    settings: Settings = request.app.state.settings
    registry = load_registry(settings.sources_file)
    names = {s.id: s.name for s in registry.sources}
    countries = {s.id: s.country for s in registry.sources}
    with reading(request) as con:
        clock = health_clock(con)
        rows = registry_health(con, registry, settings.crawl, clock)
        replayed = replay_clock(con) is not None
    # what needs attention first, then the healthy, then those no run has tried yet
    rows = sorted(rows, key=lambda h: ("never-crawled" in h.flags, not h.flags, h.source_id))
    never = sum("never-crawled" in h.flags for h in rows)
    flagged = sum(bool(h.flags) for h in rows) - never
    return page(request, "sources.html.j2", rows=rows, names=names, countries=countries,
                clock=clock, replayed=replayed, flagged=flagged, never=never)
