"""The zh-TW faithfulness check: hand-written translations pass, changed facts fail by name,
and the pinned quality gate over the dev set (tests/dev/translations.jsonl)."""

from __future__ import annotations

import pytest

from zhtw.check import check_translation
from zhtw.glossary import load_lexicon, repair_terms
from zhtw.quantities import chinese_quantities, english_quantities, zh_numeral

GOOD = [
    ("Taiwan Semiconductor Manufacturing Company (TSMC) announced a $100 billion investment in "
     "U.S.-based chips manufacturing.", "台積電宣布投資1,000億美元在美國製造晶片。"),
    ("Copper input materials (such as copper ores, concentrates, mattes, cathodes, and anodes) and "
     "copper scrap are not subject to 232 or reciprocal tariffs.",
     "銅原料（例如銅礦石、精礦、冰銅、陰極銅及陽極銅）及廢銅不適用232關稅或對等關稅。"),
    ("The tariffs on automobiles have been in effect since 12:01 a.m. eastern daylight time on "
     "April 3, 2025.", "汽車關稅自2025年4月3日美東夏令時間上午12時01分起生效。"),
    ("The program will train 1.5 million workers.", "該計畫將培訓150萬名勞工。"),
    ("The order ends duty-free de minimis treatment for low-value shipments from China.",
     "該命令終止中國低價值貨物的小額包裹免稅待遇。"),
    ("Commerce preliminarily determines that countervailable subsidies are being provided to "
     "producers of slag pots from the People's Republic of China.",
     "美國商務部初步認定，中國大陸的渣罐生產商獲得可平衡的補貼。"),
    ("Imports under HTSUS subheading 8471.30.01 will no longer be exempt.",
     "美國協調關稅表子目8471.30.01項下的進口貨物將不再獲得豁免。"),
]


@pytest.mark.parametrize(("en", "zh"), GOOD)
def test_a_correct_hand_written_translation_passes(en, zh):
    result = check_translation(en, zh)
    assert result.ok, result.problems


@pytest.mark.parametrize(("zh", "problem"), [
    ("台積電宣布投資100億美元在美國製造晶片。", "number $100 billion missing"),  # scale slip
    ("台積電宣布投資1,000億新臺幣在美國製造晶片。", "number $100 billion changed unit"),
    ("台積電宣布投資1,000億美元在日本製造晶片。", "name 日本 not in source"),
    ("台積電宣布投資1,000億美元在美國製造。", "glossary chips -> 半導體 missing"),
])
def test_changed_facts_are_named(zh, problem):
    result = check_translation(GOOD[0][0], zh)
    assert not result.ok and problem in result.problems, result.problems


def test_money_percent_and_dates_in_every_written_form():
    en = "On May 2, 2025, the $800 threshold fell and a 25% duty applied to 1.5 million parcels."
    for zh in ("2025年5月2日，800美元的門檻下調，150萬件包裹適用25%的關稅。",
               "5月2日，800美元門檻下調，150萬件包裹適用百分之二十五的關稅。",
               "2025-05-02起，US$800門檻下調，一百五十萬件包裹適用25%關稅。"):
        assert check_translation(en, zh).ok, (zh, check_translation(en, zh).problems)
    shifted = check_translation(en, "2025年5月3日，800美元門檻下調，150萬件包裹適用25%的關稅。")
    assert "date May 2, 2025 missing" in shifted.problems
    assert "date 2025年5月3日 not in source" in shifted.problems


def test_negation_dropped_or_added_fails_but_duty_free_is_no_negation():
    en = "Copper scrap is not subject to reciprocal tariffs."
    assert check_translation(en, "廢銅不受對等關稅約束。").ok
    assert not check_translation(en, "廢銅須繳納對等關稅。").ok
    assert not check_translation("Copper scrap is subject to reciprocal tariffs.",
                                 "廢銅不須繳納對等關稅。").ok
    assert check_translation("Duty-free treatment for copper ends.", "銅的免稅待遇終止。").ok
    assert check_translation("Drones and unmanned aircraft systems will be reviewed.",
                             "無人機及無人機系統將受到審查。").ok


def test_hs_codes_must_match_exactly():
    en = "Goods under heading 9903.01.25 pay the duty."
    assert check_translation(en, "稅則號列9903.01.25項下貨物須繳納關稅。").ok
    assert "code 9903.01.25 missing" in check_translation(
        en, "稅則號列9903.01.26項下貨物須繳納關稅。").problems


def test_glossary_repair_replaces_wrong_renderings_and_counts_them():
    lex = load_lexicon()
    en = "Commerce imposed countervailing duties and reciprocal tariffs under Section 232."
    zh, fixes = repair_terms(en, "商務部依第232節課徵反補貼稅及互惠關稅。", lex)
    assert (zh, fixes) == ("商務部依232條款課徵平衡稅及對等關稅。", 3)
    assert check_translation(en, zh).ok
    # A correct translation is never touched.
    assert repair_terms(en, zh, lex) == (zh, 0)


def test_numbers_are_normalised_across_scripts():
    assert zh_numeral("一千五百萬") == 15_000_000
    assert zh_numeral("二〇二五") == 2025
    zh = chinese_quantities("1,000億美元、150萬、百分之十五")
    assert [(q.value, q.kind) for q in zh.numbers] == [
        (15.0, "percent"), (1e11, "money:USD"), (1.5e6, "plain")]
    en = english_quantities("$1.2 trillion, 15 percent and 3 million")
    assert [(q.value, q.kind) for q in en.numbers] == [
        (1.2e12, "money:USD"), (15.0, "percent"), (3e6, "plain")]


# Pinned floors: measured 2026-12-01 by benchmarks/translation.py (docs/performance.md) on
# tests/dev/translations.jsonl, dev 328 + held-out 60 references. A change that lets more
# injected errors through, or rejects more correct translations, fails here.
MEASURED = {"number": 218 / 219, "date": 85 / 85, "country": 213 / 213, "negation": 87 / 97,
            "glossary": 104 / 104, "overall": 707 / 718}
MARGIN = 0.02
MAX_FALSE_ALARM_RATE = 3 / 388 + 0.005


def test_quality_gate_detection_and_false_alarms_on_the_dev_set():
    from pathlib import Path

    from zhtw.perturb import ERROR_TYPES, evaluate, load_references

    refs = load_references(Path(__file__).parent / "dev" / "translations.jsonl")
    assert len(refs) >= 320 and len({r.en for r in refs}) == len(refs)
    ev = evaluate(refs)
    for kind in ERROR_TYPES:
        assert ev.injected[kind] >= 80, kind  # every type is exercised on the set
        assert ev.detection(kind) >= MEASURED[kind] - MARGIN, (kind, ev.missed)
    assert ev.detection() >= max(0.95, MEASURED["overall"] - MARGIN)
    assert ev.false_alarm_rate <= MAX_FALSE_ALARM_RATE, ev.false_alarms
