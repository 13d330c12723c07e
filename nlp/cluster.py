"""Online story clustering in time order with stable story ids.

Each document joins the best active story when its similarity reaches the threshold, else
it founds a new story (id = "s" + hash of the founding document id, so re-runs give the
same ids). Similarity = embedding cosine (to the centroid and to the closest recent member;
the multilingual vector for documents in different languages) + entity overlap + IDF-weighted
title-word overlap + the overlap of the orders and proclamations their texts name - a time
penalty (half-life) - what the title slots forbid (``nlp.story_fit``: a templated AD/CVD or
Section 337 notice of another case, a title recurring weeks later, another product). A document
without a publication date needs a higher score (``cluster_undated_threshold``): the time
penalty that keeps other weeks' events apart says nothing for it. When a document is close to
two stories whose centroids are also close, the younger story is merged into the older one and
the merge is recorded as an event; an optional second pass (``nlp.story_merge``) merges split
stories by average linkage.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import numpy as np
from threadpoolctl import threadpool_limits

from config.settings import NlpSettings
from nlp.story_fit import cases_agree, instrument_overlap, slot_penalty, title_overlap
from nlp.story_merge import consolidate, two_means
from nlp.story_state import Assignment, ClusterItem, ClusterState, Story, StoryEvent, story_id_for

__all__ = ["Assignment", "ClusterItem", "ClusterState", "Story", "StoryEvent", "cluster_items",
           "entity_jaccard", "restore_story", "story_id_for"]

_DAY = 86400.0
_MEMBER_PROBE = 64  # compare with at most this many recent members per candidate story
_TOP_CANDIDATES = 8


def _time_gap_days(at: float, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.maximum(at - last, first - at)) / _DAY


def entity_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two entity sets (0 when both are empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _score_candidates(item: ClusterItem, state: ClusterState, settings: NlpSettings):
    idx = state.index
    n = len(idx)
    if n == 0:
        return []
    at = item.at.timestamp()
    alive = idx.alive[:n].copy()
    gap = _time_gap_days(at, idx.first[:n], idx.last[:n])
    alive &= gap <= settings.cluster_window_days
    if not alive.any():
        return []
    cos = primary = idx.matrix[:n] @ item.vector
    cross = item.mvector is not None and idx.matrix2.shape[1] > 0
    if cross:
        # A story in another language is found by its multilingual centroid.
        cos = np.maximum(cos, idx.matrix2[:n] @ item.mvector + settings.cluster_multilingual_shift)
    decay = 0.5 ** (gap / settings.cluster_half_life_days)
    coarse = np.where(alive, cos - settings.cluster_time_weight * (1.0 - decay), -9.0)
    k = min(_TOP_CANDIDATES, n)
    top = np.argpartition(-coarse, k - 1)[:k]
    out = []
    case = item.case
    terms = item.terms
    weights = {t: state.idf(t) for t in terms}
    for row in top:
        if not alive[row]:
            continue
        story = state.stories[idx.ids[row]]
        emb = _embedding_similarity(item, story, cross, settings, float(primary[row]))
        ent = entity_jaccard(item.entities, story.top_entities())
        lexical = title_overlap(weights, story)
        score = (
            emb
            + settings.cluster_entity_weight * ent
            + settings.cluster_title_weight * (lexical - settings.cluster_title_offset)
            - settings.cluster_time_weight * (1.0 - float(decay[row]))
            - slot_penalty(item, case, story, settings)
            + settings.cluster_instrument_weight * instrument_overlap(item, story)
        )
        out.append((score, story.id))
    out.sort(key=lambda x: (-x[0], x[1]))
    return out


def _primary_pair(a: str, b: str, primary: list[str]) -> bool:
    """Whether two documents are compared by the primary vector: same language, one the
    primary model reads (``cluster_primary_languages``), or a language unknown."""
    return not a or not b or (a == b and a in primary)


def _embedding_similarity(item: ClusterItem, story: Story, cross: bool, settings: NlpSettings,
                          centroid_cos: float) -> float:
    """Centroid/closest-member blend of the primary vectors over members compared by them
    (``_primary_pair``); for the other members (another language, or one the primary model
    does not read) the same blend of the multilingual vectors, shifted onto the primary scale
    (``cluster_multilingual_shift``). The better one counts. ``centroid_cos``: the item's
    cosine to the story's primary centroid (the index row, already computed)."""
    primary = settings.cluster_primary_languages
    best = -1.0
    if not cross or all(_primary_pair(item.language, lang, primary) for lang in story.languages):
        best_member = float((story.recent_vectors(_MEMBER_PROBE) @ item.vector).max())
        return 0.5 * centroid_cos + 0.5 * best_member
    recent = story.items[-_MEMBER_PROBE:]
    same = [i for i in recent if _primary_pair(item.language, i.language, primary)]
    other = [i.mvector for i in recent
             if not _primary_pair(item.language, i.language, primary) and i.mvector is not None]
    if same:
        best_member = float(np.max(np.asarray([i.vector for i in same]) @ item.vector))
        best = 0.5 * centroid_cos + 0.5 * best_member
    if other:
        best_member = float(np.max(np.asarray(other) @ item.mvector))
        ml = 0.5 * float(story.mcentroid @ item.mvector) + 0.5 * best_member
        best = max(best, ml + settings.cluster_multilingual_shift)
    return best


