"""Story persistence: upserts, moved members after a merge, recorded events (real DuckDB file)."""

import json
from datetime import UTC, datetime, timedelta

import numpy as np

from evaluation.clusters import bcubed, pair_scores
from store.db import connect
from store.enrichment import StoryRow, save_stories

T0 = datetime(2025, 4, 2, tzinfo=UTC)


def test_merge_moves_stored_members_and_records_the_event(tmp_path):
    con = connect(tmp_path / "radar.duckdb")
    c = np.ones(4, dtype=np.float32) / 2
    a = StoryRow("sA", "Reciprocal tariffs", T0, T0, 1, c, "active", None)
    b = StoryRow("sB", "Liberation Day tariffs", T0 + timedelta(days=1), T0 + timedelta(days=1), 1, c,
                 "active", None)
    save_stories(con, "m", [a, b], [("d1", "sA", 1.0), ("d2", "sB", 1.0)], [], [])
    merged_a = StoryRow("sA", "Reciprocal tariffs", T0, T0 + timedelta(days=2), 3, c, "active", None)
    gone_b = StoryRow("sB", "Liberation Day tariffs", b.first_at, b.last_at, 1, c, "merged", "sA")
    event = (T0 + timedelta(days=2), "merge", "sA", "sB", json.dumps({"members": 1}))
    save_stories(con, "m", [merged_a, gone_b], [("d3", "sA", 0.8)], [("d2", "sA")], [event])
    members = dict(con.execute("SELECT doc_id, story_id FROM story_members").fetchall())
    assert members == {"d1": "sA", "d2": "sA", "d3": "sA"}
    assert con.execute("SELECT status, merged_into FROM stories WHERE id = 'sB'").fetchone() == ("merged", "sA")
    assert con.execute("SELECT size FROM stories WHERE id = 'sA'").fetchone()[0] == 3
    assert con.execute("SELECT kind, story_id, other_id FROM story_events").fetchall() == [("merge", "sA", "sB")]
    centroid = con.execute("SELECT centroid FROM stories WHERE id = 'sA'").fetchone()[0]
    assert np.allclose(centroid, c)
    con.close()


def test_bcubed_and_pair_scores():
    gold = {"a": "x", "b": "x", "c": "y"}
    assert bcubed(gold, {"a": "1", "b": "1", "c": "2"}).f1 == 1.0
    lumped = bcubed(gold, {"a": "1", "b": "1", "c": "1"})
    assert lumped.recall == 1.0 and lumped.precision < 1.0
    split = pair_scores({"a": "g", "b": "g", "c": None}, {"a": None, "b": None, "c": None})
    assert split.recall == 0.0 and split.precision == 1.0
