"""Dates in source sentences: formats, years read against the source date, roles, certainty."""

from datetime import UTC, date, datetime

from nlp.dates import (
    certainty,
    date_mentions,
    effective_dates,
    ends_a_period,
    find_dates,
    relative_deadline,
)


def test_find_dates_reads_the_formats_sources_use():
    text = ("signed on April 2, 2025; effective 2 May 2025; notice 2025-08-29; "
            "公告 2025年7月30日; not a date: May 32, 2025")
    assert [d for d, _, _ in find_dates(text)] == [
        date(2025, 4, 2), date(2025, 5, 2), date(2025, 8, 29), date(2025, 7, 30)]


def test_a_date_without_year_is_read_against_the_source_date():
    sentence = "Effective August 29, imported goods valued at or under $800 will be subject to duties."
    assert find_dates(sentence) == []
    assert [d for d, _, _ in find_dates(sentence, date(2025, 7, 30))] == [date(2025, 8, 29)]
    # a December source reads "January 5" as the next January
    assert find_dates("from January 5 on", date(2025, 12, 20))[0][0] == date(2026, 1, 5)


def test_roles_come_from_the_words_before_the_date():
    s = ("Goods entered for consumption on or after 12:01 a.m. eastern daylight time on "
         "May 2, 2025, as noted in Executive Order 14195 of February 1, 2025.")
    roles = {m.day: m.role for m in date_mentions(s)}
    assert roles == {date(2025, 5, 2): "effective", date(2025, 2, 1): "mention"}
    assert effective_dates(s) == [date(2025, 5, 2)]
    comments = date_mentions("Written comments must be received on or before June 16, 2025.")
    assert comments[0].role == "comments"
    deadline = date_mentions("The Secretary shall report no later than October 1, 2025.")
    assert deadline[0].role == "deadline"


def test_the_bounds_of_an_exemption_period_are_no_effective_date():
    # Proclamation "Regulatory Relief for Certain Stationary Sources to Promote American Energy"
    # (whitehouse.gov, 8 April 2025): the exemption runs from the MATS rule's compliance date;
    # the proclamation is not "effective July 8, 2027" (the 10 April digest said 生效 2027-07-08)
    s = ("NOW, THEREFORE, I, DONALD J. TRUMP, President of the United States of America, by the "
         "authority vested in me by the Constitution and the laws of the United States of "
         "America, including section 112(i)(4) of the Clean Air Act, 42 U.S.C. 7412(i)(4), do "
         "hereby proclaim that certain stationary sources subject to the Rule, as identified in "
         "Annex I of this proclamation, are exempt from compliance with the Rule for a period of 2 "
         "years beyond the Rule’s compliance date — i.e., for the period beginning July 8, 2027, "
         "and concluding July 8, 2029 (Exemption).")
    assert [(m.day, m.role) for m in date_mentions(s, date(2025, 4, 8))] == [
        (date(2027, 7, 8), "mention"), (date(2029, 7, 8), "mention")]
    assert effective_dates(s) == []
    until = date_mentions("These sources are exempt from the Rule until July 8, 2027.")
    assert until[0].role == "mention" and not ends_a_period(until[0])
    # an exemption that itself takes effect on a day keeps that day, as does a pause's period
    own = date_mentions("Such goods shall be exempt from the duties, effective April 5, 2025.")
    assert own[0].role == "effective"
    pause = date_mentions("The duties are hereby suspended for a period of 90 days beginning at "
                          "12:01 a.m. on April 10, 2025.")
    assert pause[0].role == "effective"


def test_relative_deadlines_are_found():
    assert relative_deadline("Within 90 days of the date of this order, the Secretary shall "
                             "submit a report.") == "Within 90 days"
    assert relative_deadline("The order takes effect today.") is None


def test_certainty_follows_wording_source_kind_and_reference_date():
    as_of = date(2025, 4, 3)
    order = "Duty-free de minimis treatment shall no longer be available."
    assert certainty(order, "order", date(2025, 5, 2), as_of) == "signed"
    assert certainty(order, "order", date(2025, 5, 2), date(2025, 6, 1)) == "in force"
    assert certainty("The Department proposes to amend the rule.", "register", None, as_of) == "proposed"
    assert certainty("The United States should end this exemption.", "fact-sheet", None,
                     as_of) == "announced"
    assert certainty("Today, President Trump signed an Executive Order ending it.", "fact-sheet",
                     None, as_of) == "signed"
    assert certainty("The tariffs took effect on March 4.", "article", None, as_of) == "in force"


def test_a_deadline_says_whether_it_ends_a_period_or_sets_a_due_date():
    until = date_mentions("The enforcement delay specified in section 2(a) of Executive Order "
                          "14166 is further extended until June 19, 2025.")
    assert [(m.day, m.role, m.cue) for m in until] == [(date(2025, 6, 19), "deadline", "until")]
    assert ends_a_period(until[0])
    due = date_mentions("The Secretary shall report no later than October 1, 2025.")[0]
    assert due.cue == "no later than" and not ends_a_period(due)
    comments = date_mentions("Written comments must be received on or before June 16, 2025.")[0]
    assert comments.role == "comments" and not ends_a_period(comments)


def test_a_date_only_value_is_its_own_day_in_every_zone_within_12_hours():
    """總統府's 2025-04-06 is stored as 2025-04-05T16:00Z, Washington's as 05:00Z the same
    day: both are 6 April, in the digest's source list and in the lifecycle's dates alike."""
    from dataclasses import dataclass

    from nlp.dates import date_only_day
    from nlp.lifecycle_docs import published_date

    for at in (datetime(2025, 4, 5, 16, tzinfo=UTC), datetime(2025, 4, 6, 5, tzinfo=UTC),
               datetime(2025, 4, 6, 0, tzinfo=UTC), datetime(2025, 4, 6)):
        assert date_only_day(at) == date(2025, 4, 6), at

    @dataclass
    class Doc:
        published_at: datetime
        published_precision: str
        url: str = "https://www.president.gov.tw/NEWS/39170"

    assert published_date(Doc(datetime(2025, 4, 5, 16, tzinfo=UTC), "date")) == date(2025, 4, 6)
    # an instant keeps the source's clock: a US page on Eastern time
    assert published_date(Doc(datetime(2025, 4, 3, 2, tzinfo=UTC), "datetime",
                              "https://www.whitehouse.gov/x")) == date(2025, 4, 2)
