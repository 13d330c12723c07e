"""Search: full text (BM25) + semantic (embeddings), filters by date, country, topic and
source, results grouped by story."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from briefs.i18n import is_chinese
from commentary.draft import parse_instant
from commentary.query import load_vocabulary
from commentary.search_request import search_request
from config.errors import BadInputError
from config.settings import Settings
from store import webqueries as wq
from store.search import DocHit, SearchFilters
from web.app import check_csrf
from web.db import reading
from web.i18n import country_choices, ui_strings
from web.render import page

router = APIRouter(dependencies=[Depends(check_csrf)])
_MODEL_LOCK = threading.Lock()


def encoder(request: Request):
    """The app's embedding backend (loaded on first use if the warm-up has not finished)."""
    return load_encoder(request.app.state)


def load_encoder(state):
    """Load the embedding backend and search synonyms into the app state once; returns it.

    `create_app` calls this in a background thread so the first search does not wait.
    """
    with _MODEL_LOCK:
        if not hasattr(state, "encoder"):
            from nlp.embed import load_backend, load_multilingual

            backend = load_backend(state.settings.nlp)
            backend.encode(["warm up"])
            # the multilingual query encoder for the cross-language half of search (None: off)
            state.multilingual = load_multilingual(state.settings.nlp)
            if state.multilingual is not None:
                state.multilingual.encode(["warm up"])
            state.encoder = backend
            state.synonyms = load_vocabulary()
    return state.encoder


@dataclass(frozen=True)
class StoryGroup:
    """A story with its matching documents (or, with no story, loose documents)."""

    story_id: str | None
    title: str
    size: int
    hits: tuple[DocHit, ...]


def group_hits(docs: tuple[DocHit, ...], stories) -> list[StoryGroup]:
    """Matching documents under their stories (best story first), then loose documents."""
    by_id = {h.doc_id: h for h in docs}
    groups = [StoryGroup(s.story_id, s.title, s.size, tuple(by_id[d] for d in s.doc_ids))
              for s in stories]
    loose = tuple(h for h in docs if not h.story_id)
    if loose:
        groups.append(StoryGroup(None, "", len(loose), loose))
    return groups


def filter_bound(value: str, field: str, request: Request, end: bool = False):
    """A date filter from the form as a UTC instant (None when empty).

    Raises:
        BadInputError: not a date, or one without a UTC instant (0001-01-01 in Taipei); the
            message names the field and the value in the UI language.
    """
    settings: Settings = request.app.state.settings
    try:
        return parse_instant(value or None, settings.timezone, end=end)
    except BadInputError as exc:
        t = ui_strings(request.state.lang)
        raise BadInputError(t["error.date"].format(field=t[field], value=value[:40])) from exc


@router.get("/search")
def search_page(request: Request, q: str = "", since: str = "", until: str = "",
                country: str = "", topic: str = "", source: str = "") -> Response:
    """The search form and, with a query, the results grouped by story."""
    settings: Settings = request.app.state.settings
    text = q.strip()
    form = {"q": text, "since": since, "until": until, "country": country, "topic": topic,
            "source": source}
    zh = is_chinese(request.state.lang)
    topics = [(t.id, t.zh if zh else t.en) for t in request.app.state.taxonomy.topics]
    result, groups, cards, prepared = None, [], {}, None
    # Filters are checked before the model or the store is touched: bad input fails fast.
    filters = SearchFilters(
        since=filter_bound(since, "search.since", request),
        until=filter_bound(until, "search.until", request, end=True),
        countries=(country,) if country else (), sources=(source,) if source else (),
        topics=(topic,) if topic else ())
    backend = encoder(request) if text else None
    with reading(request) as con:
        countries, sources = wq.search_facets(con)
        if text:
            found = search_request(con, settings, backend, text,
                                   limit=settings.web.search_limit, filters=filters,
                                   synonyms=request.app.state.synonyms,
                                   multilingual=getattr(request.app.state, "multilingual", None))
            prepared, result = found.prepared, found.result
            groups = group_hits(result.docs, result.stories)
            cards = wq.doc_cards(con, [h.doc_id for h in result.docs])
    return page(request, "search.html.j2", form=form, result=result, groups=groups, cards=cards,
                prepared=prepared, countries=country_choices(countries, request.state.lang),
                sources=sources, topics=topics)
