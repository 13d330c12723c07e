"""Watchlist query parsing and matching, and the glossary translation (store/query.py)."""

from __future__ import annotations

import pytest

from commentary.query import load_glossary
from config.errors import ConfigError
from store.query import Glossary, matches, parse_query, translate


def test_query_syntax():
    q = parse_query('"de minimis" OR "section 321" parcels')
    assert q.alternatives == (("de minimis",), ("section 321", "parcels"))
    assert matches(q, "Ending the De-Minimis exemption", "")
    assert matches(q, "", "Section 321 entries for parcels")
    assert not matches(q, "", "Section 321 entries")  # both words of the alternative
    assert not matches(parse_query("tariff"), "Tariffs rise", "")  # whole words only
    assert matches(parse_query("半導體 關稅"), "美國對半導體加徵關稅", "")  # CJK: substrings
    for bad in ("", "OR tariff", "tariff OR", '"unclosed'):
        with pytest.raises(ConfigError):
            parse_query(bad)


def test_a_chinese_term_matches_its_english_wording():
    q = parse_query("對等關稅 OR 半導體 出口管制", load_glossary)
    assert dict(q.expansions)["對等關稅"] == ("reciprocal tariff", "reciprocal tariffs")
    assert matches(q, "Regulating Imports with a Reciprocal Tariff", "")
    assert matches(q, "New export controls on advanced semiconductors", "")
    assert not matches(q, "Semiconductors in the news", "")  # both terms of the alternative
    assert matches(q, "", "美國宣布對等關稅")  # the Chinese wording still matches itself
    assert parse_query("未收錄的詞", load_glossary).expansions == ()  # unknown Chinese: no expansion
    assert parse_query("對等關稅").expansions == ()  # no glossary given: no expansion


def test_translate_longest_term_first_and_leftover():
    glossary = Glossary((("對等關稅", "reciprocal tariff"), ("關稅", "tariff")))
    english, used, leftover = translate("美國對等關稅與關稅", glossary)
    assert english == "reciprocal tariff tariff"
    assert used == (("對等關稅", "reciprocal tariff"), ("關稅", "tariff"))
    assert leftover == "美國與"
