"""The `virtualmin` command over SSH with paramiko.

Runs ``[sudo -n] virtualmin PROGRAM --flag value …`` with every word shell-quoted. The exit status
is the verdict; usage errors come on stdout (docs/virtualmin-protocol.md §3). Host keys are checked against a
known_hosts file and an unknown or changed key is refused with its fingerprint.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import select
import shlex
import socket
import time
from pathlib import Path
from typing import Any

import paramiko

from praho_cli.result import ErrorCode, PrahoError, PrahoFailure, Retry
from praho_cli.virtualmin.connection import ServerConnection, home_known_hosts
from praho_cli.virtualmin.envelope import interpret_exit
from praho_cli.virtualmin.errors import unavailable
from praho_cli.virtualmin.transport import (
    Params,
    RemoteReply,
    check_params,
    program_returns_records,
    secret_values,
    wants_text,
)

log = logging.getLogger("praho.virtualmin")


def key_fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's form: ``SHA256:`` + unpadded base64 of the key blob's SHA-256."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


class UnknownHostKeyError(paramiko.SSHException):
    def __init__(self, hostname: str, key: paramiko.PKey) -> None:
        super().__init__(f"unknown host key for {hostname}")
        self.hostname = hostname
        self.key = key


class _RefuseUnknown(paramiko.MissingHostKeyPolicy):
    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        raise UnknownHostKeyError(hostname, key)


def build_command(conn: ServerConnection, program: str, params: Params) -> str:
    """The remote command line. Every word is quoted: domains, descriptions and passwords are
    data, never shell syntax."""
    words: list[str] = ["sudo", "-n"] if conn.sudo else []
    words += [conn.virtualmin_path, program]
    for name, value in params:
        words.append(f"--{name}")
        if value is not None:
            words.append(value)
    if program_returns_records(program) and not wants_text(params) and not any(n == "multiline" for n, _ in params):
        # the HTTP path sends multiline= too; list programs need it for records. A caller that asked
        # for --simple-multiline text gets no --multiline: the later flag would win (docs/virtualmin-protocol.md §1.5).
        words.append("--multiline")
    return " ".join(shlex.quote(w) for w in words)


class SshTransport:
    """One SSH connection per transport, opened on first use; one exec channel per call."""

    def __init__(self, conn: ServerConnection) -> None:
        self.conn = conn
        self.server = conn.name
        self._client: paramiko.SSHClient | None = None
        self.sleep = time.sleep

    def __repr__(self) -> str:
        return f"SshTransport(server={self.server!r}, endpoint={self.conn.endpoint!r})"

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    # ------------------------------------------------------------------ connecting

    def _details(self, program: str) -> dict[str, Any]:
        return {"server": self.server, "program": program}

    def _load_key(self) -> paramiko.PKey | None:
        if not self.conn.key_file:
            return None
        path = Path(self.conn.key_file).expanduser()
        try:
            return paramiko.PKey.from_path(path)
        except paramiko.PasswordRequiredException:
            pass
        except TypeError as exc:
            # an encrypted OpenSSH-format key: cryptography raises TypeError, not paramiko's
            # PasswordRequiredException (found by test_vm_ssh.py with an ssh-keygen -N key)
            if "password" not in str(exc).lower():
                raise PrahoFailure.of(
                    ErrorCode.CONFIG, f"{self.server}: cannot load key {path} ({type(exc).__name__})"
                ) from None
        except (OSError, paramiko.SSHException, ValueError) as exc:
            raise PrahoFailure.of(
                ErrorCode.CONFIG, f"{self.server}: cannot load key {path} ({type(exc).__name__})"
            ) from None
        if self.conn.key_passphrase is None:
            raise PrahoFailure.of(
                ErrorCode.CONFIG, f"{self.server}: key {path} is encrypted and no passphrase is configured"
            )
        try:
            # annotated as str, but handed straight to cryptography, which wants bytes
            secret: Any = self.conn.key_passphrase().encode()
            return paramiko.PKey.from_path(path, password=secret)
        except (OSError, paramiko.SSHException, ValueError, TypeError):
            raise PrahoFailure.of(
                ErrorCode.CONFIG, f"{self.server}: cannot decrypt key {path} (wrong passphrase?)"
            ) from None

    def _connect(self, program: str) -> paramiko.SSHClient:
        client = self._client
        transport = client.get_transport() if client is not None else None
        if client is not None and transport is not None and transport.is_active():
            return client
        self.close()
        pkey = self._load_key()
        client = paramiko.SSHClient()
        known = Path(self.conn.known_hosts).expanduser() if self.conn.known_hosts else home_known_hosts()
        if known.exists():
            try:
                client.get_host_keys().load(str(known))
            except (OSError, paramiko.SSHException) as exc:
                raise PrahoFailure.of(
                    ErrorCode.CONFIG, f"{self.server}: cannot read known_hosts {known}: {exc}"
                ) from None
        client.set_missing_host_key_policy(_RefuseUnknown())
        details = self._details(program)
        target = f"{self.conn.ssh_host}:{self.conn.ssh_port}"
        try:
            client.connect(
                self.conn.ssh_host or "",
                port=self.conn.ssh_port,
                username=self.conn.ssh_user,
                pkey=pkey,
                allow_agent=pkey is None,
                look_for_keys=pkey is None,
                timeout=self.conn.connect_timeout_s,
                banner_timeout=self.conn.connect_timeout_s,
                auth_timeout=self.conn.connect_timeout_s,
            )
        except UnknownHostKeyError as exc:
            client.close()
            raise PrahoFailure(
                PrahoError(
                    ErrorCode.REMOTE_AUTH,
                    f"{self.server}: unknown SSH host key for {target} ({exc.key.get_name()} "
                    f"{key_fingerprint(exc.key)}); verify it and record it with `praho servers trust`",
                    {**details, "fingerprint": key_fingerprint(exc.key), "known_hosts": str(known)},
                    Retry.NOT_RETRIABLE,
                )
            ) from None
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise PrahoFailure(
                PrahoError(
                    ErrorCode.REMOTE_AUTH,
                    f"{self.server}: SSH host key for {target} CHANGED: the server offered "
                    f"{key_fingerprint(exc.key)}, known_hosts has {key_fingerprint(exc.expected_key)}. "
                    "Refusing to connect (possible man-in-the-middle)",
                    {**details, "fingerprint": key_fingerprint(exc.key), "known_hosts": str(known)},
                    Retry.NOT_RETRIABLE,
                )
            ) from None
        except paramiko.AuthenticationException:
            client.close()
            raise PrahoFailure(
                PrahoError(
                    ErrorCode.REMOTE_AUTH,
                    f"{self.server}: SSH authentication as {self.conn.ssh_user} failed",
                    details,
                    Retry.NOT_RETRIABLE,
                )
            ) from None
        except (OSError, paramiko.SSHException, EOFError) as exc:
            client.close()
            what = "timed out connecting to" if isinstance(exc, socket.timeout) else "cannot connect to"
            raise PrahoFailure(
                PrahoError(
                    ErrorCode.REMOTE_UNAVAILABLE,
                    f"{self.server}: {what} {target} ({type(exc).__name__})",
                    details,
                    Retry.RETRIABLE,
                )
            ) from None
        self._client = client
        return client

    # ------------------------------------------------------------------ running

    def call(self, program: str, params: Params, *, mutating: bool) -> RemoteReply:
        check_params(self.server, program, params)
        attempts = 1 + max(0, self.conn.retries)
        for attempt in range(attempts):
            try:
                return self._once(program, params, mutating)
            except PrahoFailure as failure:
                if failure.error.retry is not Retry.RETRIABLE or attempt == attempts - 1:
                    raise
                log.info("retrying %s on %s after: %s", program, self.server, failure.error.message)
                self.close()
                self.sleep(min(0.25 * 2**attempt, 2.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, program: str, params: Params, mutating: bool) -> RemoteReply:
        client = self._connect(program)
        details = self._details(program)
        timeout = self.conn.mutation_timeout_s if mutating else self.conn.timeout_s
        command = build_command(self.conn, program, params)
        transport = client.get_transport()
        try:
            if transport is None:
                raise paramiko.SSHException("no transport")
            channel = transport.open_session(timeout=self.conn.connect_timeout_s)
        except (OSError, paramiko.SSHException, EOFError):
            self.close()
            # the command was not sent: safe to replay
            raise PrahoFailure(
                PrahoError(
                    ErrorCode.REMOTE_UNAVAILABLE,
                    f"{self.server}: could not open an SSH session",
                    details,
                    Retry.RETRIABLE,
                )
            ) from None
        out = bytearray()
        err = bytearray()
        try:
            channel.exec_command(command)
            deadline = time.monotonic() + timeout
            while True:
                if channel.recv_ready():
                    out += channel.recv(65536)
                    continue
                if channel.recv_stderr_ready():
                    err += channel.recv_stderr(65536)
                    continue
                if channel.exit_status_ready():
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                select.select([channel], [], [], min(remaining, 0.5))
            while channel.recv_ready():
                out += channel.recv(65536)
            while channel.recv_stderr_ready():
                err += channel.recv_stderr(65536)
            status = channel.recv_exit_status()
        except TimeoutError:
            channel.close()
            self.close()
            raise unavailable(f"{self.server}: no result from {program} within {timeout:g}s", details,
                              mutating=mutating, unanswered=True) from None
        except (OSError, paramiko.SSHException, EOFError):
            self.close()
            raise unavailable(f"{self.server}: SSH connection lost during {program}", details,
                              mutating=mutating) from None
        finally:
            channel.close()
        if status == -1:
            # the server closed the channel without an exit status (killed, or sshd went away)
            raise unavailable(f"{self.server}: {program} ended without an exit status", details, mutating=mutating)
        return interpret_exit(
            self.server,
            program,
            status,
            out.decode("utf-8", errors="replace"),
            err.decode("utf-8", errors="replace"),
            mutating=mutating,
            secrets=secret_values(params),
            command_path=self.conn.virtualmin_path,
            records=not wants_text(params),
        )