def _found(item: ClusterItem) -> Story:
    return Story(id=story_id_for(item.doc_id), items=[], entity_counts=Counter(),
                 vector_sum=np.zeros_like(item.vector, dtype=np.float64),
                 first_at=item.at, last_at=item.at)


def _join(story: Story, item: ClusterItem) -> None:
    story.touch()
    story.items.append(item)
    story.vector_sum = story.vector_sum + item.vector
    story.entity_counts.update(item.entities)
    story.product_counts.update(item.products)
    story.term_counts.update(item.terms)
    story.instrument_counts.update(item.instruments)
    story.languages[item.language] += 1
    if item.mvector is not None:
        base = story.mvector_sum if story.mvector_sum is not None else 0.0
        story.mvector_sum = base + item.mvector.astype(np.float64)
    case = item.case
    if case is not None:
        story.cases[case] += 1
    key, at = item.key, item.at.timestamp()
    first, last = story.title_span.get(key, (at, at))
    story.title_span[key] = (min(first, at), max(last, at))
    story.first_at = min(story.first_at, item.at)
    story.last_at = max(story.last_at, item.at)
    story.joins_since_split_check += 1


def _merge(state: ClusterState, keep: Story, gone: Story, at: datetime, why: dict) -> None:
    for item in gone.items:
        _join(keep, item)
        state.doc_story[item.doc_id] = keep.id
    gone.status, gone.merged_into = "merged", keep.id
    why["members"] = len(gone.items)
    state.events.append(StoryEvent(at, "merge", keep.id, gone.id, json.dumps(why, sort_keys=True)))
    state.changed.update({keep.id, gone.id})
    state.refresh(keep.id)
    state.refresh(gone.id)


