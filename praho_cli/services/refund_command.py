"""Running the configured ``refunds.command``: the program that actually moves a refund's money.

Contract (docs/refunds.md): the refund as one JSON object on stdin; ``PRAHO_IDEMPOTENCY_KEY`` (the
refund's key, the same on every attempt so a gateway that deduplicates on it pays at most once) and
``PRAHO_REFUND_ID`` in the environment. Exit 0: the money moved. Exit 75 (EX_TEMPFAIL): nothing was
decided, try again later. Any other exit: the transfer was refused and no money moved. A timeout or a
signal means the outcome is unknown, so the refund stays pending for `refunds reconcile`.

Only a reference is kept from the output (the ``reference`` of a JSON object on stdout, else its first
line) and, on failure, the ``error`` of such an object. Stderr is never stored: it is where programs
print diagnostics that may carry credentials, and audit rows are forever.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EX_TEMPFAIL = 75
MAX_REFERENCE = 200
MAX_ERROR = 300


@dataclass(frozen=True)
class CommandOutcome:
    status: str  # completed | failed | unknown
    reference: str | None = None
    problem: str | None = None  # why it failed or why the outcome is unknown (never stderr)


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
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                env=env, text=True, start_new_session=True)
    except OSError as exc:
        return CommandOutcome("unknown", problem=f"refund command {argv[0]!r} cannot be run: "
                              f"{exc.strerror or type(exc).__name__}")
    try:
        stdout, _ = proc.communicate(json.dumps(payload, sort_keys=True) + "\n", timeout=timeout_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return CommandOutcome("unknown", problem=f"refund command timed out after {timeout_seconds:g}s; "
                              "its outcome is unknown")
    reference, error = _parse_stdout(stdout or "")
    code = proc.returncode
    if code == 0:
        return CommandOutcome("completed", reference=reference)
    if code == EX_TEMPFAIL:
        return CommandOutcome("unknown", reference=reference,
                              problem="refund command asked to retry later (exit 75)" + (f": {error}" if error else ""))
    if code < 0:
        return CommandOutcome("unknown", reference=reference,
                              problem=f"refund command was killed by signal {-code}; its outcome is unknown")
    return CommandOutcome("failed", reference=reference,
                          problem=f"refund command exited with status {code}" + (f": {error}" if error else ""))
