"""MinHash/LSH near-duplicates on real re-crawled text (White House vs a second crawler)."""

import numpy as np

from nlp.neardup import (
    BandIndex,
    MinHashParams,
    find_near_duplicates,
    signature,
    tokens_for_shingles,
)

WH = (
    "By the authority vested in me as President by the Constitution and the laws of the United "
    "States of America, including the International Emergency Economic Powers Act, the National "
    "Emergencies Act, section 604 of the Trade Act of 1974, and section 301 of title 3, United "
    "States Code, it is hereby ordered: Section 1. Background. The United States has a large and "
    "persistent annual trade deficit in goods, driven by the absence of reciprocity in our bilateral "
    "trade relationships and other harmful policies like currency manipulation and exorbitant "
    "value-added taxes."
)
# The same proclamation as scraped by a second crawler: header glued on, paragraph breaks lost.
USAT = (
    "Presidential Actions REGULATING IMPORTS WITH A RECIPROCAL TARIFF TO RECTIFY TRADE PRACTICES"
    "Executive OrdersApril 2, 2025 " + WH.replace(" Section 1.", "Section 1.")
)
OTHER = (
    "Every child deserves a safe and nurturing home where they can learn, grow, and reach their "
    "full potential. Adoption makes that possible by opening the door to stability and belonging "
    "for children who need a family, and we recommit to caring for the children still waiting."
)
P = MinHashParams()


def _none(_sigs):
    return {}


def test_glued_words_are_split():
    assert tokens_for_shingles("", "2025ProclamationsNovember 17")[:3] == ["2025", "proclamations", "november"]


def test_recrawl_is_a_duplicate_and_other_text_is_not():
    a = signature("wh", "Regulating Imports", WH, P)
    b = signature("usat", "Regulating Imports", USAT, P)
    c = signature("other", "National Adoption Month", OTHER, P)
    dups = find_near_duplicates([a, c, b], _none, P)
    assert [(d.doc_id, d.duplicate_of) for d in dups] == [("usat", "wh")]
    assert dups[0].similarity >= P.threshold


def test_stored_copy_is_found_and_roots_are_followed():
    a = signature("wh", "t", WH, P)
    b = signature("usat", "t", USAT, P)

    def stored(_sigs):
        return {"wh": (a, "root-doc")}

    dups = find_near_duplicates([b], stored, P)
    assert dups[0].duplicate_of == "root-doc"


def test_short_text_gets_no_signature():
    assert signature("x", "Nomination", "Jane Doe, of Ohio.", P) is None


def test_band_index_candidates():
    a = signature("a", "t", WH, P)
    idx = BandIndex()
    idx.add(a)
    assert "a" in idx.candidates(signature("b", "t", WH, P))
    assert not idx.candidates(signature("c", "t", OTHER, P))
    assert a.values.dtype == np.uint64 and len(a.bands) == P.bands


def test_templated_orders_and_late_reissues_are_not_duplicates():
    steel = signature("steel", "Adjusting Imports of Steel into the United States", WH, P)
    alu = signature("alu", "Adjusting Imports of Aluminum into the United States", WH, P)
    assert not find_near_duplicates([steel, alu], _none, P)
    april = signature("apr", "Extending the TikTok Enforcement Delay", WH, P, at=1_743_724_800.0)
    june = signature("jun", "Further Extending the TikTok Enforcement Delay", WH, P,
                     at=1_743_724_800.0 + 76 * 86400)
    assert not find_near_duplicates([april, june], _none, P)
    glued = signature("g", "Adjusting Imports Of Aluminum Andsteel Into The United States", WH, P)
    both = signature("b", "Adjusting Imports of Aluminum and Steel into the United States", WH, P)
    assert [d.doc_id for d in find_near_duplicates([both, glued], _none, P)] == ["g"]
