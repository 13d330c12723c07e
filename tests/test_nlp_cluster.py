"""Online story clustering core: stable ids, time order, entities, decay, merges."""

from datetime import UTC, datetime, timedelta

import numpy as np

from nlp.cluster import ClusterItem, ClusterState, cluster_items, entity_jaccard, story_id_for
from radar.settings import NlpSettings

T0 = datetime(2025, 4, 2, tzinfo=UTC)
S = NlpSettings(cluster_threshold=0.55, cluster_entity_weight=0.25, cluster_time_weight=0.3,
                cluster_half_life_days=14, cluster_window_days=45, cluster_merge_threshold=0.8)


def _vec(*xs):
    v = np.zeros(8, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def _item(doc_id, days, vec, ents=(), dup=None, products=()):
    return ClusterItem(doc_id, T0 + timedelta(days=days), vec, frozenset(ents), f"title {doc_id}",
                       duplicate_of=dup, products=frozenset(products))


def test_similar_documents_share_a_story_with_a_stable_id():
    items = [_item("b", 1, _vec(1, 0.1)), _item("a", 0, _vec(1, 0)), _item("c", 2, _vec(0, 1))]
    out = {a.doc_id: a for a in cluster_items(items, ClusterState(dim=8), S)}
    assert out["a"].story_id == out["b"].story_id == story_id_for("a")
    assert out["a"].new_story and not out["b"].new_story
    assert out["c"].story_id == story_id_for("c")
    again = {a.doc_id: a.story_id for a in cluster_items(list(reversed(items)), ClusterState(dim=8), S)}
    assert again == {k: v.story_id for k, v in out.items()}


def test_story_keeps_its_id_while_growing_over_weeks():
    items = [_item(f"d{i}", 7 * i, _vec(1, 0.05 * i)) for i in range(8)]
    out = cluster_items(items, ClusterState(dim=8), S)
    assert {a.story_id for a in out} == {story_id_for("d0")}


def test_time_decay_separates_distant_documents():
    near = cluster_items([_item("a", 0, _vec(1, 1.02)), _item("b", 1, _vec(1, 0))], ClusterState(dim=8), S)
    far = cluster_items([_item("a", 0, _vec(1, 1.02)), _item("b", 40, _vec(1, 0))], ClusterState(dim=8), S)
    assert near[0].story_id == near[1].story_id
    assert far[0].story_id != far[1].story_id


def test_entities_pull_a_borderline_document_in():
    base = [_item("a", 0, _vec(1, 0.9), ["instrument:de-minimis", "country:CN"])]
    plain = cluster_items(base + [_item("b", 0, _vec(1, -0.5))], ClusterState(dim=8), S)
    shared = cluster_items(base + [_item("b", 0, _vec(1, -0.5), ["instrument:de-minimis", "country:CN"])],
                           ClusterState(dim=8), S)
    assert plain[0].story_id != plain[1].story_id
    assert shared[0].story_id == shared[1].story_id
    assert entity_jaccard(frozenset({"a", "b"}), frozenset({"b"})) == 0.5


def test_near_duplicate_joins_its_original_story():
    items = [_item("a", 0, _vec(1, 0)), _item("b", 1, _vec(0, 1), dup="a")]
    out = cluster_items(items, ClusterState(dim=8), S)
    assert out[0].story_id == out[1].story_id


def test_bridging_document_merges_close_stories_and_records_it():
    settings = S.model_copy(update={"cluster_threshold": 0.8, "cluster_merge_threshold": 0.7})
    state = ClusterState(dim=8)
    items = [_item("a", 0, _vec(1, 0)), _item("b", 1, _vec(1, 1.2)), _item("c", 2, _vec(1, 0.55))]
    out = cluster_items(items, state, settings)
    assert out[0].story_id != out[1].story_id
    assert [e.kind for e in state.events] == ["merge"]
    ev = state.events[0]
    assert ev.story_id == story_id_for("a") and ev.other_id == story_id_for("b")
    assert state.doc_story["b"] == story_id_for("a")
    assert state.stories[story_id_for("b")].status == "merged"


def test_story_with_two_separate_groups_is_split_and_recorded():
    settings = S.model_copy(update={"cluster_entity_weight": 1.0, "cluster_split_threshold": 0.3})
    order = ["a1", "b1", "a2", "b2", "a3", "b3"]
    items = [_item(d, i, _vec(1, 0) if d[0] == "a" else _vec(0, 1), ["instrument:tariff-x"])
             for i, d in enumerate(order)]
    state = ClusterState(dim=8)
    cluster_items(items, state, settings)
    splits = [e for e in state.events if e.kind == "split"]
    assert len(splits) == 1
    assert splits[0].story_id == story_id_for("a1") and splits[0].other_id == story_id_for("b1")
    assert {state.doc_story[d] for d in ("a1", "a2", "a3")} == {story_id_for("a1")}
    assert {state.doc_story[d] for d in ("b1", "b2", "b3")} == {story_id_for("b1")}


def test_a_title_naming_another_product_is_kept_out_of_a_borderline_story():
    copper = [_item("a", 0, _vec(1, 0), products=["product:copper"]),
              _item("b", 0, _vec(1, 0), products=["product:copper"])]
    lumber = _item("c", 1, _vec(0.6, 0.8), products=["product:timber-lumber"])  # cosine 0.6
    plain = _item("d", 1, _vec(0.6, 0.8))  # names no product (say, a reciprocal-tariff piece)
    off = S.model_copy(update={"cluster_product_penalty": 0.0})
    on = S.model_copy(update={"cluster_product_penalty": 0.1})

    def story_of(items, settings, doc):
        return {a.doc_id: a.story_id for a in cluster_items(items, ClusterState(dim=8), settings)}[doc]

    assert story_of(copper + [lumber], off, "c") == story_id_for("a")
    assert story_of(copper + [lumber], on, "c") == story_id_for("c")
    assert story_of(copper + [plain], on, "d") == story_id_for("a")
    same = _item("e", 1, _vec(0.6, 0.8), products=["product:copper", "product:steel"])
    assert story_of(copper + [same], on, "e") == story_id_for("a")
