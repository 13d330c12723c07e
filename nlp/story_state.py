"""The records of story clustering: a document to cluster, its assignment, story events, a
story's working state and the clusterer's state (``nlp.cluster`` runs on them)."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

import numpy as np

from nlp.story_index import StoryIndex
from nlp.story_slots import Case, case_of, title_key, title_terms


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
    products: frozenset[str] = frozenset()  # traded products its title names
    language: str = ""  # ISO code ("" = unknown: compared like any other)
    mvector: np.ndarray | None = None  # multilingual vector (L2-normalised), if there is one
    # EOs and proclamations its text names ("EO 14230"; nlp.instruments.orders_named)
    instruments: frozenset[str] = frozenset()
    dated: bool = True  # False: no publication date (``at`` is when it was first seen)

    # Cached: the clusterer asks for these once per candidate story (a frozen dataclass keeps
    # a __dict__, so cached_property may write to it).
    @cached_property
    def case(self) -> Case | None:
        """The AD/CVD or Section 337 case a templated notice title names (None otherwise)."""
        return case_of(self.title)

    @cached_property
    def terms(self) -> frozenset[str]:
        """Content words of the title."""
        return title_terms(self.title)

    @cached_property
    def key(self) -> str:
        """The title's words in lower case (what recurring-title checks compare)."""
        return title_key(self.title)


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


def _unit(total: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(total))
    return (total / norm if norm else total).astype(np.float32)


@dataclass
class Story:
    """Working state of one story (mutable while clustering; persisted by the store)."""

    id: str
    items: list[ClusterItem]
    vector_sum: np.ndarray
    entity_counts: Counter
    first_at: datetime
    last_at: datetime
    status: str = "active"
    merged_into: str | None = None
    joins_since_split_check: int = 0
    product_counts: Counter = field(default_factory=Counter)
    cases: Counter = field(default_factory=Counter)
    title_span: dict = field(default_factory=dict)  # normalised title -> (first, last) POSIX s
    languages: Counter = field(default_factory=Counter)
    mvector_sum: np.ndarray | None = None  # sum of the members' multilingual vectors
    term_counts: Counter = field(default_factory=Counter)
    instrument_counts: Counter = field(default_factory=Counter)
    # Derived values (centroids, carried entities/products, recent member vectors), dropped
    # whenever a member joins (``touch``): candidates are scored ~8 times per document.
    cache: dict = field(default_factory=dict, repr=False, compare=False)

    def touch(self) -> None:
        """Forget derived values after the members changed."""
        self.cache.clear()

    @property
    def members(self) -> list[str]:
        """Member document ids, in joining order."""
        return [i.doc_id for i in self.items]

    @property
    def centroid(self) -> np.ndarray:
        """Unit-length mean of the member vectors."""
        got = self.cache.get("centroid")
        if got is None:
            got = self.cache["centroid"] = _unit(self.vector_sum)
        return got

    def recent_vectors(self, limit: int) -> np.ndarray:
        """The primary vectors of the last ``limit`` members, one row each."""
        got = self.cache.get(("recent", limit))
        if got is None:
            got = np.asarray([i.vector for i in self.items[-limit:]])
            self.cache[("recent", limit)] = got
        return got

    def _carried(self, counts: Counter, limit: int | None = None) -> frozenset[str]:
        """Keys of `counts` that at least 30% of members have (the `limit` commonest)."""
        need = max(1, int(0.3 * len(self.items) + 0.5))
        return frozenset(k for k, n in counts.most_common(limit) if n >= need)

    @property
    def mcentroid(self) -> np.ndarray | None:
        """Unit-length mean of the members' multilingual vectors (None without any)."""
        if self.mvector_sum is None:
            return None
        got = self.cache.get("mcentroid")
        if got is None:
            got = self.cache["mcentroid"] = _unit(self.mvector_sum)
        return got

    def top_entities(self, limit: int = 15) -> frozenset[str]:
        """Entities carried by at least 30% of members (at most ``limit``)."""
        got = self.cache.get(("entities", limit))
        if got is None:
            got = self.cache[("entities", limit)] = self._carried(self.entity_counts, limit)
        return got

    def top_products(self) -> frozenset[str]:
        """Products named in the titles of at least 30% of members."""
        got = self.cache.get("products")
        if got is None:
            got = self.cache["products"] = self._carried(self.product_counts)
        return got

    def title(self) -> str:
        """Title of the most central member, weighted by source authority."""
        centroid = self.centroid
        best = max(self.items, key=lambda i: (float(i.vector @ centroid) * i.authority, i.doc_id))
        return best.title


@dataclass
class ClusterState:
    """All stories the clusterer may still touch, plus what changed in this run."""

    dim: int
    mdim: int = 0  # dimension of the multilingual vectors (0: none)
    stories: dict[str, Story] = field(default_factory=dict)
    doc_story: dict[str, str] = field(default_factory=dict)
    events: list[StoryEvent] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    index: StoryIndex | None = None
    term_df: Counter = field(default_factory=Counter)  # titles holding each term
    counted: set[str] = field(default_factory=set)  # documents counted in term_df

    def count_terms(self, item: ClusterItem) -> None:
        """Count a document's title terms once (document frequencies for IDF)."""
        if item.doc_id not in self.counted:
            self.counted.add(item.doc_id)
            self.term_df.update(item.terms)

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency of a title term among titles seen."""
        return math.log((len(self.counted) + 1) / (self.term_df[term] + 1)) + 1.0

    def __post_init__(self) -> None:
        if self.index is None:
            self.index = StoryIndex(self.dim, dim2=self.mdim)

    def add_story(self, story: Story) -> None:
        """Register a story (loaded from the store or just founded)."""
        self.stories[story.id] = story
        for item in story.items:
            self.count_terms(item)
        for doc_id in story.members:
            self.doc_story[doc_id] = story.id
        self.refresh(story.id)

    def expire(self, before: float) -> None:
        """Stop searching stories last seen before ``before`` (POSIX seconds)."""
        self.index.expire(before)

    def refresh(self, story_id: str) -> None:
        """Re-index a story after it changed (founded, joined, merged, split)."""
        s = self.stories[story_id]
        self.index.put(s.id, s.centroid, s.first_at, s.last_at, s.status == "active",
                       s.mcentroid if self.mdim else None)


def story_id_for(doc_id: str) -> str:
    """Stable story id derived from the founding document id."""
    return "s" + hashlib.sha1(doc_id.encode("utf-8")).hexdigest()[:12]
