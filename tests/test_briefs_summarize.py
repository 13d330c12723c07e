"""Extractive summaries: clean sentences, no repeats, every sentence from a member document."""

from __future__ import annotations

import json

import pytest
from test_briefs_support import HashingEncoder

from briefs.summarize import (
    InputDoc,
    candidates,
    is_recital,
    read_jsonl_docs,
    specificity,
    summarize_docs,
)
from config.errors import BadInputError
from nlp.sentences import document_sentences, normalise, split_sentences, without_title

WH = InputDoc(
    "wh",
    "Fact Sheet: President Donald J. Trump Ends Duty-Free De Minimis Treatment",
    """# Fact Sheet

The White House

**ENDING DE MINIMIS:** Today, President Donald J. Trump signed an
[Executive Order](https://www.whitehouse.gov/presidential-actions/x/) ending duty-free
de minimis treatment for low-value imports from China starting May 2, 2025.

-   The order directs U.S. Customs and Border Protection to collect duties of 120 percent
    of value on postal shipments from China.
-   Shipments valued at $800 or less previously entered the U.S. duty-free.

Share this

Click here to sign up for updates from the White House.
""",
)
USAT = InputDoc(
    "usat",
    "Trump ends de minimis loophole for Chinese parcels",
    "Today, President Donald J. Trump signed an Executive Order ending duty-free de minimis "
    "treatment for low-value imports from China starting May 2, 2025. "
    "Retailers such as Shein and Temu relied heavily on the exemption to ship goods directly "
    "to American consumers. Analysts expect prices of small parcels to rise sharply this year.",
)
FR = InputDoc(
    "fr",
    "Further Amendment to Duties Addressing the Synthetic Opioid Supply Chain",
    "This document amends the Harmonized Tariff Schedule of the United States to implement "
    "the end of de minimis treatment for covered articles of China. "
    "The amendments are effective for goods entered on or after 12:01 a.m. eastern daylight "
    "time on May 2, 2025.",
)


def test_sentences_drop_markdown_noise_and_boilerplate():
    sents = document_sentences(WH.text)
    assert sents[0].startswith("ENDING DE MINIMIS: Today, President Donald J. Trump signed")
    assert all("](" not in s and "http" not in s and "**" not in s for s in sents)
    assert not any(s.startswith(("Fact Sheet", "The White House", "Share", "Click")) for s in sents)
    assert any(s.startswith("The order directs U.S. Customs") for s in sents)


def test_split_keeps_abbreviations():
    text = "The U.S. Trade Representative met Mr. Smith at 9 a.m. on Monday. Talks went well."
    assert split_sentences(text) == [
        "The U.S. Trade Representative met Mr. Smith at 9 a.m. on Monday.",
        "Talks went well.",
    ]


def test_summary_no_duplicates_and_from_members():
    docs = [WH, USAT, FR]
    summary = summarize_docs(docs, HashingEncoder(), 3)
    assert len(summary) == 3
    keys = [normalise(s.text) for s in summary]
    assert len(set(keys)) == 3
    by_id = {d.doc_id: d for d in docs}
    for s in summary:
        assert s.doc_id in by_id
        assert s.text in document_sentences(by_id[s.doc_id].text)
    # the sentence carried by both the White House and USA TODAY appears once
    signed = [s for s in summary if "signed an Executive Order" in s.text]
    assert len(signed) <= 1


def test_summary_edge_cases():
    assert summarize_docs([], HashingEncoder(), 3) == []
    assert summarize_docs([InputDoc("x", "Title", "Too short.")], HashingEncoder(), 3) == []
    one = summarize_docs([USAT], HashingEncoder(), 5)
    assert 1 <= len(one) <= 3 and {s.doc_id for s in one} == {"usat"}


def test_read_jsonl_docs(tmp_path):
    good = tmp_path / "docs.jsonl"
    good.write_text(
        json.dumps({"id": "a", "title": "T", "text": "x"}) + "\n\n" + json.dumps({"text": "y"}) + "\n"
    )
    docs = read_jsonl_docs(good)
    assert [(d.doc_id, d.title) for d in docs] == [("a", "T"), ("doc3", "")]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n')
    with pytest.raises(BadInputError, match="bad.jsonl:2"):
        read_jsonl_docs(bad)
    with pytest.raises(BadInputError, match="cannot read"):
        read_jsonl_docs(tmp_path / "missing.jsonl")


