"""SSH host keys: read a server's key without authenticating, and trust it once the operator saw it."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit
from praho_cli.ledger import servers as repo
from praho_cli.result import ErrorCode, Retry, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.hosting.servers import find_server, to_public


def fetch_host_key(host: str, port: int, timeout: float = 10.0) -> tuple[str, str, str]:
    """(key type, base64 key, SHA256 fingerprint) of an SSH server, read without authenticating."""
    import base64
    import hashlib
    import socket

    import paramiko

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise fail(ErrorCode.REMOTE_UNAVAILABLE, f"cannot connect to {host}:{port}: {exc.strerror or exc}",
                              Retry.RETRIABLE) from None
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        key = transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as exc:
        raise fail(ErrorCode.REMOTE_UNAVAILABLE, f"{host}:{port} did not complete an SSH handshake: "
                              f"{type(exc).__name__}", Retry.RETRIABLE) from None
    finally:
        transport.close()
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return key.get_name(), key.get_base64(), f"SHA256:{digest}"


@returns_result
def trust_host_key(
    session: Session, ctx: ServiceContext, name: str, key_type: str, key_b64: str, fingerprint: str,
    known_hosts: str,
) -> dict[str, Any]:
    """Record a host key (after the operator saw its fingerprint) in known_hosts and the ledger."""
    from pathlib import Path

    server = find_server(session, name).unwrap()
    if server.kind != "ssh":
        raise fail(ErrorCode.INELIGIBLE, f"server {server.name} uses HTTP; trust applies to SSH servers (use --pin "
                   "or --ca-file for HTTPS)")
    host = server.ssh_host or ""
    entry_host = host if server.ssh_port == 22 else f"[{host}]:{server.ssh_port}"
    from praho_cli.private_files import write_private

    path = Path(known_hosts).expanduser()
    try:
        existing = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    except OSError as exc:
        raise fail(ErrorCode.CONFIG, f"cannot read {path}: {exc.strerror}") from None
    kept = [ln for ln in existing if not (ln.split(" ", 1)[0] == entry_host and f" {key_type} " in f" {ln} ")]
    kept.append(f"{entry_host} {key_type} {key_b64}")
    write_private(path, "\n".join(kept) + "\n", what="known_hosts file", replace=True)
    before = to_public(server)
    now = ctx.now()
    updated = repo.update_if_version(session, server.id or 0, server.version, {
        "host_key_fingerprint": fingerprint, "known_hosts": str(path), "updated_at": now})
    if updated is None:
        raise fail(ErrorCode.CONFLICT, f"server {server.name} was changed by someone else meanwhile; retry")
    after = to_public(updated)
    audit.append(session, ts=now, actor=ctx.actor, action="server.trust", entity_type="server",
                 entity_id=after["id"], before=before, after=after)
    return after
