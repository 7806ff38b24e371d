"""Placement: every rejection reason (exact text) and the ranking order. Pure functions, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from praho_cli.ledger.models.hosting import Server
from praho_cli.services.hosting import placement
from praho_cli.services.hosting.placement import GIB, Constraints

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)
MAX_AGE = 900


def server(name: str = "vm1", server_id: int = 1, **values: Any) -> Server:
    """A healthy, active, empty server checked a minute ago, with ``values`` overriding."""
    base: dict[str, Any] = dict(
        id=server_id, name=name, kind="http", url=f"https://{name}:10000", status="active", maintenance=False,
        health="ok", last_ok_at=NOW - timedelta(seconds=60), consecutive_failures=0, region="buc", tags="",
        weight=1, max_domains=10, current_domains=0, max_disk_gb=None, disk_used_bytes=None,
        created_at=NOW, updated_at=NOW,
    )
    base.update(values)
    return Server(**base)


@pytest.mark.parametrize("values, constraints, extra, reason", [
    ({}, Constraints(), 0, None),
    ({"status": "failed"}, Constraints(), 0, "status is failed"),
    ({"status": "disabled"}, Constraints(), 0, "status is disabled"),
    ({"maintenance": True}, Constraints(), 0, "in maintenance"),
    ({"health": "unknown", "last_ok_at": None}, Constraints(), 0,
     "no successful health check (run praho servers check)"),
    ({"health": "ok", "last_ok_at": None}, Constraints(), 0, "no successful health check (run praho servers check)"),
    ({"health": "failing", "consecutive_failures": 2}, Constraints(), 0, "health checks failing (2 in a row)"),
    ({"last_ok_at": NOW - timedelta(seconds=901)}, Constraints(), 0, "health check is 901 s old (limit 900 s)"),
    ({"last_ok_at": NOW - timedelta(seconds=900)}, Constraints(), 0, None),  # the limit itself is still fresh
    ({"region": "cluj"}, Constraints(region="buc"), 0, "region is cluj, not buc"),
    ({"region": None}, Constraints(region="buc"), 0, "region is unset, not buc"),
    ({"region": None}, Constraints(), 0, None),
    ({"tags": "ssd"}, Constraints(tags=("ssd", "nvme", "eu")), 0, "lacks tag nvme, eu"),
    ({"tags": "eu,nvme,ssd"}, Constraints(tags=("ssd", "nvme")), 0, None),
    ({"current_domains": 10}, Constraints(), 0, "full (10/10 domains)"),
    ({"current_domains": 9}, Constraints(), 0, None),
    ({"current_domains": 8}, Constraints(), 2, "full (10/10 domains)"),  # planned creates count
    ({"current_domains": 8}, Constraints(), 1, None),
    ({"max_disk_gb": 10, "disk_used_bytes": 10 * GIB}, Constraints(), 0, "no disk headroom (0 GB left of 10 GB)"),
    ({"max_disk_gb": 10, "disk_used_bytes": 12 * GIB}, Constraints(), 0, "no disk headroom (0 GB left of 10 GB)"),
    ({"max_disk_gb": 10, "disk_used_bytes": 7 * GIB}, Constraints(disk_bytes=3 * GIB), 0,
     "no disk headroom (3 GB left of 10 GB)"),
    ({"max_disk_gb": 10, "disk_used_bytes": 7 * GIB}, Constraints(disk_bytes=2 * GIB), 0, None),
    ({"max_disk_gb": 10, "disk_used_bytes": None}, Constraints(), 0, None),
    # The first failing check wins: an operator's status before health, health before capacity.
    ({"status": "failed", "maintenance": True, "current_domains": 10}, Constraints(), 0, "status is failed"),
    ({"maintenance": True, "health": "failing", "consecutive_failures": 3}, Constraints(), 0, "in maintenance"),
    ({"region": "cluj", "current_domains": 10}, Constraints(region="buc"), 0, "region is cluj, not buc"),
])
def test_rejection_reasons(values: dict[str, Any], constraints: Constraints, extra: int, reason: str | None) -> None:
    assert placement.rejection(server(**values), NOW, MAX_AGE, constraints, extra) == reason


def test_rank_orders_by_used_percentage_over_weight_then_headroom_then_name() -> None:
    fleet = [
        server("alpha", 1, current_domains=5, max_domains=10),            # 50 %
        server("beta", 2, current_domains=20, max_domains=100),           # 20 %
        server("gamma", 3, current_domains=6, max_domains=10, weight=2),  # 60 % / 2 = 30 %
        server("delta", 4, current_domains=2, max_domains=10, max_disk_gb=100, disk_used_bytes=10 * GIB),  # 20 %
        server("eps", 5, current_domains=2, max_domains=10, max_disk_gb=100, disk_used_bytes=50 * GIB),    # 20 %
        server("zeta", 6, status="failed"),
    ]
    eligible, verdicts = placement.rank(fleet, NOW, MAX_AGE, Constraints())
    # beta has no disk budget: unlimited headroom beats delta's 90 GB and eps's 50 GB.
    assert [s.name for s in eligible] == ["beta", "delta", "eps", "gamma", "alpha"]
    assert [(v.server.name, v.reason) for v in verdicts] == [
        ("alpha", None), ("beta", None), ("gamma", None), ("delta", None), ("eps", None),
        ("zeta", "status is failed")]


def test_rank_ties_break_on_name() -> None:
    eligible, _ = placement.rank([server("vm2", 2), server("vm1", 1)], NOW, MAX_AGE, Constraints())
    assert [s.name for s in eligible] == ["vm1", "vm2"]


def test_rank_counts_planned_creates() -> None:
    fleet = [server("vm1", 1, max_domains=4), server("vm2", 2, max_domains=10)]
    # vm1 would be at 2/4 = 50 % after two planned creates, vm2 at 3/10 = 30 %.
    eligible, _ = placement.rank(fleet, NOW, MAX_AGE, Constraints(), planned={1: 2, 2: 3})
    assert [s.name for s in eligible] == ["vm2", "vm1"]
    eligible, verdicts = placement.rank(fleet, NOW, MAX_AGE, Constraints(), planned={1: 4})
    assert [s.name for s in eligible] == ["vm2"]
    assert verdicts[0].reason == "full (4/4 domains)"


def test_explain_lists_each_rejected_server() -> None:
    fleet = [server("vm1", 1, maintenance=True), server("vm2", 2, current_domains=10), server("vm3", 3)]
    eligible, verdicts = placement.rank(fleet, NOW, MAX_AGE, Constraints(region="cluj"))
    assert eligible == []
    assert placement.explain(verdicts) == (
        "vm1: in maintenance; vm2: region is buc, not cluj; vm3: region is buc, not cluj")
    assert placement.explain([]) == "no servers are registered (praho servers add)"


@pytest.mark.parametrize("values, expected", [
    ({"max_disk_gb": None}, None),
    ({"max_disk_gb": 10, "disk_used_bytes": None}, 10 * GIB),
    ({"max_disk_gb": 10, "disk_used_bytes": 4 * GIB}, 6 * GIB),
    ({"max_disk_gb": 10, "disk_used_bytes": 11 * GIB}, -GIB),
])
def test_disk_headroom(values: dict[str, Any], expected: int | None) -> None:
    assert placement.disk_headroom(server(**values)) == expected
