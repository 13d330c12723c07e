"""Requests as search queries: empty, too long, Chinese through the glossary; query matching."""

import pytest

from commentary.matching import Matcher, condense, quote_pieces
from commentary.query import load_glossary, load_synonyms, prepare_query
from config.errors import BadInputError


def test_empty_or_punctuation_only_queries_are_refused():
    for q in ("", "   ", "?!…"):
        with pytest.raises(BadInputError):
            prepare_query(q, 300)


def test_a_very_long_query_is_cut_at_a_word_and_noted():
    q = "de minimis " + "tariff policy change " * 200
    pq = prepare_query(q, 300)
    assert len(pq.text) <= 300 and pq.text.startswith("de minimis")
    assert not pq.text.endswith("tari")  # cut at a word boundary
    assert any("查詢過長" in n for n in pq.notes)


def test_a_chinese_query_is_carried_into_english_by_the_glossary():
    pq = prepare_query("美國取消中國小額包裹免稅", 300)
    assert "de minimis" in pq.text and "China" in pq.text and "United States" in pq.text
    assert ("小額包裹免稅", "de minimis") in pq.translated
    assert any("詞彙表" in n for n in pq.notes)


def test_unknown_chinese_only_query_is_refused_with_the_reason():
    with pytest.raises(BadInputError, match="glossary"):
        prepare_query("龍貓", 300)


def test_glossary_and_synonyms_ship_with_the_package():
    pairs = dict(load_glossary().terms)
    assert pairs["出口管制"] == "export controls"
    assert "PRC" in load_synonyms()["chinese"]


def test_matcher_treats_words_the_texts_use_together_as_a_phrase():
    texts = ["Duty-free de minimis treatment shall end.", "The de minimis exemption is closed.",
             "Tren de Aragua members entered the country."]
    m = Matcher.for_query("de minimis", texts)
    assert m.units == (("de", "minimi"),)
    assert m.coverage("Tren de Aragua is a gang.") == 0.0
    assert m.coverage("The de minimis rule") == 1.0
    # without texts to learn from, the words count separately
    assert Matcher.for_query("de minimis").coverage("Tren de Aragua") == 0.5


def test_matcher_uses_official_wording_for_news_words():
    texts = ["de minimis shipments", "the de minimis exemption"]
    q = "US ends de minimis for Chinese parcels"
    s = "President Trump is ending duty-free de minimis treatment for goods from the PRC."
    assert Matcher.for_query(q, texts, load_synonyms()).hits(s) == 3  # ends, de minimis, PRC
    assert Matcher.for_query(q, texts).hits(s) == 2  # "PRC" is not "Chinese" without synonyms


def test_words_the_sources_use_everywhere_weigh_less():
    texts = ["The order will end the program."] * 8 + ["Duty-free de minimis treatment ends."] * 2
    m = Matcher.for_query("end de minimis", texts)
    assert m.coverage("It will end next year.") < 0.3
    assert m.coverage("The de minimis exemption stays.") > 0.7


def test_short_terms_do_not_match_inside_longer_words():
    m = Matcher.for_query("de ai")
    assert m.hits("The Department determined the details") == 0


def test_condense_only_leaves_words_out_and_marks_it():
    s = ("CLOSING LOOPHOLES: Today the President signed an order (which applies to products of "
         "Hong Kong) that ends duty-free treatment under 19 U.S.C. 1321(a)(2)(C) for low-value "
         "imports, effective May 2, 2025, " + "and it also says many other things " * 12 + "in the end.")
    short = condense(s, 200)
    assert len(short) <= 200 and not short.startswith("CLOSING")
    flat = " ".join(s.split())
    for piece in quote_pieces(short):
        assert piece.rstrip(",;") in flat
    assert "…" in short


def test_sentences_must_carry_the_query_anchor():
    texts = ["Duty-free de minimis treatment ends.", "The de minimis exemption is closed.",
             "Shipments of crude oil to China were sanctioned."] * 3
    m = Matcher.for_query("US ends de minimis for Chinese parcels", texts, load_synonyms())
    assert m.anchored("The de minimis rule ends for the PRC.")
    assert not m.anchored("Sanctioning the shipment of crude oil to the People's Republic of China.")
    single = Matcher.for_query("semiconductor tariffs", ["tariffs on steel", "tariffs on cars",
                                                         "semiconductor plants"])
    assert single.anchored("new semiconductor rules") and not single.anchored("tariffs on steel")


def test_gazetteer_names_carry_a_chinese_query_into_english_too():
    pq = prepare_query("台積電 美國商務部 鋼鐵", 300)
    assert "TSMC" in pq.text and "Department of Commerce" in pq.text and "steel" in pq.text.lower()
    assert ("台積電", "TSMC") in pq.translated