@pytest.mark.slow
def test_summarize_jsonl_with_real_backend(tmp_path):
    from briefs.summarize import summarize_jsonl
    from config.settings import load_settings

    path = tmp_path / "story.jsonl"
    path.write_text(
        "\n".join(json.dumps({"id": d.doc_id, "title": d.title, "text": d.text}) for d in (WH, USAT, FR)),
        encoding="utf-8",
    )
    lines = summarize_jsonl(path, load_settings())
    assert 1 <= len(lines) <= 3 and len(set(map(normalise, lines))) == len(lines)
    sources = [s for d in (WH, USAT, FR) for s in document_sentences(d.text)]
    assert all(line in sources for line in lines)
    # the story's gist (the order ending de minimis) leads the summary
    assert "de minimis" in lines[0]


def test_recitals_are_recognised_by_their_first_person_voice():
    assert is_recital("I, DONALD J. TRUMP, President of the United States, find that imports rose.")
    assert is_recital("Accordingly, I hereby proclaim the following adjustments to tariffs.")
    assert not is_recital("President Trump signed an order imposing a 25% tariff on imports.")
    assert not is_recital("Imports from Mexico and Canada rose by 12% in the first quarter.")
    assert not is_recital("Higher rates apply to the countries listed in Annex I of the order.")
    assert is_recital("The countries in Annex I, I have determined, pose the greatest risk.")


def test_the_explanatory_document_leads_and_summaries_read_in_order():
    order = InputDoc("eo", "Order", " ".join(
        f"I find that imports of product {k} threaten to impair the national security." for k in "ABCD"))
    sheet = InputDoc("fs", "Fact sheet", "President Trump signed an order adjusting imports of "
                     "steel and aluminum today. The order raises the tariff on aluminum imports "
                     "to 25 percent. It also ends the exemptions granted to several trading partners.")
    cands = candidates([order, sheet], 24)
    assert {c.doc_id: c.doc_rank for c in cands} == {"fs": 0, "eo": 1}
    assert cands[0].doc_id == "fs"  # the fact sheet's lead enters the pool first
    summary = summarize_docs([order, sheet], HashingEncoder(), 3)
    assert [s.doc_id for s in summary].count("fs") >= 2
    fs_lines = [s.text for s in summary if s.doc_id == "fs"]
    assert fs_lines == [x for x in document_sentences(sheet.text) if x in fs_lines]  # in order
    assert summary[0].doc_id == "fs"


def test_a_leading_copy_of_the_title_is_not_glued_onto_the_first_sentence():
    title = "Certain Epoxy Resins From Taiwan: Final Affirmative Countervailing Duty Determination"
    text = ("Certain Epoxy Resins From Taiwan: Final Affirmative Countervailing\nDuty Determination\n"
            "The U.S. Department of Commerce (Commerce) determines that countervailable subsidies "
            "are\nbeing provided to producers and exporters of certain epoxy resins from\nTaiwan. "
            "The period of investigation (POI) is January 1, 2023, through December 31, 2023.")
    assert without_title(text, title).startswith("The U.S. Department of Commerce")
    assert document_sentences(text, title)[0].startswith("The U.S. Department of Commerce")
    assert without_title("Tariffs rise. More text here.", title) == "Tariffs rise. More text here."
    assert without_title(text, "") == text


def test_specificity_counts_figures_and_names_not_praise():
    praise = "This is a historic win that puts hardworking families first once again."
    facts = "Energy resources from Canada will have a lower 10% tariff from March 4, 2025."
    assert specificity(praise) == 0.0
    assert specificity(facts) > 0.5
    assert specificity("") == 0.0
    # the first word is capitalised anyway; acronyms count, long shouted headings do not
    assert specificity("Tariffs rise.") == 0.0
    assert specificity("The order invokes IEEPA.") == specificity("The order invokes Congress.")
    assert specificity("ADDRESSING AN EMERGENCY SITUATION today") == pytest.approx(0.5 / 6)  # "AN"
    assert specificity(" ".join(["2025"] * 10)) == 1.0


def test_a_sentence_with_the_facts_beats_generic_praise_of_the_same_document():
    sheet = InputDoc("fs", "Tariffs on Canada and Mexico", (
        "President Trump imposed tariffs on imports from Canada and Mexico today. "
        "This bold action puts American workers and families first like never before. "
        "Imports from Canada and Mexico face a 25% tariff from February 4, 2025 under IEEPA. "
        "The President is keeping his promise to the American people once again."))
    summary = summarize_docs([sheet], HashingEncoder(), 2)
    assert any("25%" in s.text for s in summary)
