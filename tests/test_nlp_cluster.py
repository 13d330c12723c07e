"""Online story clustering core: stable ids, time order, entities, decay, merges."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np

from config.settings import NlpSettings
from nlp.cluster import ClusterItem, ClusterState, cluster_items, entity_jaccard, story_id_for
from nlp.story_fit import instrument_overlap

T0 = datetime(2025, 4, 2, tzinfo=UTC)
S = NlpSettings(cluster_threshold=0.55, cluster_entity_weight=0.25, cluster_time_weight=0.3,
                cluster_half_life_days=14, cluster_window_days=45, cluster_merge_threshold=0.8,
                cluster_title_weight=0.0)


def _vec(*xs):
    v = np.zeros(8, dtype=np.float32)
    v[: len(xs)] = xs
    return v / np.linalg.norm(v)


def _item(doc_id, days, vec, ents=(), dup=None, products=(), title=None):
    return ClusterItem(doc_id, T0 + timedelta(days=days), vec, frozenset(ents), title or f"title {doc_id}",
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
    assert out[1].new_story  # b founded a story of its own; c then bridged the two
    assert out[1].story_id == out[0].story_id == story_id_for("a")  # assignments name the final story
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


# Real Federal Register titles of 2025-04-03 (demo snapshot): one template, four cases.
EPOXY = {
    "tw-cvd": "Certain Epoxy Resins From Taiwan: Final Affirmative Countervailing Duty Determination",
    "tw-ad": "Certain Epoxy Resins From Taiwan: Final Affirmative Determination of Sales at Less "
             "Than Fair Value",
    "kr-ad": "Certain Epoxy Resins From South Korea: Final Affirmative Determination of Sales at "
             "Less Than Fair Value and Final Negative Determination of Critical Circumstances",
    "kr-cvd": "Certain Epoxy Resins From the Republic of Korea: Final Affirmative Countervailing "
              "Duty Determination and Final Negative Critical Circumstances Determination",
    "in-ad": "Certain Epoxy Resins From India: Final Affirmative Determination of Sales at Less "
             "Than Fair Value",
}


def test_templated_notices_of_different_cases_stay_apart_and_one_case_joins():
    items = [_item(k, 0, _vec(1, 0.01 * i), title=t) for i, (k, t) in enumerate(EPOXY.items())]
    off = S.model_copy(update={"cluster_case_penalty": 0.0, "cluster_case_bonus": 0.0})
    assert len({a.story_id for a in cluster_items(items, ClusterState(dim=8), off)}) == 1
    out = {a.doc_id: a.story_id for a in cluster_items(items, ClusterState(dim=8), S)}
    assert out["tw-cvd"] == out["tw-ad"] and out["kr-ad"] == out["kr-cvd"]
    assert len({out["tw-ad"], out["kr-ad"], out["in-ad"]}) == 3


def test_section_337_cases_stay_apart_but_a_case_keeps_its_notices():
    titles = {
        "vap1": "Certain Vaporizer Devices, Cartridges Used Therewith, and Components Thereof; "
                "Notice of Institution of Investigation",
        "nasal": "Certain Nasal Devices and Components Thereof; Notice of Institution of Investigation",
        "vap2": "Certain Vaporizer Devices, Cartridges Used Therewith, and Components Thereof; Notice "
                "of a Commission Determination To Review in Part a Final Initial Determination",
    }
    items = [_item(k, i, _vec(1, 0.01 * i), title=t) for i, (k, t) in enumerate(titles.items())]
    out = {a.doc_id: a.story_id for a in cluster_items(items, ClusterState(dim=8), S)}
    assert out["vap1"] == out["vap2"] != out["nasal"]


def test_a_recurring_title_weeks_later_is_another_story_but_same_day_copies_join():
    title = "Antidumping or Countervailing Duty Order, Finding, or Suspended Investigation; " \
            "Opportunity To Request Administrative Review"
    items = [_item("march", 0, _vec(1, 0), title=title), _item("copy", 1, _vec(1, 0.02), title=title.upper()),
             _item("april", 28, _vec(1, 0.01), title=title)]
    loose = S.model_copy(update={"cluster_time_weight": 0.0})
    out = {a.doc_id: a.story_id for a in cluster_items(items, ClusterState(dim=8), loose)}
    assert out["march"] == out["copy"] != out["april"]
    never = loose.model_copy(update={"cluster_recurring_days": 1000.0})
    out = {a.doc_id: a.story_id for a in cluster_items(items, ClusterState(dim=8), never)}
    assert out["march"] == out["april"]


def test_shared_rare_title_words_pull_a_borderline_document_in():
    base = [_item("a", 0, _vec(1, 0.75), title="Duterte arrested in Manila"),
            _item("x", 0, _vec(0, 0, 1), title="Hong Kong weather warning")]
    shared = _item("b", 1, _vec(1, -0.1), title="Duterte flown to The Hague")
    other = _item("c", 1, _vec(1, -0.1), title="Typhoon flights cancelled")
    on = S.model_copy(update={"cluster_threshold": 0.75, "cluster_title_weight": 0.3})
    off = on.model_copy(update={"cluster_title_weight": 0.0})

    def joins(doc, settings):
        out = {a.doc_id: a.story_id for a in cluster_items(base + [doc], ClusterState(dim=8), settings)}
        return out[doc.doc_id] == out["a"]

    assert joins(shared, on) and not joins(other, on)  # same vector, only the title differs
    assert not joins(shared, off)


def test_second_pass_merges_split_stories_by_average_linkage_and_records_it():
    # Two tight groups 0.8 apart in cosine: the online pass (threshold 0.9) keeps them apart,
    # the second pass (average linkage >= 0.7) merges them into the older story.
    strict = S.model_copy(update={"cluster_threshold": 0.9, "cluster_merge_threshold": 0.99})
    items = [_item("a1", 0, _vec(1, 0)), _item("a2", 0, _vec(1, 0.05)),
             _item("b1", 1, _vec(1, 0.75)), _item("b2", 1, _vec(1, 0.8))]
    state = ClusterState(dim=8)
    out = {a.doc_id: a.story_id for a in cluster_items(items, state, strict)}
    assert out["a1"] != out["b1"]
    state = ClusterState(dim=8)
    merged = strict.model_copy(update={"cluster_consolidate_threshold": 0.7})
    out = {a.doc_id: a.story_id for a in cluster_items(items, state, merged)}
    assert set(out.values()) == {story_id_for("a1")}
    assert [json.loads(e.detail)["pass"] for e in state.events] == ["consolidate"]


def test_a_report_in_another_language_joins_by_the_multilingual_vector():
    def doc(doc_id, days, vec, lang, mvec):
        return ClusterItem(doc_id, T0 + timedelta(days=days), vec, frozenset(), f"title {doc_id}",
                           language=lang, mvector=None if mvec is None else _vec(*mvec))

    en = [doc("en1", 0, _vec(1, 0), "en", (0, 0, 1)), doc("en2", 0, _vec(1, 0.05), "en", (0, 0, 1, 0.05))]
    # The Chinese report's primary (English-model) vector says nothing; its multilingual one
    # is close to the English reports'.
    zh = doc("zh1", 1, _vec(0, 1), "zh", (0, 0, 1, 0.1))
    out = {a.doc_id: a.story_id for a in cluster_items(en + [zh], ClusterState(dim=8, mdim=8), S)}
    assert out["zh1"] == out["en1"]
    alone = doc("zh1", 1, _vec(0, 1), "zh", None)
    out = {a.doc_id: a.story_id for a in cluster_items(en + [alone], ClusterState(dim=8, mdim=8), S)}
    assert out["zh1"] != out["en1"]
    # Same language: the multilingual vector is not consulted.
    en3 = doc("en3", 1, _vec(0, 1), "en", (0, 0, 1, 0.1))
    out = {a.doc_id: a.story_id for a in cluster_items(en + [en3], ClusterState(dim=8, mdim=8), S)}
    assert out["en3"] != out["en1"]


def test_a_story_s_derived_values_follow_its_members_as_they_join():
    # Centroid, carried entities and recent member vectors are cached between joins; a join
    # (or a split rebuilding the story) must drop them.
    state = ClusterState(dim=8)
    items = [_item("a", 0, _vec(1, 0), ents=("org:x",)), _item("b", 0.1, _vec(1, 0.2), ents=("org:y",)),
             _item("c", 0.2, _vec(1, 0.4), ents=("org:y",))]
    cluster_items(items[:1], state, S)
    story = state.stories[story_id_for("a")]
    first = (story.centroid.copy(), story.top_entities(), story.recent_vectors(64).shape)
    cluster_items(items[1:], state, S)
    assert len(story.items) == 3
    assert first[1] == {"org:x"} and story.top_entities() == {"org:x", "org:y"}
    assert first[2] == (1, 8) and story.recent_vectors(64).shape == (3, 8)
    expected = np.sum([i.vector for i in items], axis=0)
    assert np.allclose(story.centroid, expected / np.linalg.norm(expected), atol=1e-6)
    assert not np.allclose(story.centroid, first[0])


def test_documents_naming_the_same_orders_pull_a_borderline_document_in():
    # The law-firm orders: each cites EO 14147 and EO 14230; their vectors differ by the firm.
    firm = ClusterItem("a", T0, _vec(1, 0), frozenset(), "Addressing Risks From Paul Weiss",
                       instruments=frozenset({"EO 14147", "EO 14230"}))

    def joins(other_orders, weight=0.2):
        b = ClusterItem("b", T0 + timedelta(days=1), _vec(1, 2), frozenset(),  # cosine 0.45
                        "Addressing Risks From Jenner & Block", instruments=frozenset(other_orders))
        settings = S.model_copy(update={"cluster_instrument_weight": weight})
        out = cluster_items([firm, b], ClusterState(dim=8), settings)
        return out[0].story_id == out[1].story_id

    assert joins({"EO 14147", "EO 14230"})
    assert not joins({"EO 14147", "EO 14230"}, weight=0.0)
    assert not joins(set())
    # one number in common among many (an order citing every tariff order) is a weak link
    assert not joins({"EO 14230", "EO 14193", "EO 14194", "EO 14195", "EO 14257"})


def test_instrument_overlap_is_the_best_member_s_jaccard():
    state = ClusterState(dim=8)
    items = [ClusterItem(d, T0, _vec(1, 0), frozenset(), d, instruments=frozenset(orders))
             for d, orders in (("a", {"EO 1", "EO 2"}), ("b", {"EO 2", "EO 3", "EO 4", "EO 5"}))]
    cluster_items(items, state, S)
    story = state.stories[story_id_for("a")]
    probe = ClusterItem("c", T0, _vec(1, 0), frozenset(), "c", instruments=frozenset({"EO 2", "EO 3"}))
    assert instrument_overlap(probe, story) == 0.5  # {2, 3} vs {2, 3, 4, 5}; vs {1, 2}: 1/3
    assert instrument_overlap(replace(probe, instruments=frozenset({"EO 9"})), story) == 0.0


def test_an_undated_document_needs_the_higher_threshold():
    a = _item("a", 0, _vec(1, 0))
    b = _item("b", 0, _vec(1, 0.85))  # cosine 0.76: above 0.55, below 0.8
    settings = S.model_copy(update={"cluster_undated_threshold": 0.8})
    dated = cluster_items([a, b], ClusterState(dim=8), settings)
    undated = cluster_items([a, replace(b, dated=False)], ClusterState(dim=8), settings)
    assert dated[0].story_id == dated[1].story_id
    assert undated[1].new_story
