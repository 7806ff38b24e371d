"""The business's calendar: the one place a moment in time becomes a date a person reads.

Timestamps are stored and printed in UTC (``issued_at``, ``created_at``, audit ``ts``). Every *date*
that a person, an accountant or the law reads — an issue date, a tax point, a due date, the fiscal
year of a number, the day a VAT rate or an exchange rate applies to, "days overdue", the day of a
cron run, a ``--issued-from`` filter — is the calendar date in the business's time zone
(``business.timezone``, default Europe/Bucharest). :func:`local_date` is that conversion; nothing
else turns a timestamp into a date.

The clock itself comes from the process (``datetime.now(UTC)``), or from ``PRAHO_NOW``: an ISO 8601
instant with an offset from which the clock starts and runs on at normal speed (``INSTANT@UNIX_TIME``
anchors it, so that several processes share one timeline). Tests give every process they start the
same anchored instant this way; an operator can replay a day with it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from praho_cli.result import ErrorCode, PrahoFailure

DEFAULT_ZONE = "Europe/Bucharest"
NOW_VARIABLE = "PRAHO_NOW"


@lru_cache(maxsize=16)
def zone(name: str) -> tzinfo:
    """The IANA time zone ``name`` ("Europe/Bucharest", "UTC"); ValueError for an unknown name."""
    text = name.strip()
    if not text:
        raise ValueError("a time zone name is required (for example Europe/Bucharest)")
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone name (for example Europe/Bucharest or UTC)") from None


def local_date(instant: datetime, tz: tzinfo) -> date:
    """The calendar date ``instant`` falls on in ``tz``. A naive instant is taken as UTC."""
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(tz).date()


def day_start(day: date, tz: tzinfo) -> datetime:
    """The UTC instant at which ``day`` begins in ``tz`` (its local midnight)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def day_range(first: date | None, last: date | None, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """``[start, end)`` in UTC covering the local days ``first`` through ``last`` (either open)."""
    return (day_start(first, tz) if first else None,
            day_start(last + timedelta(days=1), tz) if last else None)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant with an offset (``2026-11-26T10:00:00Z``), as an aware UTC datetime."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError("the instant needs an offset (Z or +02:00)")
    return value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


class _StartedClock:
    """A clock that reads ``start`` at the moment ``anchor`` (the system's time.time(), by default
    this clock's creation) and runs on at the system clock's pace from there."""

    def __init__(self, start: datetime, anchor: float | None = None) -> None:
        self.start = start
        self._anchor = time.time() if anchor is None else anchor

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self._anchor)


class _BadClock:
    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self) -> datetime:
        raise PrahoFailure.of(ErrorCode.CONFIG, self.message)


def clock_from_environ(environ: Mapping[str, str]) -> Callable[[], datetime]:
    """The process's clock: UTC now, or one started at ``PRAHO_NOW`` when it is set.

    ``PRAHO_NOW=INSTANT`` starts the clock at INSTANT when the process starts.
    ``PRAHO_NOW=INSTANT@EPOCH`` says INSTANT was the time at the Unix time EPOCH: every process given
    the same value shares one timeline (a test suite's processes can be compared with each other)."""
    text = environ.get(NOW_VARIABLE, "").strip()
    if not text:
        return utc_now
    instant, _, epoch = text.partition("@")
    try:
        anchor = float(epoch) if epoch else None
        return _StartedClock(parse_instant(instant), anchor)
    except ValueError as exc:
        return _BadClock(f"{NOW_VARIABLE}: {text!r} is not an ISO 8601 instant with an offset "
                         f"(2026-11-26T10:00:00Z, optionally @UNIX_TIME): {exc}")
