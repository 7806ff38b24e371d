"""Server health checks (Virtualmin ``info``) and statistics (domain count, disk use), in parallel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit
from praho_cli.ledger import servers as repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import Server
from praho_cli.ledger.uow import read_session, transaction
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, PrahoError, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.hosting.connections import ClientProvider
from praho_cli.services.hosting.servers import find_server
from praho_cli.services.hosting.tx import outcome

CHECK = RecordType(
    name="server_check",
    title="Server check",
    description="The outcome of one health check.",
    fields=(
        Field("server", "string", "Server name."),
        Field("ok", "boolean", "The server answered info."),
        Field("health", "string", "Health after the check.", enum=("unknown", "ok", "failing")),
        Field("status", "string", "Status after the check.", enum=("active", "failed", "disabled")),
        Field("consecutive_failures", "integer", "Failed checks in a row."),
        Field("virtualmin_version", "string|null", "Virtualmin version."),
        Field("load_1m", "number|null", "1-minute load average."),
        Field("error", "string|null", "Why the check failed."),
        Field("error_code", "string|null", "The failure's error code (docs/exit-codes.md), when it failed.",
              table=False),
        Field("checked_at", "string", "When (UTC).", format="date-time"),
    ),
)

STATS = RecordType(
    name="server_stats",
    title="Server statistics",
    description="Domain count and disk use read from Virtualmin.",
    fields=(
        Field("server", "string", "Server name."),
        Field("ok", "boolean", "Virtualmin answered."),
        Field("remote_domains", "integer|null", "Virtual servers Virtualmin reports."),
        Field("current_domains", "integer", "Slots in use after the sync."),
        Field("disk_used_bytes", "integer|null", "Disk used by domains (bytes), when quotas report it."),
        Field("disk_free_bytes", "integer|null", "Free disk (bytes), when info reports it."),
        Field("error", "string|null", "Why the sync failed."),
        Field("error_code", "string|null", "The failure's error code (docs/exit-codes.md), when it failed.",
              table=False),
    ),
)

Progress = Callable[[str], None]


def _select(session: Session, names: Sequence[str], all_: bool) -> list[Server]:
    if names and all_:
        raise fail(ErrorCode.INVALID, "give server names or --all, not both")
    if not names and not all_:
        raise fail(ErrorCode.INVALID, "give one or more server names, or --all")
    if all_:
        return [repo.snapshot(s) for s in repo.iter_servers(session)]
    return [repo.snapshot(find_server(session, name).unwrap()) for name in names]


def _run_parallel(
    servers: list[Server], work: Callable[[Server], Any], parallel: int, progress: Progress | None
) -> list[tuple[Server, Any]]:
    results: list[tuple[Server, Any]] = []
    with ThreadPoolExecutor(max_workers=max(1, min(parallel, len(servers) or 1))) as pool:
        futures = [(server, pool.submit(work, server)) for server in servers]
        for server, future in futures:
            results.append((server, future.result()))
            if progress is not None:
                progress(server.name)
    return results


def _probe(clients: ClientProvider, server: Server) -> Any:
    """The server's info, or the PrahoError that stopped reading it."""
    info = outcome(lambda: clients(server).info())
    return info.error if isinstance(info, Err) else info.value


