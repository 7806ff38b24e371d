"""Running the configured ``refunds.command``: the program that actually moves a refund's money.

Contract (docs/refunds.md): the refund as one JSON object on stdin; ``PRAHO_IDEMPOTENCY_KEY`` (the
refund's key, the same on every attempt so a gateway that deduplicates on it pays at most once) and
``PRAHO_REFUND_ID`` in the environment. Exit 0: the money moved. Exit 75 (EX_TEMPFAIL): nothing was
decided, try again later. Any other exit: the transfer was refused and no money moved. A timeout or a
signal means the outcome is unknown, so the refund stays pending for `refunds reconcile`.

Only a reference is kept from the output (the ``reference`` of a JSON object on stdout, else its first
line) and, on failure, the ``error`` of such an object. Stderr is never stored: it is where programs
print diagnostics that may carry credentials, and audit rows are forever. Its last
:data:`MAX_STDERR` characters, secrets redacted (:func:`redact_text`), reach only the error a failed
or unsettled attempt reports, in its details.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from praho_cli.ledger.audit import SECRET_WORDS
from praho_cli.services.context import ServiceContext

EX_TEMPFAIL = 75
MAX_REFERENCE = 200
MAX_ERROR = 300
MAX_STDERR = 2048  # the tail kept for the error's details
LEASE_GRACE_SECONDS = 30  # beyond the command timeout, before reconcile may take a refund over
REDACTED = "[redacted]"
_SECRET_NAME = re.compile("|".join(SECRET_WORDS), re.IGNORECASE)
# A secret word followed by its value: "token sk_live_…", "password=…", "api_key: …".
_SECRET_PAIR = re.compile(r"(?i)(" + "|".join(SECRET_WORDS) + r")(\b[\"']?\s*[:=]?\s*[\"']?)([^\s\"',;)\]}]+)")


@dataclass(frozen=True)
class CommandSettings:
    """The refund command as configured (empty command: refunds are settled outside praho)."""

    command: str
    timeout_seconds: float

    @classmethod
    def of(cls, ctx: ServiceContext) -> CommandSettings:
        return cls(str(ctx.setting("refunds.command") or "").strip(),
                   float(ctx.setting("refunds.command_timeout_seconds") or 60))


@dataclass(frozen=True)
class CommandOutcome:
    status: str  # completed | failed | unknown
    reference: str | None = None
    problem: str | None = None  # why it failed or why the outcome is unknown (never stderr)
    stderr: str | None = None  # its tail, secrets redacted: for the error's details only, never stored


Runner = Callable[[str, dict[str, Any], str, str, float], CommandOutcome]


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without the given secret values and without the value after a secret word."""
    text = _SECRET_PAIR.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    for secret in sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def _stderr_tail(stderr: str, env: Mapping[str, str]) -> str | None:
    """The last :data:`MAX_STDERR` characters of stderr, printable, secrets redacted (None if empty).

    Redacted before it is cut, so a secret at the cut cannot leave half of itself behind."""
    secrets = [value for name, value in env.items() if _SECRET_NAME.search(name)]
    lines = ["".join(ch if ch.isprintable() else " " for ch in line).rstrip() for line in stderr.splitlines()]
    text = redact_text("\n".join(line for line in lines if line.strip()), secrets)
    return text[-MAX_STDERR:] or None


def _clean(text: str, limit: int) -> str:
    printable = "".join(ch if ch.isprintable() else " " for ch in text).strip()
    return printable[:limit]


def _parse_stdout(stdout: str) -> tuple[str | None, str | None]:
    """(reference, error) from the command's stdout."""
    text = stdout.strip()
    if not text:
        return None, None
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        reference = data.get("reference")
        error = data.get("error")
        return (_clean(str(reference), MAX_REFERENCE) if reference not in (None, "") else None,
                _clean(str(error), MAX_ERROR) if error not in (None, "") else None)
    first = text.splitlines()[0]
    return _clean(first, MAX_REFERENCE) or None, None


def run_refund_command(
    command: str, payload: Mapping[str, Any], idempotency_key: str, refund_id: str, timeout_seconds: float,
    environ: Mapping[str, str] | None = None,
) -> CommandOutcome:
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return CommandOutcome("unknown", problem=f"refunds.command cannot be parsed: {exc}")
    if not argv:
        return CommandOutcome("unknown", problem="refunds.command is empty")
    env = {**(environ if environ is not None else os.environ), "PRAHO_IDEMPOTENCY_KEY": idempotency_key,
           "PRAHO_REFUND_ID": refund_id}
    try:
        # Its own session, so a timeout can kill the whole process group (a shell script's children too).
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, text=True, start_new_session=True)
    except OSError as exc:
        return CommandOutcome("unknown", problem=f"refund command {argv[0]!r} cannot be run: "
                              f"{exc.strerror or type(exc).__name__}")
    try:
        stdout, stderr = proc.communicate(json.dumps(payload, sort_keys=True) + "\n", timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        _, stderr = proc.communicate()
        return CommandOutcome("unknown", problem=f"refund command timed out after {timeout_seconds:g}s; "
                              "its outcome is unknown", stderr=_stderr_tail(stderr or "", env))
    reference, error = _parse_stdout(stdout or "")
    code = proc.returncode
    tail = _stderr_tail(stderr or "", env)
    if code == 0:
        return CommandOutcome("completed", reference=reference)
    if code == EX_TEMPFAIL:
        return CommandOutcome("unknown", reference=reference, stderr=tail,
                              problem="refund command asked to retry later (exit 75)" + (f": {error}" if error else ""))
    if code < 0:
        return CommandOutcome("unknown", reference=reference, stderr=tail,
                              problem=f"refund command was killed by signal {-code}; its outcome is unknown")
    return CommandOutcome("failed", reference=reference, stderr=tail,
                          problem=f"refund command exited with status {code}" + (f": {error}" if error else ""))
