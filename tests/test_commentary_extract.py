"""Timeline, key facts and things to watch from source records (sentences from the real 2025
White House texts)."""

from datetime import date

from commentary.extract import (
    candidates,
    doc_effective,
    facts,
    focal_docs,
    summary_evidence,
    timeline,
    watch_items,
)
from commentary.matching import Matcher
from commentary.records import SourceDoc

ORDER = SourceDoc(
    doc_id="eo", title="Further Amendment to Duties Addressing the Synthetic Opioid Supply Chain "
                       "in the People’s Republic of China as Applied to Low-Value Imports",
    url="https://www.whitehouse.gov/presidential-actions/2025/04/further-amendment/",
    publisher="The White House", source_id="wh-presidential-actions", kind="order",
    day=date(2025, 4, 2), version=1, content_hash="a", story_id="s1", relevance=1.0,
    sentences=(
        "In Executive Order 14200 of February 5, 2025 (Amendment to Duties Addressing the "
        "Synthetic Opioid Supply Chain in the People’s Republic of China), I suspended the "
        "elimination of duty-free de minimis treatment on articles described in section 2(a).",
        "Accordingly, duty-free de minimis treatment shall no longer be available for products "
        "of the PRC that are entered for consumption on or after 12:01 am eastern daylight time "
        "on May 2, 2025.",
        "Within 90 days of the date of this order, the Secretary of Commerce shall submit a report "
        "on whether extending de minimis ineligibility to packages from Macau is necessary.",
        "Nothing in this order shall be construed to impair de minimis authority granted by law.",
    ),
)
FACT_SHEET = SourceDoc(
    doc_id="fs", title="Fact Sheet: President Donald J. Trump Closes De Minimis Exemptions",
    url="https://www.whitehouse.gov/fact-sheets/2025/04/fact-sheet-de-minimis/",
    publisher="The White House", source_id="wh-fact-sheets", kind="fact-sheet",
    day=date(2025, 4, 2), version=1, content_hash="b", story_id="s1", relevance=0.9,
    sentences=(
        "CLOSING LOOPHOLES IN THE TARIFF SYSTEM: Today, President Donald J. Trump signed an "
        "Executive Order eliminating duty-free de minimis treatment for low-value imports from China.",
        "President Trump is ending duty-free de minimis treatment for covered goods from the PRC "
        "and Hong Kong starting May 2, 2025 at 12:01 a.m. EDT.",
    ),
)
GLOBAL = SourceDoc(
    doc_id="jul", title="Suspending Duty-Free De Minimis Treatment for All Countries",
    url="https://www.whitehouse.gov/presidential-actions/2025/07/suspending/",
    publisher="The White House", source_id="wh-presidential-actions", kind="order",
    day=date(2025, 7, 30), version=1, content_hash="c", story_id="s2", relevance=0.8,
    sentences=(
        "In that order, I determined that it was necessary to suspend duty-free de minimis "
        "treatment for articles described in section 2(a) of that order.",
        "(a) The duty-free de minimis exemption shall no longer apply to any shipment of articles, "
        "regardless of value, country of origin, or method of entry.",
        "The requirements of this order shall be effective with respect to goods entered for "
        "consumption on or after 12:01 a.m. eastern daylight time on August 29, 2025.",
    ),
)
DOCS = [ORDER, FACT_SHEET, GLOBAL]
BY_ID = {d.doc_id: d for d in DOCS}


def matcher() -> Matcher:
    return Matcher.for_query("de minimis", [s for d in DOCS for s in d.sentences])


def test_candidates_skip_boilerplate_and_need_the_query():
    texts = [c.text for c in candidates(DOCS, matcher(), 0.5)]
    assert not any(t.startswith("Nothing in this order") for t in texts)
    assert all("minimis" in t.lower() for t in texts)


def test_effective_date_of_a_document_is_its_own_not_a_recited_one():
    assert doc_effective(ORDER, matcher()) == date(2025, 5, 2)
    assert doc_effective(GLOBAL, matcher()) == date(2025, 8, 29)
    assert doc_effective(FACT_SHEET, matcher()) == date(2025, 5, 2)


