"""The refund command's stderr: bounded, printable, secrets redacted, and only for a failed or
unsettled attempt (issue 19 item 17)."""

from __future__ import annotations

import sys

import pytest

from praho_cli.services.billing.refunds.command import MAX_STDERR, redact_text, run_refund_command


@pytest.mark.parametrize(("text", "expected"), [
    ("gateway token sk_live_X rejected", "gateway token [redacted] rejected"),
    ("client_secret=abc def", "client_secret=[redacted] def"),
    ('password: "hunter2" given', 'password: "[redacted]" given'),
    ("(api_key=k1) and PGPASSWORD=pw", "(api_key=[redacted]) and PGPASSWORD=[redacted]"),
    ("tokenizer failed; no secrets here", "tokenizer failed; no secrets here"),
    ("connecting with S3CR3T-VALUE", "connecting with [redacted]"),
])
def test_redact_text(text, expected):
    assert redact_text(text, ["S3CR3T-VALUE", ""]) == expected


def _run(script: str, environ: dict[str, str]):
    command = f"{sys.executable} -c '{script}'"
    return run_refund_command(command, {"id": "1"}, "k-1", "1", 10, environ=environ)


def test_a_failed_command_keeps_the_redacted_tail_of_its_stderr():
    script = ("import os, sys; sys.stderr.write(\"y\" * 5000 + \"\\n\" + os.environ[\"BANK_TOKEN\"] + \"\\tno\\n\"); "
              "sys.exit(4)")
    outcome = _run(script, {"BANK_TOKEN": "tok-123456", "PATH": "/usr/bin:/bin"})
    assert (outcome.status, outcome.problem) == ("failed", "refund command exited with status 4")
    assert outcome.stderr == ("y" * 5000 + "\n[redacted] no")[-MAX_STDERR:]


def test_a_completed_command_reports_no_stderr():
    outcome = _run("import sys; sys.stderr.write(\"warning\\n\"); print(\"TR-9\")", {"PATH": "/usr/bin:/bin"})
    assert (outcome.status, outcome.reference, outcome.stderr) == ("completed", "TR-9", None)


def test_an_empty_stderr_is_none():
    outcome = _run("import sys; sys.exit(3)", {"PATH": "/usr/bin:/bin"})
    assert (outcome.status, outcome.stderr) == ("failed", None)
