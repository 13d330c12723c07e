"""Second pass of story clustering: merge stories that the online pass split.

The online pass joins a document to a story only when it is clearly close (high precision);
an event reported from several angles can then sit in two or three stories. After each run,
every story the run touched is compared with its nearest active stories by average linkage
(the mean similarity of all their member pairs, so one bridging document cannot chain two
events), the overlap of the informative words of their titles, and their distance in time;
pairs above ``cluster_consolidate_threshold`` merge, closest first, into the older story.
Stories of different templated cases (AD/CVD, Section 337) or whose titles name different
products never merge.
"""

from __future__ import annotations

import numpy as np

from nlp.story_fit import cases_agree

_DAY = 86400.0
_NEIGHBOURS = 6
_MEMBERS = 48  # compare at most this many recent members of each story


def _lexical(state, a, b) -> float:
    """IDF-weighted share of each story's title words the other carries (mean both ways)."""
    def one_way(x, y):
        total = got = 0.0
        nx, ny = len(x.items), len(y.items)
        for term, count in x.term_counts.items():
            w = state.idf(term) * count / nx
            total += w
            got += w * min(1.0, y.term_counts.get(term, 0) / ny)
        return got / total if total else 0.0
    return 0.5 * (one_way(a, b) + one_way(b, a))


def _conflict(a, b) -> bool:
    if not cases_agree(a, b):
        return True
    x, y = a.top_products(), b.top_products()
    return bool(x and y and not x & y)


def pair_score(state, a, b, settings) -> float:
    """Average-link similarity of two stories (embedding mean + title words - time gap)."""
    va = np.asarray([i.vector for i in a.items[-_MEMBERS:]], dtype=np.float32)
    vb = np.asarray([i.vector for i in b.items[-_MEMBERS:]], dtype=np.float32)
    mean_cos = float((va @ vb.T).mean())
    gap = max(0.0, (max(a.first_at, b.first_at) - min(a.last_at, b.last_at)).total_seconds()) / _DAY
    decay = 0.5 ** (gap / settings.cluster_half_life_days)
    return (mean_cos + settings.cluster_title_weight * (_lexical(state, a, b) - settings.cluster_title_offset)
            - settings.cluster_time_weight * (1.0 - decay))


def consolidate(state, settings, merge) -> int:
    """Merge close pairs among the stories this run changed and their neighbours.

    Args:
        state: the clustering state (``ClusterState``) after the online pass.
        settings: ``NlpSettings`` (threshold ``cluster_consolidate_threshold``; <= -1 turns it off).
        merge: ``merge(keep, gone, detail)`` folds story ``gone`` into ``keep`` and records it.

    Returns:
        The number of merges.
    """
    threshold = settings.cluster_consolidate_threshold
    if threshold <= -1:
        return 0
    idx = state.index
    n = len(idx)
    if n < 2:
        return 0
    window = settings.cluster_window_days * _DAY
    pairs = []
    for sid in sorted(state.changed):
        story = state.stories.get(sid)
        if story is None or story.status != "active":
            continue
        row = idx.rows.get(sid)
        if row is None:
            continue
        cos = idx.matrix[:n] @ idx.matrix[row]
        gap = np.maximum(0.0, np.maximum(idx.first[:n] - story.last_at.timestamp(),
                                         story.first_at.timestamp() - idx.last[:n]))
        cos = np.where(idx.alive[:n] & (gap <= window), cos, -9.0)
        cos[row] = -9.0
        k = min(_NEIGHBOURS, n - 1)
        for other_row in np.argpartition(-cos, k - 1)[:k]:
            if cos[other_row] < threshold - 0.2:
                continue
            other = state.stories[idx.ids[other_row]]
            if other.status != "active" or _conflict(story, other):
                continue
            score = pair_score(state, story, other, settings)
            if score >= threshold:
                pairs.append((score, *sorted((story.id, other.id))))
    merges = 0
    for score, a_id, b_id in sorted(set(pairs), key=lambda p: (-p[0], p[1], p[2])):
        a, b = state.stories[a_id], state.stories[b_id]
        if a.status != "active" or b.status != "active" or _conflict(a, b):
            continue
        # Re-check: earlier merges in this pass may have changed either story.
        score = pair_score(state, a, b, settings)
        if score < threshold:
            continue
        keep, gone = sorted((a, b), key=lambda s: (s.first_at, s.id))
        merge(keep, gone, {"pass": "consolidate", "score": round(score, 4)})
        merges += 1
    return merges


def two_means(vectors: np.ndarray, rounds: int = 8) -> np.ndarray:
    """Deterministic 2-means on unit vectors (seeded with the two most distant rows)."""
    centroid = vectors.mean(axis=0)
    a = int(np.argmin(vectors @ centroid))
    b = int(np.argmin(vectors @ vectors[a]))
    centres = vectors[[a, b]].copy()
    labels = np.zeros(len(vectors), dtype=int)
    for _ in range(rounds):
        labels = np.argmax(vectors @ centres.T, axis=1)
        for k in (0, 1):
            if (labels == k).any():
                c = vectors[labels == k].mean(axis=0)
                centres[k] = c / (np.linalg.norm(c) or 1.0)
    return labels
