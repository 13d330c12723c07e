"""Today's digest, the archive by date, and the story page."""

from __future__ import annotations

from datetime import UTC, date, datetime
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from briefs.i18n import is_chinese
from briefs.lifecycle import HEADING, NO_DATE_NOTE, story_timeline
from briefs.official import number_label, official_document
from briefs.reading import story_card
from briefs.response import responses_for
from config.errors import BadInputError
from config.settings import Settings
from store import webqueries as wq
from web.app import check_csrf
from web.db import reading
from web.render import page
from zhtw.terms import build_matcher

router = APIRouter(dependencies=[Depends(check_csrf)])


def profiles(settings: Settings, lang: str) -> list[tuple[str, str]]:
    """(name, label) of the configured analyst profiles, in the UI language."""
    zh = is_chinese(lang)
    return [(name, (p.label_zh if zh else p.label_en) or name)
            for name, p in settings.digest.profiles.items()]


def _profile(settings: Settings, name: str | None) -> str:
    name = name or settings.digest.profile
    if name not in settings.digest.profiles:
        raise BadInputError(f"unknown desk {name!r}")
    return name


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"not a date: {value[:20]!r} (use YYYY-MM-DD)") from None


@router.get("/")
def home() -> Response:
    """The start page is today's digest."""
    return RedirectResponse("/digest", status_code=303)


@router.get("/digest")
def digest_page(request: Request, profile: str | None = None, day: str | None = None) -> Response:
    """The digest of a date (default: the newest) for a desk, as in the email, with each
    story's score explanation to expand."""
    settings: Settings = request.app.state.settings
    name = _profile(settings, profile)
    wanted = _day(day)
    with reading(request) as con:
        wanted = wanted or wq.latest_digest_date(con, name)
        row = wq.find_digest(con, wanted, name, request.state.lang) if wanted else None
        archive = wq.digest_archive(con, name, limit=14)
    return page(request, "digest.html.j2", row=row, d=row.content if row else None,
                profile=name, profiles=profiles(settings, request.state.lang), day=wanted,
                archive=archive, other_lang=bool(row and row.lang != request.state.lang))


@router.get("/archive")
def archive_page(request: Request, profile: str | None = None) -> Response:
    """Every stored digest date of a desk, newest first."""
    settings: Settings = request.app.state.settings
    name = _profile(settings, profile)
    with reading(request) as con:
        days = wq.digest_archive(con, name)
    return page(request, "archive.html.j2", days=days, profile=name,
                profiles=profiles(settings, request.state.lang))


@router.get("/stories/{story_id:path}")
def story_page(request: Request, story_id: str) -> Response:
    """A story: its documents day by day, sources, entities, tags, official documents,
    related stories and the digests that showed it."""
    settings: Settings = request.app.state.settings
    with reading(request) as con:
        story = wq.story_detail(con, story_id, settings.web.story_docs)
        timeline = story_timeline(con, story_id, zh=is_chinese(request.state.lang))
        # 「我國回應」: Taiwan's releases in the 14 days after the measure (the page is not dated)
        responses = responses_for(con, story.docs, datetime.now(UTC), settings.timezone)
    if story.merged_into:
        return RedirectResponse(f"/stories/{quote(story.merged_into, safe=':')}", status_code=303)
    labels = request.app.state.tag_labels
    zh = is_chinese(request.state.lang)
    tags = []
    for t in story.tags:
        entry = labels.get((t.kind, t.tag))
        if entry is not None:
            tags.append((entry.zh if zh else entry.en, t.kind, t.docs))
    entities = [((e.label_zh if zh and e.label_zh else e.label_en) or e.entity_id, e.kind,
                 e.mentions) for e in story.entities]
    days: dict[str, list] = {}
    tz = settings.timezone
    for d in story.docs:
        when = d.published_at or d.first_seen_at
        days.setdefault(request.app.state.env.filters["local"](when, "%Y-%m-%d"), []).append(d)
    card = _card(request, story, labels)
    primary = official_document(list(story.docs))
    official = [(d, number_label(d.doc_number, d.doc_type) if d.doc_number else primary.label)
                for d in story.docs if d.doc_number or (primary and d.doc_id == primary.doc_id)]
    return page(request, "story.html.j2", s=story, days=days, tags=tags, entities=entities,
                lifecycle=timeline, lifecycle_text=_lifecycle_text(request),
                primary=primary, official=official, tz=tz, card=card, responses=responses)


def _lifecycle_text(request: Request) -> tuple[str, str]:
    """The measure timeline's heading and date note in the UI language."""
    i = 0 if is_chinese(request.state.lang) else 1
    return HEADING[i], NO_DATE_NOTE[i]


def _card(request: Request, story, labels) -> object:
    """The story's 重點 card, lead: its most authoritative, newest document."""
    state = request.app.state
    if getattr(state, "term_matcher", None) is None:
        state.term_matcher = build_matcher()
    if not story.docs:
        return None
    head = min(story.docs, key=lambda m: (-m.authority,
                                          -(m.published_at or m.first_seen_at).timestamp()))
    topics = [labels[(t.kind, t.tag)].zh for t in story.tags if (t.kind, t.tag) in labels
              and t.kind == "topic"]
    return story_card(list(story.docs), head, state.term_matcher, topics)
