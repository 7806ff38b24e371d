"""The contract tier: the client against a real Virtualmin, configured by environment variables.

HTTP:  PRAHO_VIRTUALMIN_URL (e.g. https://vm.example:10000), PRAHO_VIRTUALMIN_USER (default root),
       PRAHO_VIRTUALMIN_PASSWORD, and one of PRAHO_VIRTUALMIN_CA_FILE / PRAHO_VIRTUALMIN_PIN_SHA256
       (or PRAHO_VIRTUALMIN_VERIFY=0 for an explicit opt-out).
SSH:   PRAHO_VIRTUALMIN_SSH=user@host[:port], PRAHO_VIRTUALMIN_SSH_KEY (private key file),
       PRAHO_VIRTUALMIN_SSH_KNOWN_HOSTS (default ~/.ssh/known_hosts),
       PRAHO_VIRTUALMIN_SSH_PASSPHRASE (optional), PRAHO_VIRTUALMIN_PATH (default virtualmin).
Both:  PRAHO_VIRTUALMIN_FEATURES (default "unix,dir"), the feature flags used for create-domain.
"""

from __future__ import annotations

import os

from praho_cli.virtualmin.connection import FixedSecret, ServerConnection


def http_connection() -> ServerConnection | None:
    url = os.environ.get("PRAHO_VIRTUALMIN_URL")
    if not url:
        return None
    password = os.environ.get("PRAHO_VIRTUALMIN_PASSWORD", "")
    return ServerConnection(
        "contract-http",
        "http",
        url=url,
        username=os.environ.get("PRAHO_VIRTUALMIN_USER", "root"),
        password=FixedSecret(password),
        ca_file=os.environ.get("PRAHO_VIRTUALMIN_CA_FILE") or None,
        pin_sha256=os.environ.get("PRAHO_VIRTUALMIN_PIN_SHA256") or None,
        verify=os.environ.get("PRAHO_VIRTUALMIN_VERIFY", "1") not in ("0", "false", "no"),
        timeout_s=120,
        mutation_timeout_s=600,
    )


def ssh_connection() -> ServerConnection | None:
    target = os.environ.get("PRAHO_VIRTUALMIN_SSH")
    if not target:
        return None
    user, _, hostport = target.rpartition("@")
    host, _, port = hostport.partition(":")
    passphrase = os.environ.get("PRAHO_VIRTUALMIN_SSH_PASSPHRASE")
    return ServerConnection(
        "contract-ssh",
        "ssh",
        ssh_host=host,
        ssh_port=int(port or 22),
        ssh_user=user or "root",
        key_file=os.environ.get("PRAHO_VIRTUALMIN_SSH_KEY") or None,
        key_passphrase=FixedSecret(passphrase) if passphrase else None,
        known_hosts=os.environ.get("PRAHO_VIRTUALMIN_SSH_KNOWN_HOSTS") or None,
        virtualmin_path=os.environ.get("PRAHO_VIRTUALMIN_PATH", "virtualmin"),
        timeout_s=120,
        mutation_timeout_s=600,
    )


def contract_features() -> list[str]:
    return [f for f in os.environ.get("PRAHO_VIRTUALMIN_FEATURES", "unix,dir").split(",") if f]
