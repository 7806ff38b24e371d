"""Parsing of command-line values shared by several commands (dates, times)."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

from praho_cli.result import ErrorCode, PrahoFailure


def parse_datetime(value: str, flag: str, zone: tzinfo) -> datetime:
    """An ISO date (the start of that day in the business's time zone ``zone``) or datetime (a time
    without an offset is UTC, as praho prints every timestamp), as an aware UTC datetime."""
    from praho_cli.calendar import day_start

    text = value.strip()
    try:
        if len(text) == 10:
            return day_start(date.fromisoformat(text), zone)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise PrahoFailure.of(ErrorCode.INVALID, f"{flag}: {value!r} is not an ISO date or datetime "
                              "(2026-11-26 or 2026-11-26T10:00:00Z)") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_date(value: str, flag: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise PrahoFailure.of(ErrorCode.INVALID, f"{flag}: {value!r} is not an ISO date (YYYY-MM-DD)") from None
