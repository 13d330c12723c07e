"""Digest windows: computed on the Asia/Taipei wall clock, returned as UTC instants."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from config.errors import ConfigError


@dataclass(frozen=True)
class Window:
    """A half-open interval [start, end) of UTC instants."""

    start: datetime
    end: datetime

    def contains(self, instant: datetime) -> bool:
        """Whether an aware instant falls inside the window."""
        return self.start <= instant < self.end


def window_end(day: date, hour: int, tz: str) -> datetime:
    """The digest instant for `day`: `hour`:00 local time in `tz`, as UTC.

    Args:
        day: the digest's local date.
        hour: local hour of the digest (0-23).
        tz: IANA zone name, e.g. "Asia/Taipei".

    Raises:
        ConfigError: the hour or the zone is invalid.
    """
    if not 0 <= hour <= 23:
        raise ConfigError(f"digest.hour must be 0-23, got {hour}")
    try:
        zone = ZoneInfo(tz)
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"unknown timezone {tz!r}") from exc
    return datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)


def digest_window(
    day: date,
    hour: int,
    tz: str,
    previous_end: datetime | None = None,
    max_hours: int = 168,
) -> Window:
    """Window of the digest for `day`.

    It starts where the previous digest's window ended, or 24 hours before the
    end when there was none (or it lies more than `max_hours` back, or not before
    the end). Arithmetic on aware UTC instants makes it DST-proof for sources in
    any zone.

    Args:
        day: the digest's local date.
        hour: local hour of the digest.
        tz: zone of the digest's wall clock.
        previous_end: end of the previous digest's window (aware), if any.
        max_hours: longest window allowed.
    """
    end = window_end(day, hour, tz)
    start = end - timedelta(hours=24)
    if previous_end is not None:
        prev = previous_end.astimezone(UTC)
        if end - timedelta(hours=max_hours) <= prev < end:
            start = prev
    return Window(start=start, end=end)


def local_date(instant: datetime, tz: str) -> date:
    """The calendar date of an instant on the wall clock of `tz`."""
    return instant.astimezone(ZoneInfo(tz)).date()


def digest_day_of(instant: datetime, hour: int, tz: str) -> date:
    """The date of the daily digest whose window (with no gaps) contains `instant`.

    Windows run from `hour` local on D-1 to `hour` local on D, so the digest day is
    the local date of `instant` shifted forward by (24 - hour) hours.
    """
    return local_date(instant.astimezone(ZoneInfo(tz)) + timedelta(hours=24 - hour), tz)
