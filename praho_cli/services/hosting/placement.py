"""Placement: which server should host a new account, and why the others cannot.

Pure functions over server rows: no I/O. The caller reserves the chosen server's slot with a
conditional UPDATE (ledger.servers.reserve_slot) and moves to the next candidate if it lost a race.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from praho_cli.ledger.models.hosting import Server

GIB = 1024**3


@dataclass(frozen=True)
class Constraints:
    region: str | None = None
    tags: tuple[str, ...] = ()
    # Disk an account is expected to use, checked against max_disk_gb headroom.
    disk_bytes: int = 0


@dataclass(frozen=True)
class Verdict:
    server: Server
    reason: str | None  # None: the server can host the account

    @property
    def ok(self) -> bool:
        return self.reason is None


def disk_headroom(server: Server) -> int | None:
    """Bytes still free in the server's account disk budget (None: no budget configured)."""
    if server.max_disk_gb is None:
        return None
    return server.max_disk_gb * GIB - (server.disk_used_bytes or 0)


def rejection(
    server: Server, now: datetime, max_age_seconds: int, constraints: Constraints, extra_used: int = 0
) -> str | None:
    """Why ``server`` cannot take one more account, or None. ``extra_used``: slots planned but not yet
    reserved (manifest planning)."""
    if server.status != "active":
        return f"status is {server.status}"
    if server.maintenance:
        return "in maintenance"
    if server.health != "ok" or server.last_ok_at is None:
        return "no successful health check (run praho servers check)" if server.health != "failing" else \
            f"health checks failing ({server.consecutive_failures} in a row)"
    age = now - server.last_ok_at
    if age > timedelta(seconds=max_age_seconds):
        return f"health check is {int(age.total_seconds())} s old (limit {max_age_seconds} s)"
    if constraints.region and server.region != constraints.region:
        return f"region is {server.region or 'unset'}, not {constraints.region}"
    have = {t for t in server.tags.split(",") if t}
    missing = [t for t in constraints.tags if t not in have]
    if missing:
        return f"lacks tag {', '.join(missing)}"
    if server.current_domains + extra_used >= server.max_domains:
        return f"full ({server.current_domains + extra_used}/{server.max_domains} domains)"
    headroom = disk_headroom(server)
    if headroom is not None and headroom <= constraints.disk_bytes:
        return f"no disk headroom ({max(headroom, 0) // GIB} GB left of {server.max_disk_gb} GB)"
    return None


def score(server: Server, extra_used: int = 0) -> tuple[float, float, str]:
    """Lower is better: used percentage divided by weight, then more disk headroom, then the name."""
    used = (server.current_domains + extra_used) / server.max_domains
    headroom = disk_headroom(server)
    return (used / max(server.weight, 1), -(headroom if headroom is not None else float("inf")), server.name)


def rank(
    servers: Iterable[Server], now: datetime, max_age_seconds: int, constraints: Constraints,
    planned: dict[int, int] | None = None,
) -> tuple[list[Server], list[Verdict]]:
    """(eligible servers, best first; every server's verdict)."""
    planned = planned or {}
    verdicts = [Verdict(s, rejection(s, now, max_age_seconds, constraints, planned.get(s.id or 0, 0)))
                for s in servers]
    eligible = sorted((v.server for v in verdicts if v.ok), key=lambda s: score(s, planned.get(s.id or 0, 0)))
    return eligible, verdicts


def explain(verdicts: Sequence[Verdict]) -> str:
    if not verdicts:
        return "no servers are registered (praho servers add)"
    return "; ".join(f"{v.server.name}: {v.reason}" for v in verdicts if not v.ok)
