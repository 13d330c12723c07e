"""store/units.py: the leading-literal pre-check of unit matching (anchors) keeps every match."""

from __future__ import annotations

import re

from store.query_units import text_matching, unit_regex
from store.units import (
    Texts,
    anchored_matches,
    anchors,
    build_unit,
    term_regex,
    unit_matching,
    wording_regex,
)


def test_anchors_are_each_alternatives_leading_literal() -> None:
    assert anchors(term_regex("tariff")) == ("tariff",)
    assert anchors(wording_regex("CHIPS and Science Act")) == ("chips",)
    assert anchors(unit_regex(("de", "minimi"), ("dm",))) == ("de", "dm")
    assert anchors(wording_regex("U.S.-China")) == ("u.s.-china",)
    assert anchors(r"\bfoo|\bbar") == ("foo", "bar")  # a top-level | outside a group
    assert anchors("ab?c") == ("a",)  # an optional last character is not required


def test_anchors_give_up_where_a_literal_is_not_certain() -> None:
    assert anchors("(?:a)|(?:b)") == ()
    assert anchors(r"(?:\bab\w*|(?:x|y)z)") == ()
    assert anchors("[ab]c") == ()
    assert anchors(r"\w+ing") == ()


def test_matching_with_anchors_finds_what_the_whole_scan_finds() -> None:
    filler = "The committee met again on Tuesday. " * 1500  # ~55,000 characters first
    bodies = {
        "late": filler + "It announced reciprocal TARIFFS on steel.",
        "early": "Reciprocal tariffs were announced. " + filler,
        "none": filler,
        "phrase-apart": "reciprocal " + filler + " tariffs",
    }
    texts = Texts(dict(bodies))
    unit = build_unit("reciprocal tariffs", unit_regex(("reciproc", "tariff")), ())
    plain = re.compile(unit.pattern, re.IGNORECASE)
    assert unit_matching(texts)(unit) == frozenset(k for k, b in bodies.items()
                                                   if plain.search(b)) == {"late", "early"}
    lowered = {k: b.lower() for k, b in bodies.items()}
    regex = unit_regex(("reciproc", "tariff"))
    assert text_matching(lowered)(regex, ("reciproc",)) == {"late", "early"}


def test_anchored_matches_are_the_scans_matches_that_start_at_a_literal() -> None:
    text = "Steel tariffs, tariff-rate quotas and the TARIFF schedule; stee tariffs again."
    pattern = re.compile(r"(?i)tariffs?\b|steel\b")
    leads = anchors(pattern.pattern.removeprefix("(?i)"))
    assert leads == ("tariff", "steel")
    found = [m.span() for m in anchored_matches(pattern, text, text.lower(), leads)]
    assert found == [m.span() for m in pattern.finditer(text)]
    assert len(found) == 5  # in order of position, across both literals
    # positions are found as needed: the first match is had without the rest of the text
    first = next(anchored_matches(pattern, text, text.lower(), leads))
    assert first.group() == "Steel"
