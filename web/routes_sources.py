"""Source health: last success, last new item, consecutive failures, stale flag."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from crawlers.health import registry_health
from crawlers.registry import load_registry
from radar.settings import Settings
from web.app import check_csrf
from web.db import reading
from web.render import page

router = APIRouter(dependencies=[Depends(check_csrf)])


@router.get("/sources")
def sources_page(request: Request) -> Response:
    """Every enabled source's health now (the same figures as `radar sources health`),
    flagged ones first."""
    settings: Settings = request.app.state.settings
    registry = load_registry(settings.sources_file)
    names = {s.id: s.name for s in registry.sources}
    countries = {s.id: s.country for s in registry.sources}
    with reading(settings) as con:
        rows = registry_health(con, registry, settings.crawl)
    rows = sorted(rows, key=lambda h: (not h.flags, h.source_id))
    return page(request, "sources.html.j2", rows=rows, names=names, countries=countries)
