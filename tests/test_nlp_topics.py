"""Taxonomy loading and multi-label tagging with evidence."""

import numpy as np
import pytest

from config.errors import ConfigError
from nlp.topics import exemplar_similarities, load_taxonomy, tag_document


@pytest.fixture(scope="module")
def tax():
    return load_taxonomy()


def test_taxonomy_has_bilingual_topics_and_instruments(tax):
    assert len(tax.topics) >= 12
    ids = {t.id for t in tax.topics}
    assert {"ai", "semiconductors", "robotics", "trade", "rd-funding", "rto", "startups",
            "competitiveness", "energy", "supply-chains", "smes", "digital"} <= ids
    for t in tax.topics:
        assert t.en and t.zh and t.priority in (1, 2, 3) and t.keywords and t.exemplars
    assert {"regulation", "grant", "tax-incentive", "trade-measure"} <= {i.id for i in tax.instruments}


def test_tags_are_multi_label_with_evidence(tax):
    tags = tag_document(
        "Adjusting Imports of Semiconductors under Section 232",
        "The tariffs apply to chips and semiconductor manufacturing equipment imported from "
        "abroad; a proclamation sets duties of 25 percent.",
        {"instrument:section-232"},
        tax,
    )
    topics = {t.tag: t for t in tags if t.kind == "topic"}
    assert "trade" in topics and "semiconductors" in topics
    assert "instrument:section-232" in topics["trade"].evidence
    assert "ai" not in topics
    assert any(t.kind == "instrument" and t.tag == "trade-measure" for t in tags)


def test_unrelated_text_gets_no_topic(tax):
    tags = tag_document("National Adoption Month, 2025",
                        "Every child deserves a safe and nurturing home.", set(), tax)
    assert not [t for t in tags if t.kind == "topic"]


def test_chinese_keywords(tax):
    tags = tag_document("美國對半導體課徵關稅", "", set(), tax)
    assert {"semiconductors", "trade"} <= {t.tag for t in tags}


def test_exemplar_similarity_adds_evidence(tax):
    owners = ["trade", "trade", "ai"]
    ex = np.eye(3, dtype=np.float32)
    sims = exemplar_similarities(np.array([[0.0, 0.9, 0.1]], dtype=np.float32), owners, ex)[0]
    assert sims == pytest.approx({"trade": 0.9, "ai": 0.1})
    with_sim = tag_document("Statement", "A short statement.", set(), tax, {"trade": 0.8})
    assert [t.tag for t in with_sim if t.kind == "topic"] == ["trade"]


def test_bad_taxonomy_is_a_config_error():
    with pytest.raises(ConfigError):
        load_taxonomy("topics: []\n")


def test_tags_are_capped_and_need_support(tax):
    title = "Regulating Imports with a Reciprocal Tariff"
    text = ("Tariffs and duties on imports address the trade deficit; tariff rates rise for every "
            "trading partner and customs collects the duties. ") * 5 + (
        "Pharmaceuticals, semiconductors and medical devices are excepted. ") * 3
    loose = tag_document(title, text, set(), tax)
    tight = tag_document(title, text, set(), tax, max_topics=2, max_instruments=1, min_support=0.4)
    loose_topics = {t.tag for t in loose if t.kind == "topic"}
    tight_topics = [t.tag for t in tight if t.kind == "topic"]
    assert "trade" in tight_topics and len(tight_topics) <= 2
    assert len([t for t in tight if t.kind == "instrument"]) <= 1
    assert len(loose_topics) > len(tight_topics)  # the passing mentions fall below the support
    assert tight_topics == [t.tag for t in loose if t.kind == "topic"][:len(tight_topics)]


def test_the_strongest_tag_always_has_full_support(tax):
    tags = tag_document("Adjusting Imports of Semiconductors", "Chips and semiconductor wafers.",
                        set(), tax, max_topics=4, min_support=1.0)
    assert [t.tag for t in tags if t.kind == "topic"] == ["semiconductors"]
