"""Which candidate stories belong in this think tank's digest (mission relevance floor).

A story is judged by its new documents (nlp.relevance, each scored from its title, lead and
stored vector); its relevance is its best new document's. Stories below
``digest.relevance_floor`` leave the sections: the digest shows them on one collapsed line
(「另有 N 則例行公告未列入」) with their titles one click away.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import duckdb
import numpy as np

from briefs.rank import ScoredStory
from briefs.records import RoutineItem, safe_url
from config.settings import DigestSettings, ProfileSettings
from nlp.relevance import (
    Relevance,
    RelevanceDoc,
    RelevanceModel,
    RuleScorer,
    load_model,
    score_documents,
)
from nlp.topics import Taxonomy
from store.db import packed
from store.digests import MemberDoc, StoryBundle

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoryRelevance:
    """A story's relevance: its best new member's score, which member, by which model."""

    story_id: str
    score: float
    doc_id: str
    model: str
    reason: str


@lru_cache(maxsize=1)
def packaged_model() -> RelevanceModel | None:
    """The packaged classifier, read once per process."""
    return load_model()


def _presidential(m: MemberDoc) -> bool:
    host = (urlsplit(m.url).hostname or "").lower()
    return host.endswith("whitehouse.gov") or m.source_id.startswith("wh-")


def stored_vectors(
    con: duckdb.DuckDBPyConnection, doc_ids: list[str], model: str
) -> dict[str, np.ndarray]:
    """Stored embeddings of `model` for these documents (absent ones are simply missing)."""
    if not doc_ids:
        return {}
    rows = con.execute(
        "SELECT doc_id, vector FROM embeddings WHERE model = ? "
        "AND doc_id IN (SELECT unnest(string_split(?, chr(31))))",
        [model, packed(doc_ids)],
    ).fetchall()
    return {d: np.asarray(v, dtype=np.float32) for d, v in rows}


def judged_members(story: StoryBundle) -> list[MemberDoc]:
    """The members a story is judged by: the new ones (all, if none is new)."""
    return [m for m in story.members if m.in_window] or list(story.members)


def story_relevance(
    con: duckdb.DuckDBPyConnection,
    stories: list[StoryBundle],
    taxonomy: Taxonomy,
    settings: DigestSettings,
    profile: ProfileSettings,
    model: RelevanceModel | None = None,
) -> dict[str, StoryRelevance]:
    """Relevance of every candidate story (story id -> StoryRelevance).

    Args:
        con: store connection (stored vectors are read from it).
        stories: the window's candidate stories.
        taxonomy: topic taxonomy (keyword evidence of the rules).
        settings: digest settings (`relevance_method`).
        profile: the analyst profile (its watchlist lifts titles that name a watched term).
        model: the classifier (default: the packaged one; None there = rules only).
    """
    model = model if model is not None else packaged_model()
    method = settings.relevance_method
    members = {s.story_id: judged_members(s) for s in stories}
    ids = [m.doc_id for ms in members.values() for m in ms]
    vectors = stored_vectors(con, ids, model.embedding_model) if model and method != "rules" else {}
    if model and method != "rules" and ids and not vectors:
        log.warning("no stored vectors of %s: relevance by the rules only", model.embedding_model)
    rules = RuleScorer(taxonomy, tuple(profile.watchlist))
    out: dict[str, StoryRelevance] = {}
    for sid, ms in members.items():
        docs = [RelevanceDoc(m.doc_id, m.title, m.text, _presidential(m), vectors.get(m.doc_id))
                for m in ms]
        best: Relevance = max(score_documents(docs, rules, model, method),
                              key=lambda r: (r.score, r.doc_id))
        out[sid] = StoryRelevance(sid, best.score, best.doc_id, best.model, best.reason)
    return out


def split_routine(
    ranked: list[ScoredStory], relevance: dict[str, StoryRelevance], floor: float
) -> tuple[list[ScoredStory], list[ScoredStory]]:
    """(on-mission stories, routine ones), both in ranking order."""
    keep, routine = [], []
    for sc in ranked:
        rel = relevance.get(sc.story_id)
        (keep if rel is None or rel.score >= floor else routine).append(sc)
    return keep, routine


def screen_stories(
    con: duckdb.DuckDBPyConnection,
    stories: list[StoryBundle],
    ranked: list[ScoredStory],
    taxonomy: Taxonomy,
    settings: DigestSettings,
    profile: ProfileSettings,
) -> tuple[list[ScoredStory], list[ScoredStory], dict[str, StoryRelevance]]:
    """(on-mission stories, routine stories, relevance of each), the lists in ranking order."""
    relevance = story_relevance(con, stories, taxonomy, settings, profile)
    keep, routine = split_routine(ranked, relevance, settings.relevance_floor)
    return keep, routine, relevance


def routine_items(
    routine: list[ScoredStory],
    stories: dict[str, StoryBundle],
    relevance: dict[str, StoryRelevance],
) -> tuple[RoutineItem, ...]:
    """The collapsed line's entries: each routine story's title and link, and why."""
    items = []
    for sc in routine:
        story, rel = stories[sc.story_id], relevance[sc.story_id]
        doc = next((m for m in story.members if m.doc_id == rel.doc_id), story.members[0])
        items.append(RoutineItem(story_id=sc.story_id, title=doc.title.strip() or story.title,
                                 url=safe_url(doc.url), relevance=rel.score, reason=rel.reason))
    return tuple(items)


def relevance_label(relevance: dict[str, StoryRelevance]) -> str:
    """The model/version(s) behind a digest's relevance scores, for its provenance."""
    return ", ".join(sorted({r.model for r in relevance.values()}))
