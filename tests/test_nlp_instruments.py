"""Instrument references and relations in real sentences of 2025 orders, notices and fact
sheets (quoted from the bundled snapshot)."""

from datetime import date

from nlp.instruments import (
    ORDER_CUE,
    find_instruments,
    orders_named,
    relations,
    title_citations,
    title_key,
)


def _labels(text: str) -> list[str]:
    return [r.label for r in find_instruments(text)]


def test_orders_proclamations_and_lists():
    assert _labels("as amended by Executive Orders 14193, 14194, and 14195, and by EO 14200") == [
        "EO 14193", "EO 14194", "EO 14195", "EO 14200"]
    assert _labels("Proclamation 9705 of March 8, 2018 (Adjusting Imports of Steel Into the "
                   "United States), Proclamations 9711 and 9740") == [
        "Proclamation 9705", "Proclamation 9711", "Proclamation 9740"]
    ref = find_instruments("Proclamation 9705 of March 8, 2018 (Adjusting Imports of Steel Into "
                           "the United States), as amended")[0]
    assert ref.signed == date(2018, 3, 8) and ref.title == "Adjusting Imports of Steel Into the United States"
    # markdown emphasis and a wrapped line do not hide a number
    assert _labels("*Executive\nOrder* 14257 of April 2, 2025") == ["EO 14257"]


def test_federal_register_cbp_and_hts_references():
    text = ("published at 90 FR 9113 (FR Doc. 2025-02293) and CBP CSMS # 64649265; see "
            "https://www.federalregister.gov/documents/2025/04/07/2025-06063/regulating; "
            "heading 9903.01.63 and subheading 7308.90.95 of the HTSUS")
    assert _labels(text) == ["90 FR 9113", "FR 2025-02293", "CBP CSMS 64649265", "FR 2025-06063",
                             "HTS 9903.01.63", "HTS 7308.90.95"]
    assert not [r for r in find_instruments("the 2024-2025 review, 2025-12345 units") if r.kind == "FR"]


def test_relations_name_what_this_act_does():
    s = ("Executive Order 14193 of February 1, 2025 (Imposing Duties to Address the Flow of Illicit "
         "Drugs Across Our Northern Border), as amended by Executive Order 14197 of February 3, 2025 "
         "(Progress on the Situation at Our Northern Border), is further amended by revising "
         "section 2(h) to read as follows")
    assert [(r.verb, r.target) for r in relations(s)] == [("amends", "EO 14193")]
    tiktok = ("(a) The enforcement delay specified in section 2(a) of Executive Order 14166 of January "
              "20, 2025 (Application of Protecting Americans from Foreign Adversary Controlled "
              "Applications Act to TikTok), is further extended until June 19, 2025.")
    assert [(r.verb, r.target) for r in relations(tiktok)] == [("suspends", "EO 14166")]
    # the President recounting an earlier act, or a review directive, is not a relation
    assert relations("In Executive Order 14226 of March 2, 2025 (Amendment to Duties ...), I paused "
                     "the suspension of duty-free de minimis treatment") == []
    assert relations("The Secretary shall review whether Executive Order 14105 of August 9, 2023 "
                     "(Addressing United States Investments) should be modified or rescinded.") == []


def test_orders_cited_by_date_and_title_or_date_alone():
    cited = title_citations("Regarding the Executive Order of February 1, 2025 (Imposing Duties to "
                            "Address the Synthetic Opioid Supply Chain in the People’s Republic of "
                            "China), the following shall replace subsection (g)")
    assert [(c.kind, c.signed, bool(c.title)) for c in cited] == [("EO", date(2025, 2, 1), True)]
    alone = title_citations("section 2(a) of the Executive Order of February 1, 2025, are amended")
    assert [(c.signed, c.title) for c in alone] == [(date(2025, 2, 1), "")]
    assert title_key("Imposing Duties To Address the Flow ofIllicit Drugs") != ""
    assert title_key("Imposing Duties to Address the Synthetic Opioid Supply Chain in the People’s "
                     "Republic of China") == title_key("Imposing Duties To Address the Synthetic "
                                                       "Opioid Supply Chain in the People's Republic "
                                                       "of China")


def test_orders_named_are_the_eos_and_proclamations_only():
    text = ("Sec. 1. Background. In Executive Order 14230 of March 6, 2025 (Addressing Risks from "
            "Perkins Coie LLP), and in Executive Order 14147 ... pursuant to Proclamation 10886; "
            "see 90 FR 9113 and heading 9903.01.24")
    assert orders_named(text) == frozenset({"EO 14230", "EO 14147", "Proclamation 10886"})
    assert orders_named("Fact Sheet: President Donald J. Trump Addresses Risks from Jenner & Block") == frozenset()
    # the cue the store applies in SQL (RE2) before sending a text over finds the same texts
    assert ORDER_CUE.search("*Executive\nOrder* 14257") and ORDER_CUE.search("EO 14257")
