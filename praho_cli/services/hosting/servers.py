"""Servers in the ledger: their records, and add, list, show, update, maintenance and remove.

Health checks and statistics are in checks.py, connections in connections.py, SSH host keys in
host_keys.py. Credentials never reach the ledger (connections.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit
from praho_cli.ledger import servers as repo
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import Server
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, fail, returns_result
from praho_cli.services.context import ServiceContext

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


NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TAG_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,49}$")
SSH_RE = re.compile(
    r"^(?:(?P<user>[a-z_][a-z0-9_.-]*)@)?(?P<host>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(?P<port>\d+))?$"
)
STATUSES = ("active", "failed", "disabled")


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


def _normalize(data: ServerInput) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if data.url is not None and data.ssh is not None:
        raise fail(ErrorCode.INVALID, "give either --url or --ssh, not both")
    if data.url is not None:
        url = data.url.strip()
        if not re.match(r"^https?://[^/\s:@]+(:\d{1,5})?(/\S*)?$", url):
            raise fail(ErrorCode.INVALID, f"url: {data.url!r} is not an http(s) URL like https://host:10000",
                       field="url")
        out.update(kind="http", url=url.rstrip("/"), ssh_host=None, ssh_user=None, ssh_port=22)
    if data.ssh is not None:
        match = SSH_RE.match(data.ssh.strip())
        if not match:
            raise fail(ErrorCode.INVALID, f"ssh: {data.ssh!r} is not user@host[:port]", field="ssh")
        port = int(match.group("port") or 22)
        if not 0 < port < 65536:
            raise fail(ErrorCode.INVALID, f"ssh: port {port} is out of range", field="ssh")
        out.update(kind="ssh", url=None, ssh_host=match.group("host").strip("[]"),
                   ssh_user=match.group("user") or "root", ssh_port=port)
    for key, low in (("max_domains", 1), ("max_disk_gb", 1), ("weight", 1)):
        value = getattr(data, key)
        if value is not None:
            if value < low:
                raise fail(ErrorCode.INVALID, f"{key}: must be at least {low}", field=key)
            out[key] = value
    if data.region is not None:
        region = data.region.strip().lower()
        if region and not TAG_RE.match(region):
            raise fail(ErrorCode.INVALID, f"region: {data.region!r} may hold only a-z, 0-9, '.', '_', '-'",
                       field="region")
        out["region"] = region or None
    if data.tags is not None:
        tags = sorted({t.strip().lower() for t in data.tags if t.strip()})
        for tag in tags:
            if not TAG_RE.match(tag):
                raise fail(ErrorCode.INVALID, f"tag: {tag!r} may hold only a-z, 0-9, '.', '_', '-'", field="tag")
        out["tags"] = ",".join(tags)
    if data.pin_sha256 is not None:
        from praho_cli.virtualmin.connection import normalise_fingerprint

        if data.pin_sha256.strip():
            pin = returns_result(normalise_fingerprint)(data.pin_sha256)
            if isinstance(pin, Err):
                raise fail(ErrorCode.INVALID, "pin: must be a SHA-256 fingerprint (64 hex digits, colons allowed)",
                           field="pin")
            out["pin_sha256"] = pin.value
        else:
            out["pin_sha256"] = None
    for key in ("ca_file", "known_hosts"):
        value = getattr(data, key)
        if value is not None:
            out[key] = value.strip() or None
    if out.get("ca_file") and not Path(out["ca_file"]).expanduser().is_file():
        raise fail(ErrorCode.INVALID, f"ca-file: {out['ca_file']} does not exist or is not a file (give the CA "
                   "bundle that signed Webmin's certificate)", field="ca_file")
    return out


@returns_result
def find_server(session: Session, name: str) -> Server:
    server = repo.get_by_name(session, name.strip().lower())
    if server is None:
        raise fail(ErrorCode.NOT_FOUND, f"no server {name!r} (see praho servers list)")
    return server


@returns_result
def new_server(session: Session, ctx: ServiceContext, name: str, data: ServerInput) -> Server:
    """The server ``add`` would record, validated but not stored (``servers add`` tests its connection)."""
    name = name.strip().lower()
    if not NAME_RE.match(name):
        raise fail(ErrorCode.INVALID, f"name: {name!r} must be 1-63 of a-z, 0-9 and '-', starting with a letter "
                   "or digit", field="name")
    if data.url is None and data.ssh is None:
        raise fail(ErrorCode.INVALID, "give --url https://host:10000 or --ssh user@host[:port]")
    if data.pin_sha256 and data.ca_file:
        raise fail(ErrorCode.INVALID, "give either --ca-file or --pin, not both")
    values = _normalize(data)
    if repo.get_by_name(session, name) is not None:
        raise fail(ErrorCode.CONFLICT, f"a server named {name} already exists", field="name")
    if values["kind"] == "ssh" and (values.get("ca_file") or values.get("pin_sha256")):
        raise fail(ErrorCode.INVALID, "--ca-file and --pin apply to --url servers; SSH servers use --known-hosts")
    now = ctx.now()
    return Server(name=name, created_at=now, updated_at=now, version=1, **values)


@returns_result
def add_server(session: Session, ctx: ServiceContext, name: str, data: ServerInput) -> dict[str, Any]:
    server = new_server(session, ctx, name, data).unwrap()
    now = server.created_at
    repo.insert(session, server)
    public = to_public(server)
    audit.append(session, ts=now, actor=ctx.actor, action="server.add", entity_type="server",
                 entity_id=public["id"], after=public)
    return public


@returns_result
def list_servers(session: Session) -> Iterator[dict[str, Any]]:
    return (to_public(s) for s in repo.iter_servers(session))


@returns_result
def show_server(session: Session, name: str) -> dict[str, Any]:
    return to_public(find_server(session, name).unwrap())


@returns_result
def update_server(
    session: Session, ctx: ServiceContext, name: str, data: ServerInput, status: str | None = None,
    expected_version: int | None = None,
) -> dict[str, Any]:
    server = find_server(session, name).unwrap()
    if not data.given() and status is None:
        raise fail(ErrorCode.INVALID, "nothing to update: give at least one option")
    changes = _normalize(data)
    if status is not None:
        if status not in STATUSES:
            raise fail(ErrorCode.INVALID, f"status: must be one of {', '.join(STATUSES)}", field="status")
        # An operator's choice: health checks never override it (status_auto=False).
        changes.update(status=status, status_auto=False)
    if "max_domains" in changes and changes["max_domains"] < server.current_domains:
        raise fail(ErrorCode.INELIGIBLE, f"max_domains: {server.name} already uses {server.current_domains} "
                   f"slots; cannot lower the limit to {changes['max_domains']}", field="max_domains")
    if expected_version is not None and expected_version != server.version:
        raise fail(ErrorCode.CONFLICT, f"server {server.name} is at version {server.version}, not {expected_version}")
    before = to_public(server)
    changes = {k: v for k, v in changes.items() if getattr(server, k) != v}
    if not changes:
        return before
    now = ctx.now()
    updated = repo.update_if_version(session, server.id or 0, server.version, {**changes, "updated_at": now})
    if updated is None:
        raise fail(ErrorCode.CONFLICT, f"server {server.name} was changed by someone else meanwhile; retry")
    after = to_public(updated)
    audit.append(session, ts=now, actor=ctx.actor, action="server.update", entity_type="server",
                 entity_id=after["id"], before=before, after=after)
    return after


@returns_result
def set_maintenance(session: Session, ctx: ServiceContext, name: str, on: bool) -> dict[str, Any]:
    server = find_server(session, name).unwrap()
    before = to_public(server)
    if server.maintenance == on:
        return before
    now = ctx.now()
    updated = repo.update_if_version(session, server.id or 0, server.version, {"maintenance": on, "updated_at": now})
    if updated is None:
        raise fail(ErrorCode.CONFLICT, f"server {server.name} was changed by someone else meanwhile; retry")
    after = to_public(updated)
    audit.append(session, ts=now, actor=ctx.actor, action="server.maintenance", entity_type="server",
                 entity_id=after["id"], before=before, after=after)
    return after


@dataclass(frozen=True)
class Removed:
    server: dict[str, Any]  # the public row as it was
    drift_closed: int  # open drift records of the server that were closed


@returns_result
def remove_server(session: Session, ctx: ServiceContext, name: str) -> Removed:
    server = find_server(session, name).unwrap()
    accounts = repo.account_count(session, server.id or 0)
    if accounts:
        raise fail(ErrorCode.INELIGIBLE, f"server {server.name} still has {accounts} account(s) in the ledger; "
                   "move or delete them first", accounts=accounts)
    repo.delete_jobs_of(session, server.id or 0)
    closed = _close_drift_of(session, ctx, server.name)
    before = to_public(server)
    repo.delete(session, server)
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action="server.remove", entity_type="server",
                 entity_id=before["id"], before=before, after={"drift_closed": closed})
    return Removed(before, closed)


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