@returns_result
def check_servers(
    db: Database, ctx: ServiceContext, clients: ClientProvider, names: Sequence[str], all_: bool,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Run ``info`` on each server in parallel and record health; returns one row per server."""
    with read_session(db) as session:
        chosen = _select(session, names, all_)
    threshold = int(ctx.setting("virtualmin.failure_threshold") or 3)
    parallel = int(ctx.setting("virtualmin.parallel") or 8)
    probed = _run_parallel(chosen, lambda s: _probe(clients, s), parallel, progress)
    now = ctx.now()

    def record(session: Session) -> list[dict[str, Any]]:
        rows = []
        for server, probe in probed:
            current = repo.get_by_id(session, server.id or 0)
            if current is None:
                continue
            rows.append(_record_check(session, ctx, current, probe, now, threshold))
        return rows

    return transaction(db, record)


def _record_check(
    session: Session, ctx: ServiceContext, server: Server, outcome: Any, now: datetime, threshold: int
) -> dict[str, Any]:
    values: dict[str, Any] = {"last_check_at": now}
    before_status = server.status
    error_text: str | None = None
    error_code: str | None = None
    if isinstance(outcome, PrahoError):
        error_text = outcome.message[:500]
        error_code = str(outcome.code)
        failures = server.consecutive_failures + 1
        values.update(health="failing", consecutive_failures=failures, last_error=error_text)
        # Automatic only from active: a status an operator set (failed or disabled) is theirs.
        if server.status == "active" and failures >= threshold:
            values.update(status="failed", status_auto=True)
    else:
        values.update(
            health="ok", consecutive_failures=0, last_ok_at=now, last_error=None,
            virtualmin_version=outcome.virtualmin_version, webmin_version=outcome.webmin_version,
            os=outcome.os, load_1m=outcome.load_1m, memory_total_kib=outcome.memory_total_kib,
            memory_free_kib=outcome.memory_free_kib,
        )
        if outcome.disk_total_bytes is not None:
            values.update(disk_total_bytes=outcome.disk_total_bytes, disk_free_bytes=outcome.disk_free_bytes)
        if server.status == "failed" and server.status_auto:
            values.update(status="active", status_auto=False)
    repo.set_values(session, server.id or 0, values)
    after = repo.get_by_id(session, server.id or 0)
    assert after is not None
    if after.status != before_status:
        audit.append(session, ts=now, actor=ctx.actor, action="server.status.auto", entity_type="server",
                     entity_id=str(after.id), before={"status": before_status},
                     after={"status": after.status, "consecutive_failures": after.consecutive_failures})
    return {
        "server": after.name, "ok": error_text is None, "health": after.health, "status": after.status,
        "consecutive_failures": after.consecutive_failures, "virtualmin_version": after.virtualmin_version,
        "load_1m": after.load_1m, "error": error_text, "error_code": error_code, "checked_at": iso(now),
    }


@returns_result
def sync_stats(
    db: Database, ctx: ServiceContext, clients: ClientProvider, names: Sequence[str], all_: bool,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Read domain count and disk use from Virtualmin into the ledger."""
    with read_session(db) as session:
        chosen = _select(session, names, all_)

    def read(server: Server) -> Any:
        client = clients(server)
        return client.list_domains(), client.info()

    def fetch(server: Server) -> Any:
        """(domains, info), or the PrahoError that stopped reading them."""
        got = outcome(lambda: read(server))
        return got.error if isinstance(got, Err) else got.value

    fetched = _run_parallel(chosen, fetch, int(ctx.setting("virtualmin.parallel") or 8), progress)
    now = ctx.now()

    def record(session: Session) -> list[dict[str, Any]]:
        rows = []
        for server, got in fetched:
            if isinstance(got, PrahoError):
                rows.append({"server": server.name, "ok": False, "remote_domains": None,
                             "current_domains": server.current_domains, "disk_used_bytes": None,
                             "disk_free_bytes": None, "error": got.message[:500],
                             "error_code": str(got.code)})
                continue
            domains, info = got
            names_remote = {d.domain for d in domains if d.parent is None}
            used = [d.server_quota_used_bytes for d in domains if d.server_quota_used_bytes is not None]
            # Slots = what Virtualmin hosts plus ledger reservations it does not show yet (creates in
            # flight), so a sync during provisioning never frees a slot that is about to be used.
            in_flight = [a for a in repo.slot_holders(session, server.id or 0) if a.domain not in names_remote]
            values: dict[str, Any] = {
                "remote_domains": len(names_remote),
                "current_domains": len(names_remote) + len(in_flight),
                "disk_used_bytes": sum(used) if used else None,
                "stats_synced_at": now,
            }
            if info.disk_free_bytes is not None:
                values.update(disk_free_bytes=info.disk_free_bytes, disk_total_bytes=info.disk_total_bytes)
            repo.set_values(session, server.id or 0, values)
            rows.append({"server": server.name, "ok": True, "remote_domains": values["remote_domains"],
                         "current_domains": values["current_domains"], "disk_used_bytes": values["disk_used_bytes"],
                         "disk_free_bytes": info.disk_free_bytes, "error": None, "error_code": None})
        audit.append(session, ts=now, actor=ctx.actor, action="server.sync_stats", entity_type="server",
                     entity_id=",".join(s.name for s, _ in fetched)[:100], after={"servers": rows})
        return rows

    return transaction(db, record)

