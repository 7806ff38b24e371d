"""How to reach one Virtualmin server. Secrets are resolvers, called only when needed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from praho_cli.result import ErrorCode, PrahoFailure

SecretResolver = Callable[[], str]


class FixedSecret:
    """A resolver for a secret already in memory (tests, `*_file` contents read by config).

    Its repr never shows the value, so it is safe inside dataclasses and tracebacks.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def __call__(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "FixedSecret(********)"


@dataclass
class ServerConnection:
    """Connection settings for one server. ``kind`` selects the transport."""

    name: str
    kind: Literal["http", "ssh"]
    # http: base URL ("https://host:10000") or the full remote.cgi URL
    url: str | None = None
    ssh_host: str | None = None
    ssh_port: int = 22
    ssh_user: str = "root"
    # Webmin user for HTTP Basic auth
    username: str | None = None
    password: SecretResolver | None = field(default=None, repr=False)
    ca_file: str | None = None
    # SHA-256 of the server's DER certificate, hex with or without colons (https_tls.txt)
    pin_sha256: str | None = None
    verify: bool = True
    # read calls; docs/virtualmin-protocol.md §4.1: 60 s for reads, 300-600 s for mutations
    timeout_s: float = 60.0
    mutation_timeout_s: float = 600.0
    connect_timeout_s: float = 10.0
    # attempts after the first, only where a replay is safe
    retries: int = 2
    known_hosts: str | None = None
    key_file: str | None = None
    key_passphrase: SecretResolver | None = field(default=None, repr=False)
    virtualmin_path: str = "virtualmin"
    # None = automatic: `sudo -n` when the SSH user is not root
    use_sudo: bool | None = None

    def __post_init__(self) -> None:
        if self.kind == "http":
            if not self.url:
                raise PrahoFailure.of(ErrorCode.CONFIG, f"server {self.name}: an http server needs a url")
            if not self.url.startswith(("http://", "https://")):
                raise PrahoFailure.of(ErrorCode.CONFIG, f"server {self.name}: url must start with https:// or http://")
            if self.pin_sha256 is not None:
                self.pin_sha256 = normalise_fingerprint(self.pin_sha256, self.name)
        elif self.kind == "ssh":
            if not self.ssh_host:
                raise PrahoFailure.of(ErrorCode.CONFIG, f"server {self.name}: an ssh server needs ssh_host")
        else:
            raise PrahoFailure.of(ErrorCode.CONFIG, f"server {self.name}: kind must be 'http' or 'ssh'")

    @property
    def sudo(self) -> bool:
        return self.ssh_user != "root" if self.use_sudo is None else self.use_sudo

    @property
    def endpoint(self) -> str:
        """Where the server is, for messages (never includes credentials)."""
        if self.kind == "http":
            return self.remote_cgi_url
        return f"ssh://{self.ssh_user}@{self.ssh_host}:{self.ssh_port}"

    @property
    def remote_cgi_url(self) -> str:
        base = (self.url or "").rstrip("/")
        return base if base.endswith("/remote.cgi") else f"{base}/virtual-server/remote.cgi"

    def __repr__(self) -> str:
        shown = {
            "name": self.name,
            "kind": self.kind,
            "endpoint": self.endpoint,
            "username": self.username,
            "password": "********" if self.password else None,
            "ca_file": self.ca_file,
            "pin_sha256": self.pin_sha256,
            "verify": self.verify,
            "key_file": self.key_file,
            "key_passphrase": "********" if self.key_passphrase else None,
        }
        return "ServerConnection(" + ", ".join(f"{k}={v!r}" for k, v in shown.items()) + ")"

    __str__ = __repr__


def normalise_fingerprint(text: str, server: str = "") -> str:
    """``04:90:B7:…`` or ``0490b7…`` -> 64 lower-case hex digits."""
    cleaned = text.strip().lower().removeprefix("sha256:").replace(":", "")
    if len(cleaned) != 64 or any(c not in "0123456789abcdef" for c in cleaned):
        raise PrahoFailure.of(
            ErrorCode.CONFIG,
            f"server {server}: pin_sha256 must be a SHA-256 fingerprint (64 hex digits, colons allowed)",
        )
    return cleaned


def home_known_hosts() -> Path:
    return Path.home() / ".ssh" / "known_hosts"
