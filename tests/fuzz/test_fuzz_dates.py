"""Fuzz the date parsers: `crawlers.extract.parse_when` (feeds, meta tags, sitemaps, listings,
API filings) and `crawlers.pdf.pdf_date` (PDF metadata)."""

from __future__ import annotations

import re
from datetime import UTC, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from crawlers.extract import parse_when
from crawlers.pdf import pdf_date
from tests.fuzz.contract import KnownDefect, attempt
from tests.fuzz.documents import pdf_dates
from tests.fuzz.hostile import hostile_dates

OFFSET = re.compile(r"[+-]\d\d:\d\d")
ZONES = st.sampled_from(["UTC", "America/New_York", "Asia/Taipei", "Europe/Brussels",
                         "Pacific/Kiritimati", "Etc/GMT+12", "Australia/Lord_Howe"])


def _instant_ok(when, offset) -> None:
    assert when.tzinfo is not None and when.utcoffset() == timedelta(0), when
    if offset is not None:
        assert OFFSET.fullmatch(offset), offset
        hh, mm = offset[1:].split(":")
        assert timedelta(hours=int(hh), minutes=int(mm)) < timedelta(hours=24), offset
        when.astimezone(UTC)  # renderable: the instant is inside datetime's range


@settings(deadline=1000)
@example(value="9999-12-31T23:59:59+99:00", tz="UTC")
@example(value="0000-00-00", tz="America/New_York")
@example(value="Wed, 02 Apr 2025 10:00:00 -0400", tz="Asia/Taipei")
@given(value=hostile_dates(), tz=ZONES)
def test_parse_when_returns_an_instant_or_none(value, tz):
    try:
        got = attempt("extract.parse_when", parse_when, value, tz)
    except KnownDefect:
        return
    if got is None:
        return
    assert not isinstance(got, Exception), got  # parse_when refuses nothing: None is "no date"
    when, offset, precision = got
    _instant_ok(when, offset)
    assert precision in ("date", "datetime")


@settings(deadline=1000)
@example(value="D:0001+24'00'")  # found by this test: ValueError
@example(value="D:0001+00'30'")  # found by this test: OverflowError
@given(value=st.one_of(pdf_dates, st.none()))
def test_pdf_date_returns_an_instant_or_none(value):
    got = attempt("pdf.pdf_date", pdf_date, value)
    if got is None:
        return
    assert not isinstance(got, Exception), got
    when, offset = got
    _instant_ok(when, offset)
