"""Language identification on real-style short titles and longer texts."""

import pytest

from nlp.language import detect_language, load_identifiers, script_counts


@pytest.fixture(scope="module")
def ids():
    return load_identifiers()


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Adjusting Imports of Steel into the United States", "en"),
        ("ADJUSTING IMPORTS OF ALUMINUM INTO THE UNITED STATES", "en"),
        ("Neue Förderrichtlinie für KI-Forschung", "de"),
        ("Le gouvernement annonce un plan pour les semi-conducteurs", "fr"),
        ("経済産業省、半導体支援策を発表", "ja"),
        ("산업통상자원부 반도체 지원 대책 발표", "ko"),
        ("美國對台灣半導體課徵關稅", "zh"),
        ("Vinnova satsar på AI i industrin", "sv"),
        ("Nuevo arancel a las importaciones de acero", "es"),
        ("Il governo italiano investe nei semiconduttori", "it"),
    ],
)
def test_short_titles(ids, text, code):
    guess = detect_language(text, ids)
    assert guess.code == code
    assert guess.supported
    assert 0.0 < guess.confidence <= 1.0


def test_unsupported_language_is_reported_with_its_code(ids):
    text = (
        "Правительство России объявило о новых пошлинах на импорт стали из Китая и других "
        "стран в ответ на меры торговых партнёров."
    )
    guess = detect_language(text, ids)
    assert guess.code == "ru"
    assert not guess.supported


def test_empty_and_symbol_only_text_is_undetermined(ids):
    for text in ("", "   ", "12345 -- 2025"):
        guess = detect_language(text, ids)
        assert guess.code == "und" and not guess.supported


def test_script_counts_separates_kana_hangul_han():
    counts = script_counts("半導体とAI 반도체")
    assert counts["kana"] == 1 and counts["hangul"] == 3 and counts["han"] == 3
    assert counts["latin"] == 2


@pytest.mark.parametrize(("text", "tag"), [
    ("美國對台灣半導體課徵關稅", "zh-Hant"),  # 台 is written in both: 國, 對, 灣 decide
    ("經濟部公布半導體出口管制新措施", "zh-Hant"),
    ("美国对台湾半导体征收关税", "zh-Hans"),
    ("商务部公告2025年第18号 关于对原产于美国的进口商品加征关税", "zh-Hans"),
    ("中日合作", "zh"),  # nothing tells the two scripts apart
    ("経済産業省、半導体支援策を発表", "ja"),
    ("Adjusting Imports of Steel into the United States", "en"),
])
def test_chinese_script_is_told_when_the_characters_say(ids, text, tag):
    assert detect_language(text, ids).tag == tag
