"""Connections to Virtualmin servers: one client per server row, with secrets resolved when it opens.

Credentials never reach the ledger: a server row holds where the server is and how to verify it
(CA file, pinned fingerprint, known_hosts); passwords and key passphrases are resolved from the
configuration's secret sources only when a connection is opened.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from praho_cli.ledger.models.hosting import Server
from praho_cli.result import ErrorCode, fail
from praho_cli.virtualmin.client import VirtualminClient

ClientProvider = Callable[[Server], VirtualminClient]

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

                raise fail(
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