def _maybe_split(state: ClusterState, story: Story, at: datetime, settings: NlpSettings) -> None:
    """Split a story whose members form two clearly separate groups; the part holding the
    founding document keeps the id, the other part gets the id of its own first member."""
    n = len(story.items)
    if n < 2 * settings.cluster_split_min or story.joins_since_split_check < max(3, n // 4):
        return
    story.joins_since_split_check = 0
    vecs = np.asarray([i.vector for i in story.items], dtype=np.float32)
    labels = two_means(vecs)
    keep_label = labels[0]
    if min((labels == 0).sum(), (labels == 1).sum()) < settings.cluster_split_min:
        return
    parts = [vecs[labels == k].mean(axis=0) for k in (0, 1)]
    cos = float(parts[0] @ parts[1] / (np.linalg.norm(parts[0]) * np.linalg.norm(parts[1])))
    if cos >= settings.cluster_split_threshold:
        return
    moving = [i for i, lab in zip(story.items, labels, strict=True) if lab != keep_label]
    staying = [i for i, lab in zip(story.items, labels, strict=True) if lab == keep_label]
    new = _found(min(moving, key=lambda i: (i.at, i.doc_id)))
    if new.id in state.stories:
        return  # that id was a story once (merged away); keep the story whole
    for item in moving:
        _join(new, item)
        state.doc_story[item.doc_id] = new.id
    story.items, story.entity_counts, story.product_counts = [], Counter(), Counter()
    story.cases, story.title_span = Counter(), {}
    story.term_counts, story.languages, story.mvector_sum = Counter(), Counter(), None
    story.instrument_counts = Counter()
    story.vector_sum = np.zeros_like(story.vector_sum)
    for item in staying:
        _join(story, item)
    story.first_at = min(i.at for i in staying)
    story.last_at = max(i.at for i in staying)
    story.joins_since_split_check = new.joins_since_split_check = 0
    state.add_story(new)
    detail = {"members": len(moving), "parts_cos": round(cos, 4)}
    state.events.append(StoryEvent(at, "split", story.id, new.id, json.dumps(detail, sort_keys=True)))
    state.changed.update({story.id, new.id})
    state.refresh(story.id)


def _threshold(item: ClusterItem, settings: NlpSettings) -> float:
    """The score a document needs to join a story (higher without a publication date)."""
    return settings.cluster_threshold if item.dated else settings.cluster_undated_threshold


def _maybe_merge(state, story_id, scored, item, settings) -> str:
    """Merge the joined story with a runner-up that the item also matches, if they are close."""
    for score, other_id in scored[1:3]:
        if score < _threshold(item, settings) or other_id == story_id:
            continue
        a, b = state.stories[story_id], state.stories[other_id]
        if a.status != "active" or b.status != "active":
            continue
        centroid_cos = float(a.centroid @ b.centroid)
        if centroid_cos < settings.cluster_merge_threshold or not cases_agree(a, b):
            continue
        keep, gone = sorted((a, b), key=lambda s: (s.first_at, s.id))
        why = {"centroid_cos": round(centroid_cos, 4), "trigger": item.doc_id}
        _merge(state, keep, gone, item.at, why)
        story_id = keep.id
    return story_id


def cluster_items(
    items: list[ClusterItem], state: ClusterState, settings: NlpSettings
) -> list[Assignment]:
    """Assign items (processed oldest first) to stories, updating ``state`` in place.

    Args:
        items: documents not yet in any story; sorted here by (time, doc id).
        state: active stories from earlier runs (``ClusterState(dim)`` for a fresh start).
        settings: thresholds, weights, window and half-life.

    Returns:
        One assignment per item, in processing order. Merges are in ``state.events``;
        ``state.changed`` lists every story id touched.
    """
    # One small mat-vec per document: BLAS threads only add hand-off cost (8x slower on a
    # busy 2-core machine), so the loop runs single-threaded.
    with threadpool_limits(1, user_api="blas"):
        out = _cluster_sorted(sorted(items, key=lambda i: (i.at, i.doc_id)), state, settings)
        last = max((i.at for i in items), default=None)
        consolidate(state, settings,
                    lambda keep, gone, why: _merge(state, keep, gone, last or keep.last_at, why))
    # Assignments name each document's story after the second pass merged some.
    return [Assignment(a.doc_id, _resolve(state, a.story_id), a.similarity, a.new_story) for a in out]


def _cluster_sorted(items: list[ClusterItem], state: ClusterState, settings: NlpSettings):
    out: list[Assignment] = []
    for n, item in enumerate(items):
        if n % 500 == 0:
            state.expire(item.at.timestamp() - settings.cluster_window_days * _DAY)
        state.count_terms(item)
        if item.doc_id in state.doc_story:
            sid = _resolve(state, state.doc_story[item.doc_id])
            out.append(Assignment(item.doc_id, sid, 1.0, False))
            continue
        dup_story = state.doc_story.get(item.duplicate_of or "")
        if dup_story is not None and _within_window(state.stories[_resolve(state, dup_story)],
                                                    item, settings):
            sid = _resolve(state, dup_story)
            _join(state.stories[sid], item)
            state.doc_story[item.doc_id] = sid
            state.changed.add(sid)
            state.refresh(sid)
            out.append(Assignment(item.doc_id, sid, 1.0, False))
            continue
        scored = _score_candidates(item, state, settings)
        if scored and scored[0][0] >= _threshold(item, settings):
            sid = scored[0][1]
            _join(state.stories[sid], item)
            state.doc_story[item.doc_id] = sid
            state.refresh(sid)
            sid = _maybe_merge(state, sid, scored, item, settings)
            _maybe_split(state, state.stories[sid], item.at, settings)
            sid = state.doc_story[item.doc_id]
            state.changed.add(sid)
            out.append(Assignment(item.doc_id, sid, round(scored[0][0], 4), False))
            continue
        story = _found(item)
        _join(story, item)
        state.add_story(story)
        state.changed.add(story.id)
        out.append(Assignment(item.doc_id, story.id, 1.0, True))
    return out


def _within_window(story: Story, item: ClusterItem, settings: NlpSettings) -> bool:
    gap = max(0.0, (item.at - story.last_at).total_seconds(), (story.first_at - item.at).total_seconds())
    return story.status == "active" and gap <= settings.cluster_window_days * _DAY


def _resolve(state: ClusterState, story_id: str) -> str:
    seen = set()
    while state.stories[story_id].status == "merged" and story_id not in seen:
        seen.add(story_id)
        story_id = state.stories[story_id].merged_into or story_id
    return story_id


def restore_story(
    story_id: str, first_at: datetime, last_at: datetime, members: list[ClusterItem]
) -> Story:
    """Rebuild a stored story's working state from its members (oldest first)."""
    if not members:
        raise ValueError(f"story {story_id} has no members")
    story = _found(members[0])
    story.id = story_id
    for member in members:
        _join(story, member)
    story.first_at = min(story.first_at, first_at)
    story.last_at = max(story.last_at, last_at)
    story.joins_since_split_check = 0
    return story
