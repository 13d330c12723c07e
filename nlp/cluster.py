"""Online story clustering in time order with stable story ids.

Each document joins the best active story when its similarity reaches the threshold, else
it founds a new story (id = "s" + hash of the founding document id, so re-runs give the
same ids). Similarity = embedding cosine (to the centroid and to the closest recent member)
+ entity overlap (Jaccard on specific gazetteer entities) - a time penalty (half-life).
When a document is close to two stories whose centroids are also close, the younger story
is merged into the older one and the merge is recorded as an event.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from radar.settings import NlpSettings

_DAY = 86400.0
_MEMBER_PROBE = 64  # compare with at most this many recent members per candidate story
_TOP_CANDIDATES = 8


@dataclass(frozen=True)
class ClusterItem:
    """What clustering needs to know about one document."""

    doc_id: str
    at: datetime
    vector: np.ndarray  # L2-normalised
    entities: frozenset[str]  # specific (non-generic) gazetteer entity ids
    title: str
    authority: float = 1.0
    duplicate_of: str | None = None


@dataclass(frozen=True)
class Assignment:
    """A document's story and the similarity that put it there (1.0 for a new story)."""

    doc_id: str
    story_id: str
    similarity: float
    new_story: bool


@dataclass(frozen=True)
class StoryEvent:
    """A recorded change of story structure (merge | split)."""

    happened_at: datetime
    kind: str
    story_id: str
    other_id: str
    detail: str


@dataclass
class Story:
    """Working state of one story (mutable while clustering; persisted by the store)."""

    id: str
    first_at: datetime
    last_at: datetime
    members: list[str]
    vectors: list[np.ndarray]
    entity_counts: Counter
    titles: dict[str, str]
    authority: dict[str, float]
    vector_sum: np.ndarray
    status: str = "active"
    merged_into: str | None = None

    @property
    def centroid(self) -> np.ndarray:
        """Unit-length mean of the member vectors."""
        norm = float(np.linalg.norm(self.vector_sum))
        return (self.vector_sum / norm if norm else self.vector_sum).astype(np.float32)

    def top_entities(self, limit: int = 15) -> frozenset[str]:
        """Entities carried by at least 30% of members (at most ``limit``)."""
        need = max(1, int(0.3 * len(self.members) + 0.5))
        common = [e for e, n in self.entity_counts.most_common(limit) if n >= need]
        return frozenset(common)

    def title(self) -> str:
        """Title of the most central member, weighted by source authority."""
        centroid = self.centroid
        best, best_score = self.members[0], -2.0
        for doc_id, vec in zip(self.members, self.vectors, strict=True):
            score = float(vec @ centroid) * self.authority.get(doc_id, 1.0)
            if score > best_score:
                best, best_score = doc_id, score
        return self.titles.get(best, "")


@dataclass
class ClusterState:
    """All stories the clusterer may still touch, plus what changed in this run."""

    dim: int
    stories: dict[str, Story] = field(default_factory=dict)
    doc_story: dict[str, str] = field(default_factory=dict)
    events: list[StoryEvent] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    _ids: list[str] = field(default_factory=list)
    _rows: dict[str, int] = field(default_factory=dict)
    _matrix: np.ndarray | None = None
    _last: np.ndarray | None = None
    _first: np.ndarray | None = None
    _alive: np.ndarray | None = None

    def add_story(self, story: Story) -> None:
        """Register a story (loaded from the store or just founded)."""
        self.stories[story.id] = story
        for doc_id in story.members:
            self.doc_story[doc_id] = story.id
        if story.status != "active":
            return
        self._grow(1)
        row = len(self._ids)
        self._ids.append(story.id)
        self._rows[story.id] = row
        self._write(row, story)

    def _grow(self, extra: int) -> None:
        n = len(self._ids) + extra
        if self._matrix is None:
            cap = max(1024, n)
            self._matrix = np.zeros((cap, self.dim), dtype=np.float32)
            self._last = np.zeros(cap)
            self._first = np.zeros(cap)
            self._alive = np.zeros(cap, dtype=bool)
        elif n > len(self._matrix):
            cap = max(n, 2 * len(self._matrix))
            for name in ("_matrix", "_last", "_first", "_alive"):
                old = getattr(self, name)
                new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
                new[: len(old)] = old
                setattr(self, name, new)

    def _write(self, row: int, story: Story) -> None:
        self._matrix[row] = story.centroid
        self._last[row] = story.last_at.timestamp()
        self._first[row] = story.first_at.timestamp()
        self._alive[row] = story.status == "active"

    def refresh(self, story_id: str) -> None:
        """Re-index a story after it changed (joined, merged)."""
        row = self._rows.get(story_id)
        if row is not None:
            self._write(row, self.stories[story_id])


