"""Dates in the forms foreign sources write them; bad values degrade to an unknown date."""

from datetime import UTC, datetime

import pytest

from crawlers.extract import parse_when
from crawlers.native_dates import native_date, page_date_text


@pytest.mark.parametrize(("text", "form", "expected"), [
    # Chinese / Japanese Gregorian, with and without 日 (MOFCOM lists), full-width, numerals
    ("2025年4月3日", "cjk", datetime(2025, 4, 3)),
    ("2025年4月3", "cjk", datetime(2025, 4, 3)),
    ("２０２５年４月３日", "cjk", datetime(2025, 4, 3)),
    ("发布时间：2025年04月03日 10:30", "cjk", datetime(2025, 4, 3, 10, 30)),
    ("二〇二五年四月三日", "cjk", datetime(2025, 4, 3)),
    ("二〇二五年十二月二十三日", "cjk", datetime(2025, 12, 23)),
    # Japanese era
    ("令和7年4月3日", "japanese-era", datetime(2025, 4, 3)),
    ("令和元年5月1日", "japanese-era", datetime(2019, 5, 1)),
    ("㋿7年4月3日", "japanese-era", datetime(2025, 4, 3)),
    ("平成31年4月30日", "japanese-era", datetime(2019, 4, 30)),
    ("令和7年4月3日（木）", "japanese-era", datetime(2025, 4, 3)),
    ("R7.4.3", "japanese-era", datetime(2025, 4, 3)),
    # Republic of China years (Taiwan)
    ("114年4月3日", "roc", datetime(2025, 4, 3)),
    ("中華民國114年4月3日", "roc", datetime(2025, 4, 3)),
    ("民國99年1月5日", "roc", datetime(2010, 1, 5)),
    ("114/04/03", "roc", datetime(2025, 4, 3)),
    ("114.04.03", "roc", datetime(2025, 4, 3)),
    # Korean
    ("2025년 4월 3일", "korean", datetime(2025, 4, 3)),
    ("2025년 4월 3일 (목) 오후 3:15", "korean", datetime(2025, 4, 3, 15, 15)),
    ("2025. 4. 3.", "ymd-dots", datetime(2025, 4, 3)),
    # dotted year-first
    ("2025.04.03", "ymd-dots", datetime(2025, 4, 3)),
    ("[2025.04.03]", "ymd-dots", datetime(2025, 4, 3)),
    # German day-first (BMWK's p.topline span.date), with a time, and month names
    ("24.01.2022", "dmy-dots", datetime(2022, 1, 24)),
    ("03.04.2025", "dmy-dots", datetime(2025, 4, 3)),  # not 4 March, as dateutil reads it
    ("24.01.2022, 10:30 Uhr", "dmy-dots", datetime(2022, 1, 24, 10, 30)),
    ("24. Januar 2022", "month-name", datetime(2022, 1, 24)),
    ("3 avril 2025", "month-name", datetime(2025, 4, 3)),
    ("1er août 2025", "month-name", datetime(2025, 8, 1)),
])
def test_native_forms(text, form, expected):
    found = native_date(text)
    assert found is not None and found.form == form
    assert found.value == expected
    assert found.precision == ("datetime" if expected.hour or expected.minute else "date")


@pytest.mark.parametrize("text", [
    "9999年1月1日", "2025年13月3日", "2025年2月30日", "令和0年1月1日", "平成40年1月1日",
    "平成31年5月1日",  # the first day of 令和: 平成 had ended
    "9999.12.31", "2025.13.01", "32.01.2022", "30.02.2024", "2025년 13월 3일", "0000.00.00",
    "1850年1月1日", "114年13月1日", "2025年4月3日 25:00",
])
def test_values_in_a_native_form_that_name_no_day_are_unknown(text):
    found = native_date(text)
    assert found is not None and found.value is None and found.reason
    assert parse_when(text, "Asia/Tokyo") is None  # not dateutil's guess either


def test_a_bare_two_digit_year_is_roc_only_for_a_taiwan_source():
    assert native_date("25年4月3日").value is None
    assert native_date("99年1月5日", "Asia/Taipei").value == datetime(2010, 1, 5)


@pytest.mark.parametrize("text", ["", "  ", "Pressemitteilung: 6/2022", "Wed, 02 Apr 2025 16:30:00 -0400",
                                  "2025-04-03", "3 April 2025", "version 1.2"])
def test_other_text_is_left_to_dateutil(text):
    assert native_date(text) is None


@pytest.mark.parametrize(("text", "tz", "instant", "offset", "precision"), [
    ("2025年4月3日", "Asia/Shanghai", "2025-04-02T16:00:00+00:00", None, "date"),
    ("令和7年4月3日", "Asia/Tokyo", "2025-04-02T15:00:00+00:00", None, "date"),
    ("114年4月3日", "Asia/Taipei", "2025-04-02T16:00:00+00:00", None, "date"),
    ("24.01.2022", "Europe/Berlin", "2022-01-23T23:00:00+00:00", None, "date"),
    ("2025년 4월 3일", "Asia/Seoul", "2025-04-02T15:00:00+00:00", None, "date"),
    ("2025.04.03 10:00 +09:00", "UTC", "2025-04-03T01:00:00+00:00", "+09:00", "datetime"),
    ("03.04.2025 10:00", "Europe/Berlin", "2025-04-03T08:00:00+00:00", None, "datetime"),
])
def test_parse_when_reads_native_forms_in_the_source_zone(text, tz, instant, offset, precision):
    when, off, prec = parse_when(text, tz)
    assert when == datetime.fromisoformat(instant).astimezone(UTC)
    assert (off, prec) == (offset, precision)


def test_an_impossible_offset_after_a_native_date_leaves_the_time_local():
    when, off, _ = parse_when("2025.04.03 10:00 +99:00", "Asia/Seoul")
    assert off is None and when == datetime(2025, 4, 3, 1, 0, tzinfo=UTC)


def _tree(html: str):
    import lxml.html

    return lxml.html.fromstring(html)


def test_page_date_text_prefers_the_main_contents_date_over_a_sidebars():
    page = ('<html><body><aside><ul><li><span class="date">114-03-01</span>舊聞</li></ul></aside>'
            '<main><div class="pageDate1"><span class="date">114年04月06日</span></div>'
            "<p>總統今（6）日發表談話。</p></main></body></html>")
    assert page_date_text(_tree(page), "Asia/Taipei") == "114年04月06日"


@pytest.mark.parametrize(("html", "expected"), [
    ("<div><span>發布日期</span>：<span>114-04-10</span></div>", "114-04-10"),
    ("<p>掲載日：令和7年4月10日</p>", "令和7年4月10日"),
    ('<p class="lastupdate">114-04-12</p>', None),  # an update stamp
    ("<p>更新日期：114-04-12</p>", None),
    ("<p>行政院宣布自114年5月1日起實施新制，並於今日發布相關說明。</p>", None),  # a date in a sentence
    ('<p class="date">2025-04-10</p>', None),  # ISO: dateutil's and htmldate's, not a native form
])
def test_page_date_text_reads_labels_not_sentences(html, expected):
    assert page_date_text(_tree(f"<html><body>{html}</body></html>"), "Asia/Taipei") == expected
