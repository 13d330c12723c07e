"""store/webqueries.py: a story page's related stories from the cached document matrix."""

from __future__ import annotations

import numpy as np
from test_briefs_support import add_doc, add_source, add_story, new_store, utc

from store.webqueries import related_stories, story_detail

MODEL = "test-model"


def _unit(*xs: float) -> list[float]:
    v = np.asarray(xs, dtype=np.float32)
    return (v / np.linalg.norm(v)).tolist()


def _store(tmp_path):
    con = new_store(tmp_path)
    add_source(con, "wh", "White House", "The White House", "US")
    vectors = {"a1": _unit(1, 0, 0), "a2": _unit(1, 0.1, 0), "b1": _unit(0.9, 0.3, 0),
               "c1": _unit(0, 0, 1), "m1": _unit(0.95, 0.2, 0), "x1": _unit(1, 0.05, 0)}
    for i, (doc, vec) in enumerate(vectors.items()):
        add_doc(con, doc, "wh", f"Document {doc}", f"Text of {doc}.", utc(2025, 4, 1, i))
        con.execute("INSERT INTO embeddings VALUES (?, ?, 'h', 3, ?::FLOAT[])", [doc, MODEL, vec])
    for sid, docs in {"s-a": ["a1", "a2"], "s-b": ["b1"], "s-c": ["c1"], "s-m": ["m1"],
                      "s-x": ["x1"]}.items():
        add_story(con, sid, f"Story {sid}", docs, utc(2025, 4, 1))
    con.execute("UPDATE stories SET model = ?", [MODEL])
    con.execute("UPDATE stories SET centroid = ?::FLOAT[] WHERE id = 's-a'", [_unit(1, 0.05, 0)])
    # s-m was merged into s-b: its document counts for s-b; s-x is no longer active
    con.execute("UPDATE stories SET status = 'merged', merged_into = 's-b' WHERE id = 's-m'")
    con.execute("UPDATE stories SET status = 'dormant' WHERE id = 's-x'")
    return con


def test_related_stories_are_other_active_stories_by_their_closest_document(tmp_path):
    con = _store(tmp_path)
    try:
        related = related_stories(con, "s-a", ["a1", "a2"], min_similarity=0.5)
        assert [r.story_id for r in related] == ["s-b"]  # not itself, not s-c, not s-x
        # s-b by its merged story's document m1 (closer to the centroid than its own b1)
        assert abs(related[0].similarity - max(float(np.dot(_unit(1, 0.05, 0), _unit(*v)))
                                               for v in ((0.95, 0.2, 0), (0.9, 0.3, 0)))) < 1e-6
        assert related_stories(con, "s-a", [], min_similarity=0.999) == []
        # a story without a centroid is related through its first document's vector
        assert [r.story_id for r in related_stories(con, "s-c", ["c1"])] == []
        assert [r.story_id for r in story_detail(con, "s-b").related] == ["s-a"]
    finally:
        con.close()