def test_timeline_events_cite_the_act_with_its_effective_date():
    m = matcher()
    events = timeline(DOCS, candidates(DOCS, m, 0.5), m, date(2026, 1, 1), 10)
    days = [(e.day, e.kind) for e in events]
    assert days == [(date(2025, 2, 5), "reference"), (date(2025, 4, 2), "order"),
                    (date(2025, 7, 30), "order")]
    april = events[1]
    assert april.statement.doc_ids == ("eo", "fs")  # the fact sheet joins the order's event
    assert april.effective == date(2025, 5, 2) and april.certainty == "in force"
    assert april.statement.text.startswith("Accordingly")  # the operative sentence, not a recital
    july = events[2]
    assert july.statement.doc_ids == ("jul",) and july.effective == date(2025, 8, 29)
    assert july.statement.text.startswith("(a) The duty-free")
    ref = events[0]
    assert ref.statement.doc_ids == ("eo",) and ref.statement.text.startswith("Executive Order 14200")


def test_timeline_stops_at_the_reference_date_and_certainty_follows_it():
    m = matcher()
    events = timeline(DOCS, candidates(DOCS, m, 0.5), m, date(2025, 4, 3), 10)
    assert [e.day for e in events] == [date(2025, 2, 5), date(2025, 4, 2)]
    assert events[1].certainty == "signed"  # effective 2 May is still ahead on 3 April


def test_a_referenced_order_already_in_the_sources_is_not_repeated():
    feb = SourceDoc("feb", "Amendment to Duties Addressing the Synthetic Opioid Supply Chain in the "
                    "People’s Republic of China", "https://www.whitehouse.gov/presidential-actions/"
                    "2025/02/amendment/", "The White House", "wh-presidential-actions", "order",
                    date(2025, 2, 5), 1, "d",
                    ("Duty-free de minimis treatment shall cease to be available upon notification "
                     "by the Secretary of Commerce.",))
    docs = [feb, *DOCS]
    m = Matcher.for_query("de minimis", [s for d in docs for s in d.sentences])
    events = timeline(docs, candidates(docs, m, 0.5), m, date(2026, 1, 1), 10)
    feb_events = [e for e in events if e.day == date(2025, 2, 5)]
    assert [(e.kind, e.statement.doc_ids) for e in feb_events] == [("order", ("feb",))]


def test_facts_carry_certainty_and_effective_date_and_do_not_repeat():
    m = matcher()
    cands = candidates(DOCS, m, 0.5)
    eff = {d.doc_id: doc_effective(d, m) for d in DOCS}
    got = facts(cands, BY_ID, eff, date(2025, 4, 3), 10, set(), per_doc=2)
    assert len({f.statement.text for f in got}) == len(got)
    assert max(sum(1 for f in got if f.statement.doc_ids == (d,)) for d in BY_ID) <= 2
    fs_ending = next(f for f in got if f.statement.text.startswith("President Trump is ending"))
    assert fs_ending.effective == date(2025, 5, 2) and fs_ending.certainty == "announced"


def test_watch_items_are_what_is_still_ahead():
    m = matcher()
    items = watch_items(DOCS, m, date(2025, 4, 3), 10)
    assert [(w.day, w.kind) for w in items if w.day] == [(date(2025, 5, 2), "effective")]
    assert any(w.kind == "report" and "Within 90 days" in w.statement.text for w in items)
    # the July order exists on 1 August; its effective date (stated without the query) is ahead
    august = watch_items(DOCS, m, date(2025, 8, 1), 10)
    assert [(w.day, w.kind) for w in august if w.day] == [(date(2025, 8, 29), "effective")]
    assert all(w.day is None for w in watch_items(DOCS, m, date(2025, 9, 1), 10))


def test_summary_starts_with_the_press_summary_of_the_focal_event():
    focal = focal_docs(DOCS)
    assert {d.doc_id for d in focal} == {"eo", "fs"}
    ev = summary_evidence(focal, candidates(DOCS, matcher(), 0.5))
    assert ev[0].doc_id == "fs" and "signed an Executive Order" in ev[0].text
    assert not any(c.text.startswith("In Executive Order") for c in ev)


def test_a_fact_sheet_saying_the_order_was_signed_makes_its_event_signed():
    m = Matcher.for_query("de minimis", list(FACT_SHEET.sentences))
    events = timeline([FACT_SHEET], candidates([FACT_SHEET], m, 0.5), m, date(2025, 4, 3), 5)
    assert [(e.kind, e.certainty, e.effective) for e in events] == [
        ("fact-sheet", "signed", date(2025, 5, 2))]
