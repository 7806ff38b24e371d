"""What every service needs from outside, passed in explicitly: the clock, the actor, settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any

from praho_cli import calendar


@dataclass(frozen=True)
class ServiceContext:
    now: Callable[[], datetime]
    actor: str
    default_currency: str = "RON"
    # Read-only access to effective settings (seller details, billing options...): key -> value.
    setting: Callable[[str], Any] = field(default=lambda key: None)
    run_id: str = ""
    # The business's time zone (business.timezone): the zone of every date a person reads.
    zone: tzinfo = field(default_factory=lambda: calendar.zone(calendar.DEFAULT_ZONE))

    def today(self) -> date:
        """Today's date in the business's time zone."""
        return calendar.local_date(self.now(), self.zone)

    def date_of(self, instant: datetime) -> date:
        """The business-zone date of ``instant``."""
        return calendar.local_date(instant, self.zone)
