"""praho_cli/calendar.py: the conversion of instants to business dates, DST days, PRAHO_NOW."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import pytest

from praho_cli import calendar
from praho_cli.result import PrahoFailure

BUCHAREST = calendar.zone("Europe/Bucharest")


@pytest.mark.parametrize(("instant", "expected"), [
    (datetime(2026, 12, 31, 21, 59, 59, tzinfo=UTC), date(2026, 12, 31)),
    (datetime(2026, 12, 31, 22, 0, tzinfo=UTC), date(2027, 1, 1)),
    (datetime(2025, 7, 31, 20, 59, 59, tzinfo=UTC), date(2025, 7, 31)),
    (datetime(2025, 7, 31, 21, 0, tzinfo=UTC), date(2025, 8, 1)),
    (datetime(2028, 2, 28, 22, 0, tzinfo=UTC), date(2028, 2, 29)),
    (datetime(2026, 12, 31, 22, 30), date(2027, 1, 1)),  # naive: taken as UTC, as SQLite returns it
])
def test_local_date(instant: datetime, expected: date) -> None:
    assert calendar.local_date(instant, BUCHAREST) == expected


def test_the_short_and_the_long_day() -> None:
    # 29 March 2026: clocks go forward (23 hours); 25 October 2026: back (25 hours).
    def length(day: date) -> timedelta:
        start, end = calendar.day_range(day, day, BUCHAREST)
        assert start is not None and end is not None
        return end - start

    assert length(date(2026, 3, 29)) == timedelta(hours=23)
    assert length(date(2026, 10, 25)) == timedelta(hours=25)
    assert length(date(2026, 11, 26)) == timedelta(hours=24)
    assert calendar.day_start(date(2026, 3, 29), BUCHAREST) == datetime(2026, 3, 28, 22, tzinfo=UTC)
    assert calendar.day_start(date(2026, 10, 26), BUCHAREST) == datetime(2026, 10, 25, 22, tzinfo=UTC)
    assert calendar.day_range(None, None, BUCHAREST) == (None, None)


def test_a_utc_business_dates_in_utc() -> None:
    utc = calendar.zone("UTC")
    assert calendar.local_date(datetime(2026, 12, 31, 23, 59, tzinfo=UTC), utc) == date(2026, 12, 31)
    assert calendar.day_start(date(2027, 1, 1), utc) == datetime(2027, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("name", ["", "Mars/Base", "Europe/../etc/passwd", "europe bucharest"])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="time zone"):
        calendar.zone(name)


def test_praho_now_starts_a_running_clock() -> None:
    assert calendar.clock_from_environ({}) is calendar.utc_now
    clock = calendar.clock_from_environ({"PRAHO_NOW": "2027-01-01T00:30:00+02:00"})
    first = clock()
    assert datetime(2026, 12, 31, 22, 30, tzinfo=UTC) <= first < datetime(2026, 12, 31, 22, 31, tzinfo=UTC)
    time.sleep(0.01)
    assert clock() > first  # it runs on: leases and timeouts still see time pass
    anchored = calendar.clock_from_environ({"PRAHO_NOW": f"2026-11-26T10:00:00Z@{time.time() - 60}"})
    assert datetime(2026, 11, 26, 10, 1, tzinfo=UTC) <= anchored() < datetime(2026, 11, 26, 10, 1, 5, tzinfo=UTC)


@pytest.mark.parametrize("value", ["yesterday", "2026-11-26T10:00:00", "2026-13-01T00:00:00Z",
                                   "2026-11-26T10:00:00Z@soon"])
def test_a_bad_praho_now_fails_when_read(value: str) -> None:
    clock = calendar.clock_from_environ({"PRAHO_NOW": value})
    with pytest.raises(PrahoFailure) as caught:
        clock()
    assert caught.value.error.exit_code == 78
    assert caught.value.error.message.startswith(f"PRAHO_NOW: {value!r} is not an ISO 8601 instant")
