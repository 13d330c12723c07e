"""A growable in-memory index of active story centroids and time spans (for online clustering)."""

from __future__ import annotations

from datetime import datetime

import numpy as np


class StoryIndex:
    """Rows of (centroid, first seen, last seen, active) per story id, searchable with one matmul.

    ``dim2`` adds a second centroid per row (the multilingual vector's, zero for a story
    without one), so a document in another language finds its story too.
    """

    def __init__(self, dim: int, capacity: int = 1024, dim2: int = 0):
        self.dim = dim
        self.matrix2 = np.zeros((capacity, dim2), dtype=np.float32)
        self.ids: list[str] = []
        self.rows: dict[str, int] = {}
        self.matrix = np.zeros((capacity, dim), dtype=np.float32)
        self.first = np.zeros(capacity)
        self.last = np.zeros(capacity)
        self.alive = np.zeros(capacity, dtype=bool)

    def __len__(self) -> int:
        return len(self.ids)

    def put(self, story_id: str, centroid: np.ndarray, first_at: datetime, last_at: datetime,
            active: bool, centroid2: np.ndarray | None = None) -> None:
        """Add or update one story's row (``centroid2``: its multilingual centroid, if any)."""
        row = self.rows.get(story_id)
        if row is None:
            if not active:
                return
            self._grow(len(self.ids) + 1)
            row = len(self.ids)
            self.ids.append(story_id)
            self.rows[story_id] = row
        self.matrix[row] = centroid
        if self.matrix2.shape[1]:
            self.matrix2[row] = 0.0 if centroid2 is None else centroid2
        self.first[row] = first_at.timestamp()
        self.last[row] = last_at.timestamp()
        self.alive[row] = active

    def _grow(self, n: int) -> None:
        if n <= len(self.matrix):
            return
        cap = max(n, 2 * len(self.matrix))
        for name in ("matrix", "matrix2", "first", "last", "alive"):
            old = getattr(self, name)
            new = np.zeros((cap, *old.shape[1:]), dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def expire(self, before: float) -> None:
        """Drop stories last seen before ``before`` (POSIX seconds) once they are most rows."""
        n = len(self.ids)
        if n == 0:
            return
        keep = np.flatnonzero(self.alive[:n] & (self.last[:n] >= before))
        if len(keep) > 0.7 * n:
            return
        self.ids = [self.ids[i] for i in keep]
        self.rows = {sid: i for i, sid in enumerate(self.ids)}
        for name in ("matrix", "matrix2", "first", "last", "alive"):
            arr = getattr(self, name)
            arr[: len(keep)] = arr[keep]
            arr[len(keep) : n] = 0
