"""What every service needs from outside, passed in explicitly: the clock, the actor, settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ServiceContext:
    now: Callable[[], datetime]
    actor: str
    default_currency: str = "RON"
    # Read-only access to effective settings (seller details, billing options...): key -> value.
    setting: Callable[[str], Any] = field(default=lambda key: None)
    run_id: str = ""
