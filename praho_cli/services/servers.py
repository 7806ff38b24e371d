"""Servers: registration, status, health checks and statistics from Virtualmin.

Credentials never reach the ledger: a server row holds where the server is and how to verify it
(CA file, pinned fingerprint, known_hosts); passwords and key passphrases are resolved from the
configuration's secret sources only when a connection is opened (:func:`client_provider`).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlmodel import Session, col

from praho_cli.ledger import audit
from praho_cli.ledger import servers as repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import Server
from praho_cli.ledger.uow import run_in_transaction
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoError, PrahoFailure, Result, Retry, err
from praho_cli.services.context import ServiceContext
from praho_cli.virtualmin.client import VirtualminClient

SERVER = RecordType(
    name="server",
    title="Server",
    description="A Virtualmin server that hosts accounts.",
    fields=(
        Field("id", "string", "Ledger id of the server."),
        Field("name", "string", "Short name used in commands and configuration keys."),
        Field("kind", "string", "Transport: http (remote.cgi) or ssh (the virtualmin command).", enum=("http", "ssh")),
        Field("endpoint", "string", "Where the server is (never includes credentials)."),
        Field("region", "string|null", "Placement region."),
        Field("tags", "array", "Placement tags."),
        Field("weight", "integer", "Placement weight: a higher weight takes proportionally more accounts.",
              table=False),
        Field("max_domains", "integer", "Most accounts this server may host."),
        Field("current_domains", "integer", "Domain slots in use (accounts placed here, incl. provisioning)."),
        Field("max_disk_gb", "integer|null", "Disk budget for accounts in GB (null: no disk check).", table=False),
        Field("status", "string", "active, failed or disabled.", enum=("active", "failed", "disabled")),
        Field("status_auto", "boolean", "The status was set by health checks (they may clear it again).",
              table=False),
        Field("maintenance", "boolean", "In maintenance: no new accounts are placed here."),
        Field("health", "string", "Result of the last check: unknown, ok or failing.",
              enum=("unknown", "ok", "failing")),
        Field("consecutive_failures", "integer", "Failed checks in a row.", table=False),
        Field("last_check_at", "string|null", "When the last check ran (UTC).", format="date-time"),
        Field("last_ok_at", "string|null", "When a check last succeeded (UTC).", table=False, format="date-time"),
        Field("last_error", "string|null", "Why the last check failed.", table=False),
        Field("virtualmin_version", "string|null", "Virtualmin version reported by info.", table=False),
        Field("webmin_version", "string|null", "Webmin version reported by info.", table=False),
        Field("os", "string|null", "Operating system reported by info.", table=False),
        Field("load_1m", "number|null", "1-minute load average at the last check.", table=False),
        Field("memory_total_kib", "integer|null", "Total memory (KiB).", table=False),
        Field("memory_free_kib", "integer|null", "Free memory (KiB).", table=False),
        Field("disk_total_bytes", "integer|null", "Disk size (bytes), when the server reports it.", table=False),
        Field("disk_free_bytes", "integer|null", "Free disk (bytes), when the server reports it.", table=False),
        Field("disk_used_bytes", "integer|null", "Disk used by hosted domains (bytes).", table=False),
        Field("remote_domains", "integer|null", "Domains Virtualmin reported at the last sync-stats.", table=False),
        Field("stats_synced_at", "string|null", "When sync-stats last ran (UTC).", table=False, format="date-time"),
        Field("host_key_fingerprint", "string|null", "Trusted SSH host key (SHA256:...).", table=False),
        Field("created_at", "string", "When the server was added (UTC).", table=False, format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
        Field("version", "integer", "Optimistic-lock version.", table=False),
    ),
)

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

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
SSH_RE = re.compile(
    r"^(?:(?P<user>[a-z_][a-z0-9_.-]*)@)?(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(?P<port>\d+))?$"
)
STATUSES = ("active", "failed", "disabled")

ClientProvider = Callable[[Server], VirtualminClient]
Progress = Callable[[str], None]


def to_public(server: Server) -> dict[str, Any]:
    if server.kind == "http":
        endpoint = server.url or ""
    else:
        endpoint = f"ssh://{server.ssh_user or 'root'}@{server.ssh_host}:{server.ssh_port}"
    return {
        "id": str(server.id),
        "name": server.name,
        "kind": server.kind,
        "endpoint": endpoint,
        "region": server.region,
        "tags": tags_of(server),
        "weight": server.weight,
        "max_domains": server.max_domains,
        "current_domains": server.current_domains,
        "max_disk_gb": server.max_disk_gb,
        "status": server.status,
        "status_auto": server.status_auto,
        "maintenance": server.maintenance,
        "health": server.health,
        "consecutive_failures": server.consecutive_failures,
        "last_check_at": iso(server.last_check_at),
        "last_ok_at": iso(server.last_ok_at),
        "last_error": server.last_error,
        "virtualmin_version": server.virtualmin_version,
        "webmin_version": server.webmin_version,
        "os": server.os,
        "load_1m": server.load_1m,
        "memory_total_kib": server.memory_total_kib,
        "memory_free_kib": server.memory_free_kib,
        "disk_total_bytes": server.disk_total_bytes,
        "disk_free_bytes": server.disk_free_bytes,
        "disk_used_bytes": server.disk_used_bytes,
        "remote_domains": server.remote_domains,
        "stats_synced_at": iso(server.stats_synced_at),
        "host_key_fingerprint": server.host_key_fingerprint,
        "created_at": iso(server.created_at),
        "updated_at": iso(server.updated_at),
        "version": server.version,
    }


def tags_of(server: Server) -> list[str]:
    return [t for t in server.tags.split(",") if t]


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class ServerInput:
    """Fields of an add or an update; None means "not given"."""

    url: str | None = None
    ssh: str | None = None
    max_domains: int | None = None
    max_disk_gb: int | None = None
    weight: int | None = None
    region: str | None = None
    tags: tuple[str, ...] | None = None
    ca_file: str | None = None
    pin_sha256: str | None = None
    known_hosts: str | None = None

    def given(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def _normalize(data: ServerInput) -> Result[dict[str, Any]]:
    out: dict[str, Any] = {}
    if data.url is not None and data.ssh is not None:
        return err(ErrorCode.INVALID, "give either --url or --ssh, not both")
    if data.url is not None:
        url = data.url.strip()
        if not re.match(r"^https?://[^/\s:@]+(:\d{1,5})?(/\S*)?$", url):
            return err(ErrorCode.INVALID, f"url: {data.url!r} is not an http(s) URL like https://host:10000",
                       field="url")
        out.update(kind="http", url=url.rstrip("/"), ssh_host=None, ssh_user=None, ssh_port=22)
    if data.ssh is not None:
        match = SSH_RE.match(data.ssh.strip())
        if not match:
            return err(ErrorCode.INVALID, f"ssh: {data.ssh!r} is not user@host[:port]", field="ssh")
        port = int(match.group("port") or 22)
        if not 0 < port < 65536:
            return err(ErrorCode.INVALID, f"ssh: port {port} is out of range", field="ssh")
        out.update(kind="ssh", url=None, ssh_host=match.group("host").strip("[]"),
                   ssh_user=match.group("user") or "root", ssh_port=port)
    for key, low in (("max_domains", 1), ("max_disk_gb", 1), ("weight", 1)):
        value = getattr(data, key)
        if value is not None:
            if value < low:
                return err(ErrorCode.INVALID, f"{key}: must be at least {low}", field=key)
            out[key] = value
    if data.region is not None:
        region = data.region.strip().lower()
        if region and not TAG_RE.match(region):
            return err(ErrorCode.INVALID, f"region: {data.region!r} may hold only a-z, 0-9, '.', '_', '-'",
                       field="region")
        out["region"] = region or None
    if data.tags is not None:
        tags = sorted({t.strip().lower() for t in data.tags if t.strip()})
        for tag in tags:
            if not TAG_RE.match(tag):
                return err(ErrorCode.INVALID, f"tag: {tag!r} may hold only a-z, 0-9, '.', '_', '-'", field="tag")
        out["tags"] = ",".join(tags)
    if data.pin_sha256 is not None:
        from praho_cli.virtualmin.connection import normalise_fingerprint

        if data.pin_sha256.strip():
            try:
                out["pin_sha256"] = normalise_fingerprint(data.pin_sha256)
            except PrahoFailure:
                return err(ErrorCode.INVALID, "pin: must be a SHA-256 fingerprint (64 hex digits, colons allowed)",
                           field="pin")
        else:
            out["pin_sha256"] = None
    for key in ("ca_file", "known_hosts"):
        value = getattr(data, key)
        if value is not None:
            out[key] = value.strip() or None
    return Ok(out)


def find_server(session: Session, name: str) -> Result[Server]:
    server = repo.get_by_name(session, name.strip().lower())
    if server is None:
        return err(ErrorCode.NOT_FOUND, f"no server {name!r} (see praho servers list)")
    return Ok(server)


def add_server(session: Session, ctx: ServiceContext, name: str, data: ServerInput) -> Result[dict[str, Any]]:
    name = name.strip().lower()
    if not NAME_RE.match(name):
        return err(ErrorCode.INVALID, f"name: {name!r} must be 1-63 of a-z, 0-9 and '-', starting with a letter "
                   "or digit", field="name")
    if data.url is None and data.ssh is None:
        return err(ErrorCode.INVALID, "give --url https://host:10000 or --ssh user@host[:port]")
    if data.pin_sha256 and data.ca_file:
        return err(ErrorCode.INVALID, "give either --ca-file or --pin, not both")
    normalized = _normalize(data)
    if isinstance(normalized, Err):
        return normalized
    if repo.get_by_name(session, name) is not None:
        return err(ErrorCode.CONFLICT, f"a server named {name} already exists", field="name")
    values = normalized.value
    if values["kind"] == "ssh" and (values.get("ca_file") or values.get("pin_sha256")):
        return err(ErrorCode.INVALID, "--ca-file and --pin apply to --url servers; SSH servers use --known-hosts")
    now = ctx.now()
    server = Server(name=name, created_at=now, updated_at=now, version=1, **values)
    repo.insert(session, server)
    public = to_public(server)
    audit.append(session, ts=now, actor=ctx.actor, action="server.add", entity_type="server",
                 entity_id=public["id"], after=public)
    return Ok(public)


def list_servers(session: Session) -> Result[Iterator[dict[str, Any]]]:
    return Ok(to_public(s) for s in repo.iter_servers(session))


def show_server(session: Session, name: str) -> Result[dict[str, Any]]:
    return find_server(session, name).map(to_public)


def update_server(
    session: Session, ctx: ServiceContext, name: str, data: ServerInput, status: str | None = None,
    expected_version: int | None = None,
) -> Result[dict[str, Any]]:
    found = find_server(session, name)
    if isinstance(found, Err):
        return found
    server = found.value
    if not data.given() and status is None:
        return err(ErrorCode.INVALID, "nothing to update: give at least one option")
    normalized = _normalize(data)
    if isinstance(normalized, Err):
        return normalized
    changes = dict(normalized.value)
    if status is not None:
        if status not in STATUSES:
            return err(ErrorCode.INVALID, f"status: must be one of {', '.join(STATUSES)}", field="status")
        # An operator's choice: health checks never override it (status_auto=False).
        changes.update(status=status, status_auto=False)
    if "max_domains" in changes and changes["max_domains"] < server.current_domains:
        return err(ErrorCode.INELIGIBLE, f"max_domains: {server.name} already uses {server.current_domains} "
                   f"slots; cannot lower the limit to {changes['max_domains']}", field="max_domains")
    if expected_version is not None and expected_version != server.version:
        return err(ErrorCode.CONFLICT, f"server {server.name} is at version {server.version}, not {expected_version}")
    before = to_public(server)
    changes = {k: v for k, v in changes.items() if getattr(server, k) != v}
    if not changes:
        return Ok(before)
    now = ctx.now()
    updated = repo.update_if_version(session, server.id or 0, server.version, {**changes, "updated_at": now})
    if updated is None:
        return err(ErrorCode.CONFLICT, f"server {server.name} was changed by someone else meanwhile; retry")
    after = to_public(updated)
    audit.append(session, ts=now, actor=ctx.actor, action="server.update", entity_type="server",
                 entity_id=after["id"], before=before, after=after)
    return Ok(after)


def set_maintenance(session: Session, ctx: ServiceContext, name: str, on: bool) -> Result[dict[str, Any]]:
    found = find_server(session, name)
    if isinstance(found, Err):
        return found
    server = found.value
    before = to_public(server)
    if server.maintenance == on:
        return Ok(before)
    now = ctx.now()
    updated = repo.update_if_version(session, server.id or 0, server.version, {"maintenance": on, "updated_at": now})
    if updated is None:
        return err(ErrorCode.CONFLICT, f"server {server.name} was changed by someone else meanwhile; retry")
    after = to_public(updated)
    audit.append(session, ts=now, actor=ctx.actor, action="server.maintenance", entity_type="server",
                 entity_id=after["id"], before=before, after=after)
    return Ok(after)


@dataclass(frozen=True)
class Removed:
    server: dict[str, Any]  # the public row as it was
    drift_closed: int  # open drift records of the server that were closed


def remove_server(session: Session, ctx: ServiceContext, name: str) -> Result[Removed]:
    found = find_server(session, name)
    if isinstance(found, Err):
        return found
    server = found.value
    accounts = repo.account_count(session, server.id or 0)
    if accounts:
        return err(ErrorCode.INELIGIBLE, f"server {server.name} still has {accounts} account(s) in the ledger; "
                   "move or delete them first", accounts=accounts)
    from sqlalchemy import select

    from praho_cli.ledger.models.hosting import ProvisioningJob

    jobs = session.execute(select(ProvisioningJob).where(col(ProvisioningJob.server_id) == server.id)).scalars().all()
    for job in jobs:
        session.delete(job)
    closed = _close_drift_of(session, ctx, server.name)
    before = to_public(server)
    repo.delete(session, server)
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action="server.remove", entity_type="server",
                 entity_id=before["id"], before=before, after={"drift_closed": closed})
    return Ok(Removed(before, closed))


def _close_drift_of(session: Session, ctx: ServiceContext, server: str) -> int:
    """Close the open drift records of a server being removed: nothing will scan it again, so they
    would stay pending for ever. Each is resolved as ``gone`` with the reason, like a rescan closes drift
    that went away."""
    from praho_cli.ledger import drift as drift_repo

    now = ctx.now()
    records = drift_repo.open_records_of_server(session, server)
    for record in records:
        record.status, record.resolution, record.open_key = "resolved", "gone", None
        record.reason = f"server {server} was removed from the ledger"
        record.resolved_at = record.updated_at = now
        record.resolved_by = ctx.actor
        record.version += 1
        session.add(record)
    session.flush()
    return len(records)


# --------------------------------------------------------------------------- connections


def client_provider(
    setting: Callable[[str], Any],
    secret: Callable[[str], str | None],
    transport_factory: Callable[..., Any] | None = None,
) -> ClientProvider:
    """Build Virtualmin clients for server rows, one per server (cached, thread-safe)."""
    from praho_cli.virtualmin.connection import ServerConnection
    from praho_cli.virtualmin.transport import open_transport

    cache: dict[str, VirtualminClient] = {}
    guard = threading.Lock()

    def resolver(key: str, what: str, required: bool) -> Callable[[], str]:
        def resolve() -> str:
            value = secret(key)
            if not value and required:
                from praho_cli.config.schema import env_name

                raise PrahoFailure.of(
                    ErrorCode.CONFIG,
                    f"no {what} for this server: set {env_name(key)}, {key}_file or {key}_command",
                )
            return value or ""
        return resolve

    def make(server: Server) -> VirtualminClient:
        with guard:
            if server.name in cache:
                return cache[server.name]
            prefix = f"servers.{server.name}"
            timeout = float(setting("virtualmin.timeout_seconds") or 30.0)
            mutation_timeout = float(setting("virtualmin.mutation_timeout_seconds") or 600.0)
            if server.kind == "http":
                conn = ServerConnection(
                    name=server.name, kind="http", url=server.url,
                    username=str(setting(f"{prefix}.username") or "root"),
                    password=resolver(f"{prefix}.password", "Webmin password", True),
                    ca_file=server.ca_file, pin_sha256=server.pin_sha256, timeout_s=timeout,
                    mutation_timeout_s=mutation_timeout,
                )
            else:
                key_file = str(setting(f"{prefix}.ssh_key_file") or "") or None
                conn = ServerConnection(
                    name=server.name, kind="ssh", ssh_host=server.ssh_host, ssh_port=server.ssh_port,
                    ssh_user=server.ssh_user or "root", known_hosts=server.known_hosts, key_file=key_file,
                    key_passphrase=resolver(f"{prefix}.ssh_key_passphrase", "key passphrase", False),
                    timeout_s=timeout, mutation_timeout_s=mutation_timeout,
                )
            transport = transport_factory(conn) if transport_factory is not None else open_transport(conn)
            client = VirtualminClient(transport)
            cache[server.name] = client
            return client

    return make


# --------------------------------------------------------------------------- checks


def _select(session: Session, names: Sequence[str], all_: bool) -> Result[list[Server]]:
    if names and all_:
        return err(ErrorCode.INVALID, "give server names or --all, not both")
    if not names and not all_:
        return err(ErrorCode.INVALID, "give one or more server names, or --all")
    if all_:
        return Ok([repo.snapshot(s) for s in repo.iter_servers(session)])
    chosen: list[Server] = []
    for name in names:
        found = find_server(session, name)
        if isinstance(found, Err):
            return found
        chosen.append(repo.snapshot(found.value))
    return Ok(chosen)


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
    try:
        return clients(server).info()
    except PrahoFailure as failure:
        return failure.error


def check_servers(
    db: Database, ctx: ServiceContext, clients: ClientProvider, names: Sequence[str], all_: bool,
    progress: Progress | None = None,
) -> Result[list[dict[str, Any]]]:
    """Run ``info`` on each server in parallel and record health; returns one row per server."""
    from praho_cli.ledger.uow import read_session

    with read_session(db) as session:
        chosen = _select(session, names, all_)
    if isinstance(chosen, Err):
        return chosen
    threshold = int(ctx.setting("virtualmin.failure_threshold") or 3)
    parallel = int(ctx.setting("virtualmin.parallel") or 8)
    probed = _run_parallel(chosen.value, lambda s: _probe(clients, s), parallel, progress)
    now = ctx.now()

    def record(session: Session) -> Result[list[dict[str, Any]]]:
        rows = []
        for server, outcome in probed:
            current = repo.get_by_id(session, server.id or 0)
            if current is None:
                continue
            rows.append(_record_check(session, ctx, current, outcome, now, threshold))
        return Ok(rows)

    return run_in_transaction(db, record)


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


def sync_stats(
    db: Database, ctx: ServiceContext, clients: ClientProvider, names: Sequence[str], all_: bool,
    progress: Progress | None = None,
) -> Result[list[dict[str, Any]]]:
    """Read domain count and disk use from Virtualmin into the ledger."""
    from praho_cli.ledger.uow import read_session

    with read_session(db) as session:
        chosen = _select(session, names, all_)
    if isinstance(chosen, Err):
        return chosen

    def fetch(server: Server) -> Any:
        try:
            client = clients(server)
            domains = client.list_domains()
            info = client.info()
            return domains, info
        except PrahoFailure as failure:
            return failure.error

    fetched = _run_parallel(chosen.value, fetch, int(ctx.setting("virtualmin.parallel") or 8), progress)
    now = ctx.now()

    def record(session: Session) -> Result[list[dict[str, Any]]]:
        rows = []
        for server, outcome in fetched:
            if isinstance(outcome, PrahoError):
                rows.append({"server": server.name, "ok": False, "remote_domains": None,
                             "current_domains": server.current_domains, "disk_used_bytes": None,
                             "disk_free_bytes": None, "error": outcome.message[:500],
                             "error_code": str(outcome.code)})
                continue
            domains, info = outcome
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
        return Ok(rows)

    return run_in_transaction(db, record)


# --------------------------------------------------------------------------- SSH host keys


def fetch_host_key(host: str, port: int, timeout: float = 10.0) -> tuple[str, str, str]:
    """(key type, base64 key, SHA256 fingerprint) of an SSH server, read without authenticating."""
    import base64
    import hashlib
    import socket

    import paramiko

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise PrahoFailure.of(ErrorCode.REMOTE_UNAVAILABLE, f"cannot connect to {host}:{port}: {exc.strerror or exc}",
                              Retry.RETRIABLE) from None
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise PrahoFailure.of(ErrorCode.REMOTE_UNAVAILABLE, f"{host}:{port} did not complete an SSH handshake: "
                              f"{type(exc).__name__}", Retry.RETRIABLE) from None
    finally:
        transport.close()
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return key.get_name(), key.get_base64(), f"SHA256:{digest}"


def trust_host_key(
    session: Session, ctx: ServiceContext, name: str, key_type: str, key_b64: str, fingerprint: str,
    known_hosts: str,
) -> Result[dict[str, Any]]:
    """Record a host key (after the operator saw its fingerprint) in known_hosts and the ledger."""
    from pathlib import Path

    found = find_server(session, name)
    if isinstance(found, Err):
        return found
    server = found.value
    if server.kind != "ssh":
        return err(ErrorCode.INELIGIBLE, f"server {server.name} uses HTTP; trust applies to SSH servers (use --pin "
                   "or --ca-file for HTTPS)")
    host = server.ssh_host or ""
    entry_host = host if server.ssh_port == 22 else f"[{host}]:{server.ssh_port}"
    from praho_cli.private_files import write_private

    path = Path(known_hosts).expanduser()
    try:
        existing = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    except OSError as exc:
        return err(ErrorCode.CONFIG, f"cannot read {path}: {exc.strerror}")
    kept = [ln for ln in existing if not (ln.split(" ", 1)[0] == entry_host and f" {key_type} " in f" {ln} ")]
    kept.append(f"{entry_host} {key_type} {key_b64}")
    try:
        write_private(path, "\n".join(kept) + "\n", what="known_hosts file", replace=True)
    except PrahoFailure as failure:
        return Err(failure.error)
    before = to_public(server)
    now = ctx.now()
    updated = repo.update_if_version(session, server.id or 0, server.version, {
        "host_key_fingerprint": fingerprint, "known_hosts": str(path), "updated_at": now})
    if updated is None:
        return err(ErrorCode.CONFLICT, f"server {server.name} was changed by someone else meanwhile; retry")
    after = to_public(updated)
    audit.append(session, ts=now, actor=ctx.actor, action="server.trust", entity_type="server",
                 entity_id=after["id"], before=before, after=after)
    return Ok(after)