def story_id_for(doc_id: str) -> str:
    """Stable story id derived from the founding document id."""
    return "s" + hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:12]


def _time_gap_days(at: float, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    return np.maximum(0.0, np.maximum(at - last, first - at)) / _DAY


def entity_jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two entity sets (0 when both are empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def _score_candidates(item: ClusterItem, state: ClusterState, settings: NlpSettings):
    n = len(state._ids)
    if n == 0:
        return []
    at = item.at.timestamp()
    alive = state._alive[:n].copy()
    gap = _time_gap_days(at, state._first[:n], state._last[:n])
    alive &= gap <= settings.cluster_window_days
    if not alive.any():
        return []
    cos = state._matrix[:n] @ item.vector
    decay = 0.5 ** (gap / settings.cluster_half_life_days)
    coarse = np.where(alive, cos - settings.cluster_time_weight * (1.0 - decay), -9.0)
    k = min(_TOP_CANDIDATES, n)
    top = np.argpartition(-coarse, k - 1)[:k]
    out = []
    for row in top:
        if not alive[row]:
            continue
        story = state.stories[state._ids[row]]
        recent = np.asarray(story.vectors[-_MEMBER_PROBE:])
        best_member = float(np.max(recent @ item.vector))
        emb = 0.5 * float(cos[row]) + 0.5 * best_member
        ent = entity_jaccard(item.entities, story.top_entities())
        score = (
            emb
            + settings.cluster_entity_weight * ent
            - settings.cluster_time_weight * (1.0 - float(decay[row]))
        )
        out.append((score, story.id))
    out.sort(key=lambda x: (-x[0], x[1]))
    return out


def _found(item: ClusterItem) -> Story:
    return Story(
        id=story_id_for(item.doc_id),
        first_at=item.at,
        last_at=item.at,
        members=[],
        vectors=[],
        entity_counts=Counter(),
        titles={},
        authority={},
        vector_sum=np.zeros_like(item.vector, dtype=np.float64),
    )


def _join(story: Story, item: ClusterItem) -> None:
    story.members.append(item.doc_id)
    story.vectors.append(item.vector)
    story.vector_sum = story.vector_sum + item.vector
    story.entity_counts.update(item.entities)
    story.titles[item.doc_id] = item.title
    story.authority[item.doc_id] = item.authority
    story.first_at = min(story.first_at, item.at)
    story.last_at = max(story.last_at, item.at)


def _merge(state: ClusterState, keep: Story, gone: Story, at: datetime, why: dict) -> None:
    for doc_id, vec in zip(gone.members, gone.vectors, strict=True):
        keep.members.append(doc_id)
        keep.vectors.append(vec)
        keep.titles[doc_id] = gone.titles.get(doc_id, "")
        keep.authority[doc_id] = gone.authority.get(doc_id, 1.0)
        state.doc_story[doc_id] = keep.id
    keep.vector_sum = keep.vector_sum + gone.vector_sum
    keep.entity_counts.update(gone.entity_counts)
    keep.first_at = min(keep.first_at, gone.first_at)
    keep.last_at = max(keep.last_at, gone.last_at)
    gone.status, gone.merged_into = "merged", keep.id
    why["members"] = len(gone.members)
    state.events.append(StoryEvent(at, "merge", keep.id, gone.id, json.dumps(why, sort_keys=True)))
    state.changed.update({keep.id, gone.id})
    state.refresh(keep.id)
    state.refresh(gone.id)


def _maybe_merge(state, story_id, scored, item, settings) -> str:
    """Merge the joined story with a runner-up that the item also matches, if they are close."""
    for score, other_id in scored[1:3]:
        if score < settings.cluster_threshold or other_id == story_id:
            continue
        a, b = state.stories[story_id], state.stories[other_id]
        if a.status != "active" or b.status != "active":
            continue
        centroid_cos = float(a.centroid @ b.centroid)
        if centroid_cos < settings.cluster_merge_threshold:
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
    out: list[Assignment] = []
    for item in sorted(items, key=lambda i: (i.at, i.doc_id)):
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
        if scored and scored[0][0] >= settings.cluster_threshold:
            sid = scored[0][1]
            _join(state.stories[sid], item)
            state.doc_story[item.doc_id] = sid
            state.refresh(sid)
            sid = _maybe_merge(state, sid, scored, item, settings)
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
    return story
