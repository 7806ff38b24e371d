"""Real processes racing on one paid invoice, on SQLite and PostgreSQL: refunds never exceed what was paid."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXED_NOW, Cli, praho_popen, praho_process

pytestmark = pytest.mark.slow

GATEWAY = Path(__file__).resolve().parents[1] / "unit" / "refunds" / "gateway.py"
# 16 partial refunds adding up to 241.60 RON on a 121.00 RON invoice: about twice what was paid.
AMOUNTS = ["12.10", "24.20", "6.05", "18.15", "9.68", "14.52", "3.63", "20.57",
           "16.94", "7.26", "25.41", "10.89", "19.36", "4.84", "26.62", "21.38"]


def _setup(tmp_path: Path, url: str) -> tuple[Cli, dict[str, str]]:
    cli = Cli(home=tmp_path / "home", database_url=url, clock=lambda: FIXED_NOW, extra_env={})
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290").exit_code == 0
    assert cli("invoices", "create", "--customer", "1", "--line", "Hosting|1|100").exit_code == 0
    assert cli("invoices", "issue", "1").exit_code == 0
    assert cli("payments", "record", "--invoice", "INV2026-000001", "--amount", "121").exit_code == 0
    env = {k: v for k, v in cli.env().items() if k != "PATH"}
    return cli, env


def _credit_note_numbers(cli: Cli) -> list[str]:
    shown = cli("invoices", "show", "INV2026-000001", "-o", "json").json()
    return [d["number"] for d in shown["related_documents"] if d["relation"] == "corrected_by"]


def test_sixteen_processes_never_refund_more_than_was_paid(ledger_url, tmp_path):
    assert 24000 <= sum(int(a.replace(".", "")) for a in AMOUNTS) <= 24400
    cli, env = _setup(tmp_path, ledger_url)
    procs = [praho_popen(["refunds", "create", "--invoice", "INV2026-000001", "--amount", amount,
                          "--reason", f"race {i}", "-o", "json"], env) for i, amount in enumerate(AMOUNTS)]
    outcomes = [(amount, p.wait(timeout=180), *p.communicate()) for amount, p in zip(AMOUNTS, procs, strict=True)]
    winners = [json.loads(out) for _amount, code, out, _err in outcomes if code == 0]
    losers = [(amount, err) for amount, code, _out, err in outcomes if code != 0]
    assert all(code in (0, 5) for _a, code, _o, _e in outcomes), [e for _a, c, _o, e in outcomes if c not in (0, 5)]
    refunded = sum(w["amount_cents"] for w in winners)
    assert refunded <= 12100
    assert winners and losers
    for amount, err in losers:
        if err == "error: Invoice INV2026-000001 is already fully refunded: remaining 0.00 RON\n":
            assert refunded == 12100  # the current maximum, 0, is in the message
            continue
        match = re.fullmatch(r"error: Cannot refund (\d+\.\d\d) RON on invoice INV2026-000001: the maximum "
                             r"refundable is (\d+\.\d\d) RON \(paid 121\.00 RON, refunded or pending (\d+\.\d\d) "
                             r"RON\)\n", err)
        assert match, err
        asked, maximum, taken = (int(g.replace(".", "")) for g in match.groups())
        assert asked == int(amount.replace(".", "")) and asked > maximum and maximum + taken == 12100
        assert maximum >= 12100 - refunded  # the maximum it saw was never below the final remainder
    elig = cli("refunds", "eligibility", "--invoice", "INV2026-000001", "-o", "json").json()
    assert elig["refunded_cents"] == refunded and elig["max_refundable_cents"] == 12100 - refunded
    assert elig["pending_cents"] == 0
    numbers = _credit_note_numbers(cli)
    assert sorted(numbers) == [f"CN2026-{n:06d}" for n in range(1, len(winners) + 1)]
    assert sorted(w["credit_note_number"] for w in winners) == sorted(numbers)
    listed = cli("refunds", "list", "-o", "json").json()
    assert len(listed) == len(winners) and all(r["status"] == "completed" for r in listed)
    assert cli("audit", "verify").exit_code == 0


def test_eight_concurrent_replays_of_one_key_create_one_refund(ledger_url, tmp_path):
    cli, env = _setup(tmp_path, ledger_url)
    args = ["refunds", "create", "--invoice", "INV2026-000001", "--amount", "24.20", "--reason", "Goodwill",
            "--idempotency-key", "ticket-77", "-o", "json"]
    procs = [praho_popen(args, env) for _ in range(8)]
    results = [(p.wait(timeout=180), *p.communicate()) for p in procs]
    assert [code for code, _o, _e in results] == [0] * 8, [e for _c, _o, e in results]
    bodies = [json.loads(out) for _c, out, _e in results]
    assert {b["id"] for b in bodies} == {"1"}
    assert {b["credit_note_number"] for b in bodies} == {"CN2026-000001"}
    assert sum(e.startswith("✓ Refunded") for _c, _o, e in results) == 1
    assert sum(e.startswith("✓ Replayed") for _c, _o, e in results) == 7
    assert len(cli("refunds", "list", "-o", "json").json()) == 1
    assert _credit_note_numbers(cli) == ["CN2026-000001"]
    elig = cli("refunds", "eligibility", "--invoice", "1", "-o", "json").json()
    assert (elig["refunded_cents"], elig["max_refundable_cents"]) == (2420, 9680)


def test_sigkill_between_pending_and_outcome_is_settled_once_by_reconcile(ledger_url, tmp_path):
    cli, env = _setup(tmp_path, ledger_url)
    state = tmp_path / "gateway"
    state.mkdir()
    (state / "mode").write_text("pay-then-hang")
    env = {**env, "PRAHO_REFUNDS_COMMAND": f"{sys.executable} {GATEWAY} {state}",
           "PRAHO_REFUNDS_COMMAND_TIMEOUT_SECONDS": "60"}
    proc = praho_popen(["refunds", "create", "--invoice", "INV2026-000001", "--amount", "24.20", "--reason", "Kill",
                        "--idempotency-key", "kill-1", "-o", "json"], env)
    deadline = time.monotonic() + 60
    while not (state / "started").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    # The gateway has paid; praho dies before it can record the outcome.
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    os.kill(int((state / "started").read_text()), signal.SIGKILL)
    shown = cli("refunds", "show", "1", "-o", "json").json()
    assert (shown["status"], shown["credit_note"], shown["remaining_cents"]) == ("pending", None, 9680)
    # Its creator's lease has not expired: a plain reconcile leaves it alone.
    (state / "mode").write_text("ok")
    plain = praho_process(["refunds", "reconcile", "-o", "json"], env)
    assert (plain.returncode, json.loads(plain.stdout)) == (0, [])
    settled = praho_process(["refunds", "reconcile", "--ignore-leases", "-o", "json"], env)
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout) == [{
        "id": "1", "invoice_number": "INV2026-000001", "amount_cents": 2420, "currency": "RON",
        "status": "completed", "credit_note_number": "CN2026-000001", "command_reference": "TR-1", "problem": None}]
    calls = [json.loads(x) for x in (state / "calls.jsonl").read_text().splitlines()]
    assert [c["key"] for c in calls] == ["kill-1", "kill-1"]
    assert json.loads((state / "paid.json").read_text()) == {"kill-1": {"transfer": "TR-1", "amount_cents": 2420}}
    again = praho_process(["refunds", "reconcile", "--ignore-leases", "-o", "json"], env)
    assert (again.returncode, json.loads(again.stdout)) == (0, [])
    assert len((state / "calls.jsonl").read_text().splitlines()) == 2
