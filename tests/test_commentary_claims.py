"""The claim check: statements must be traceable to a cited sentence; numbers, dates and names
must appear in the cited source. Whatever wrote the text."""

from datetime import date

from commentary.claims import CheckSettings, check_all, check_dates, check_statement, names_in
from commentary.matching import condense
from commentary.records import SourceDoc, Statement

SENTENCE = ("Accordingly, duty-free de minimis treatment under 19 U.S.C. 1321(a)(2)(C) shall no "
            "longer be available for products of the PRC (which include products of Hong Kong), "
            "including international postal packages sent to the United States through the "
            "international postal network from the PRC or Hong Kong, that are entered for "
            "consumption on or after 12:01 am eastern daylight time on May 2, 2025.")
DOC = SourceDoc(
    doc_id="d1", title="Further Amendment to Duties as Applied to Low-Value Imports",
    url="https://www.whitehouse.gov/presidential-actions/2025/04/x/", publisher="The White House",
    source_id="wh-presidential-actions", kind="order", day=date(2025, 4, 2), version=1,
    content_hash="h",
    sentences=(SENTENCE, "Postal items valued at or under 800 dollars shall be subject to a duty "
                         "of 30 percent of their value or 25 dollars per item."),
)
SOURCES = {"d1": DOC}
CHECK = CheckSettings()


def reason(text: str, doc_ids=("d1",), quote: bool = False) -> str | None:
    return check_statement(Statement(text, doc_ids, quote=quote), SOURCES, CHECK)


def test_a_verbatim_sentence_and_a_condensed_quote_pass():
    assert reason(SENTENCE) is None
    short = condense(SENTENCE, 200)
    assert "…" in short and reason(short) is None


def test_a_changed_number_is_caught():
    assert reason("Postal items valued at or under 800 dollars shall be subject to a duty of "
                  "35 percent of their value.") == "number 35 not in source"


def test_a_date_not_in_the_source_is_caught():
    changed = SENTENCE.replace("May 2, 2025", "June 2, 2025")
    assert reason(changed) == "date 2025-06-02 not in source"


def test_a_name_not_in_the_source_is_caught():
    text = SENTENCE.replace("from the PRC or Hong Kong", "from the PRC or Macau")
    assert reason(text) == "name 'Macau' not in source"


def test_an_unsupported_sentence_with_source_words_only_is_caught():
    made_up = "The international network shall consume packages of the United States."
    got = reason(made_up)
    assert got is not None and got.startswith("no supporting sentence")


def test_no_citation_or_an_unknown_source_fails():
    assert reason(SENTENCE, ()) == "no citation to a known source"
    assert reason(SENTENCE, ("nope",)) == "no citation to a known source"


def test_one_supporting_source_among_several_citations_is_enough():
    other = SourceDoc("d2", "Fact sheet", "https://x.test/", "The White House", "s", "fact-sheet",
                      date(2025, 4, 2), 1, "h2", ("Something else entirely happened today.",))
    sources = {"d1": DOC, "d2": other}
    assert check_statement(Statement(SENTENCE, ("d2", "d1")), sources, CHECK) is None


def test_check_all_counts_removals_with_section_and_reason():
    kept, removed = check_all("facts", [Statement(SENTENCE, ("d1",)),
                                        Statement("Duty of 99 percent applies to all items.", ("d1",))],
                              SOURCES, CHECK)
    assert len(kept) == 1
    assert [(r.section, r.reason) for r in removed] == [("facts", "number 99 not in source")]


def test_dates_printed_next_to_a_statement_are_checked():
    assert check_dates("timeline", "x", (date(2025, 4, 2), date(2025, 5, 2)), ("d1",), SOURCES) is None
    bad = check_dates("timeline", "x", (date(2025, 5, 3),), ("d1",), SOURCES)
    assert bad is not None and "2025-05-03" in bad.reason


def test_names_skip_sentence_starts_and_shouted_headings():
    assert names_in("Today the Secretary of Commerce met Hong Kong officials.") == [
        "Secretary Commerce", "Hong Kong"]
    assert names_in("CLOSING LOOPHOLES everywhere") == []


def test_a_quote_must_be_word_for_word():
    assert reason(condense(SENTENCE, 200), quote=True) is None
    altered = SENTENCE.replace("shall no longer be available", "is no longer available")
    assert reason(altered, quote=True) == "quote not found word for word in the source"
