"""Digest windows on the Taipei clock stay 24 h and DST-proof across US/EU clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from briefs.window import Window, digest_day_of, digest_window, window_end
from config.errors import ConfigError

TPE = "Asia/Taipei"


@pytest.mark.parametrize(
    ("day", "zone", "local_time", "expected_day"),
    [
        # US spring forward 2025-03-09 02:00 EST -> EDT
        (date(2025, 3, 9), "America/New_York", datetime(2025, 3, 8, 17, 30), date(2025, 3, 9)),
        (date(2025, 3, 10), "America/New_York", datetime(2025, 3, 9, 18, 30), date(2025, 3, 10)),
        # EU spring forward 2025-03-30 01:00 UTC
        (date(2025, 3, 30), "Europe/Brussels", datetime(2025, 3, 29, 23, 30), date(2025, 3, 30)),
        (date(2025, 3, 31), "Europe/Brussels", datetime(2025, 3, 31, 0, 30), date(2025, 3, 31)),
        # EU fall back 2025-10-26 01:00 UTC
        (date(2025, 10, 26), "Europe/Brussels", datetime(2025, 10, 25, 23, 59), date(2025, 10, 26)),
        (date(2025, 10, 27), "Europe/Brussels", datetime(2025, 10, 26, 2, 30), date(2025, 10, 27)),
        # US fall back 2025-11-02 02:00 EDT -> EST
        (date(2025, 11, 2), "America/New_York", datetime(2025, 11, 1, 18, 59), date(2025, 11, 2)),
        (date(2025, 11, 3), "America/New_York", datetime(2025, 11, 2, 1, 30), date(2025, 11, 3)),
    ],
)
def test_window_across_dst(day, zone, local_time, expected_day):
    w = digest_window(day, 7, TPE)
    # 07:00 Taipei is 23:00 UTC the day before, whatever US/EU clocks do
    assert w.end == datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=1)
    assert w.end - w.start == timedelta(hours=24)
    assert w.start.tzinfo is UTC and w.end.tzinfo is UTC
    instant = local_time.replace(tzinfo=ZoneInfo(zone))
    assert digest_day_of(instant, 7, TPE) == expected_day
    assert w.contains(instant) is (expected_day == day)


def test_fall_back_ambiguous_hour_lands_in_one_window():
    # 01:30 happens twice in New York on 2025-11-02; both instants map to exactly one window
    first = datetime(2025, 11, 2, 1, 30, fold=0, tzinfo=ZoneInfo("America/New_York"))
    second = datetime(2025, 11, 2, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York"))
    assert second.astimezone(UTC) - first.astimezone(UTC) == timedelta(hours=1)
    windows = [digest_window(date(2025, 11, d), 7, TPE) for d in (2, 3, 4)]
    for instant in (first, second):
        assert sum(w.contains(instant) for w in windows) == 1


def test_window_continues_from_previous_digest():
    prev = datetime(2025, 4, 1, 23, 0, tzinfo=UTC)
    w = digest_window(date(2025, 4, 4), 7, TPE, previous_end=prev)
    assert w == Window(prev, datetime(2025, 4, 3, 23, 0, tzinfo=UTC))
    # a previous end too far back (or not before the end) falls back to 24 hours
    old = digest_window(date(2025, 4, 20), 7, TPE, previous_end=prev, max_hours=72)
    assert old.end - old.start == timedelta(hours=24)
    same = digest_window(date(2025, 4, 2), 7, TPE, previous_end=prev)
    assert same.end - same.start == timedelta(hours=24)


def test_window_end_other_zone_and_bad_config():
    # the wall clock is configurable; in a DST zone the UTC hour moves with the offset
    assert window_end(date(2025, 3, 8), 7, "America/New_York").hour == 12
    assert window_end(date(2025, 3, 10), 7, "America/New_York").hour == 11
    with pytest.raises(ConfigError):
        window_end(date(2025, 3, 8), 24, TPE)
    with pytest.raises(ConfigError):
        window_end(date(2025, 3, 8), 7, "Mars/Olympus")
