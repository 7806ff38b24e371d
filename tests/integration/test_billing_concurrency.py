"""Gapless numbering, payments and idempotency under real concurrent processes, on SQLite and PostgreSQL.

Each worker is a separate Python process running the real CLI entry point (``cli.main.run``) in a
loop, so that 100 commands do not pay 100 interpreter start-ups. Workers start together: each
reports ready, and the parent releases them all at once with a "go" file.
"""

from __future__ import annotations

import gc
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXED_NOW, REPO, SELLER_ENV, Cli

pytestmark = pytest.mark.slow

SETTINGS: dict[str, Any] = {"billing.due_days": 14, "billing.rounding": "half_up"}


# --- in the child processes ---------------------------------------------------------------------
def worker(spec: dict[str, Any]) -> None:
    """Run each argv of spec["commands"] through the CLI; print [[exit code, stdout, stderr], ...]."""
    from praho_cli.cli.main import run
    from praho_cli.output.streams import Environment

    if spec.get("pause_after_number"):
        _pause_after_taking_a_number(spec.get("pause_seconds", 120))
    environ = {**os.environ, **SELLER_ENV, "PRAHO_DATABASE_URL": spec["url"], "PRAHO_ACTOR": f"worker-{os.getpid()}"}
    Path(spec["ready"]).write_text("ready")
    while not Path(spec["go"]).exists():
        time.sleep(0.002)
    results = []
    for argv in spec["commands"]:
        out, err = io.StringIO(), io.StringIO()
        env = Environment(stdin=io.StringIO(), stdout=out, stderr=err, environ=environ, stdin_isatty=False,
                          stdout_isatty=False, stderr_isatty=False)
        results.append([run(argv, env), out.getvalue(), err.getvalue()])
        # Each run builds its own engine, as a CLI process does; a process would close its
        # connections on exit, so close them here before the next command opens more.
        gc.collect()
    sys.stdout.write(json.dumps(results))


def _pause_after_taking_a_number(seconds: float) -> None:
    """Stop right after the counter row was locked and incremented (series.take_number), before
    the audit event and COMMIT."""
    from praho_cli.services.billing import series

    original = series.take_number

    def taken_then_hang(*args: Any, **kwargs: Any) -> Any:
        taken = original(*args, **kwargs)
        # The CLI redirects sys.stderr to the worker's buffer: write to the real file descriptor.
        os.write(2, f"TOOK {taken[1]}\n".encode())
        time.sleep(seconds)
        return taken

    series.take_number = taken_then_hang


# --- in the test process ------------------------------------------------------------------------
def spawn(tmp_path: Path, url: str, command_lists: list[list[list[str]]], **extra: Any) -> list[subprocess.Popen[str]]:
    go = tmp_path / "go"
    go.unlink(missing_ok=True)
    procs = []
    for i, commands in enumerate(command_lists):
        ready = tmp_path / f"ready-{i}-{time.monotonic_ns()}"
        spec = {"url": url, "commands": commands, "ready": str(ready), "go": str(go), **extra}
        code = "import json, sys; from tests.integration.test_billing_concurrency import worker; " \
               "worker(json.loads(sys.argv[1]))"
        env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path / "cfg"),
               "XDG_DATA_HOME": str(tmp_path / "data")}
        procs.append(subprocess.Popen([sys.executable, "-c", code, json.dumps(spec)], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        procs[-1].ready = ready  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while not all(p.ready.exists() for p in procs):  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs if p.poll() is not None]
        time.sleep(0.01)
    go.write_text("go")
    return procs


def collect(procs: list[subprocess.Popen[str]], timeout: float = 600) -> list[list[Any]]:
    results: list[list[Any]] = []
    for p in procs:
        out, err = p.communicate(timeout=timeout)
        assert p.returncode == 0, err
        results.extend(json.loads(out))
    return results


def seed(url: str, drafts: int, line: str = "Hosting|1|100") -> None:
    """One customer and ``drafts`` draft invoices (ids 1..drafts), through the services."""
    from praho_cli.billing.numbering import DocumentKind
    from praho_cli.ledger.engine import open_database
    from praho_cli.ledger.uow import run_in_transaction
    from praho_cli.result import Ok
    from praho_cli.services.billing.customers import CustomerInput, add_customer
    from praho_cli.services.billing.documents.drafts import DraftInput, create_draft
    from praho_cli.services.context import ServiceContext

    db = open_database(url)
    ctx = ServiceContext(now=lambda: FIXED_NOW, actor="seed", setting=SETTINGS.get)
    run_in_transaction(db, lambda s: add_customer(s, ctx, CustomerInput(name="Acme SRL", email="a@acme.ro"))).unwrap()
    for start in range(0, drafts, 100):
        def batch(session: Any, start: int = start) -> Any:
            for _ in range(start, min(start + 100, drafts)):
                create_draft(session, ctx, DocumentKind.INVOICE, DraftInput(customer="1", lines=(line,))).unwrap()
            return Ok(None)

        run_in_transaction(db, batch).unwrap()
    db.engine.dispose()


@pytest.fixture
def praho(tmp_path: Path, ledger_url: str) -> Cli:
    return Cli(home=tmp_path / "home", database_url=ledger_url, clock=lambda: FIXED_NOW, extra_env={})


def numbers(praho: Callable[..., Any]) -> list[str]:
    rows = praho("invoices", "list", "-o", "jsonl", "--fields", "number").jsonl()
    return [r["number"] for r in rows if r["number"]]


def _deadlocks(url: str, settle: bool = False) -> int:
    """PostgreSQL's count of deadlocks detected in the ledger's database. ``settle``: first wait
    for the other sessions to end (a backend reports its counts when it exits)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        deadline = time.monotonic() + 30
        with engine.connect() as conn:
            while settle and time.monotonic() < deadline and conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid()")).scalar_one():
                conn.rollback()
                time.sleep(0.05)
            conn.rollback()
            return int(conn.execute(text("SELECT deadlocks FROM pg_stat_database "
                                         "WHERE datname = current_database()")).scalar_one())
    finally:
        engine.dispose()


def test_eight_processes_issue_800_invoices_without_gap_or_duplicate(tmp_path, ledger_url, praho):
    """Also, on PostgreSQL: no deadlock on the way (the unit of work would replay one silently, a
    second lost to the deadlock detector's timeout): the one statement locks the series counter
    before the audit chain's head, whatever plan PostgreSQL picks, as every other writer does."""
    seed(ledger_url, 800)
    postgres = not ledger_url.startswith("sqlite")
    deadlocks = _deadlocks(ledger_url) if postgres else 0
    per_worker = [[["invoices", "issue", str(i), "-o", "json", "--fields", "number"]
                   for i in range(w + 1, 801, 8)] for w in range(8)]
    results = collect(spawn(tmp_path, ledger_url, per_worker))
    if postgres:
        assert _deadlocks(ledger_url, settle=True) == deadlocks
    assert [code for code, _out, _err in results] == [0] * 800, [r for r in results if r[0] != 0][:3]
    issued = sorted(json.loads(out)["number"] for _code, out, _err in results)
    assert issued == [f"INV2026-{n:06d}" for n in range(1, 801)]
    assert sorted(numbers(praho)) == issued
    audit = praho("invoices", "series-audit", "--series", "INV", "-o", "json")
    assert audit.exit_code == 0, audit.stderr
    assert audit.json() == [{"series": "INV", "year": 2026, "issued": 800, "first_number": 1, "last_number": 800,
                             "counter": 800, "missing": [], "duplicates": [], "out_of_order": [], "misdated": [], "ok": True}]
    assert praho("audit", "verify").exit_code == 0


def test_an_issuer_waits_for_the_one_holding_the_counter_without_deadlock(tmp_path, ledger_url, praho):
    """One issuer holds the series counter and is about to append its audit event; another issues in
    the same series meanwhile. The second waits on the counter (not holding the audit chain's head),
    and both finish in order with no deadlock (the detector would cost a second and a replay)."""
    seed(ledger_url, 2)
    assert praho("invoices", "issue", "1").exit_code == 0  # the year's counter exists
    postgres = not ledger_url.startswith("sqlite")
    deadlocks = _deadlocks(ledger_url) if postgres else 0
    [holder] = spawn(tmp_path, ledger_url, [[["invoices", "issue", "2", "-o", "json", "--fields", "number"]]],
                     pause_after_number=True, pause_seconds=4)
    assert holder.stderr is not None
    assert holder.stderr.readline() == "TOOK INV2026-000002\n"
    [waiter] = spawn(tmp_path, ledger_url, [[["invoices", "create", "--customer", "1", "--currency", "RON",
                                              "--line", "Backup|1|10"],
                                             ["invoices", "issue", "3", "-o", "json", "--fields", "number"]]])
    results = collect([holder, waiter])
    assert [r[0] for r in results] == [0, 0, 0], results
    assert [json.loads(results[i][1])["number"] for i in (0, 2)] == ["INV2026-000002", "INV2026-000003"]
    if postgres:
        assert _deadlocks(ledger_url, settle=True) == deadlocks
    assert praho("audit", "verify").exit_code == 0


@pytest.mark.parametrize("key", [None, "k-1"])
def test_sigkill_with_the_counter_locked_before_commit_leaves_nothing(tmp_path, ledger_url, praho, key):
    """The kill lands with the counter locked and incremented, before COMMIT: nothing of the issue
    survives (no number, no audit event, no idempotency key), the draft stays a draft and its number
    goes to the next issuer: no gap."""
    seed(ledger_url, 2)
    argv = ["invoices", "issue", "1", *(["--idempotency-key", key] if key else [])]
    [victim] = spawn(tmp_path, ledger_url, [[argv]], pause_after_number=True)
    assert victim.stderr is not None
    assert victim.stderr.readline() == "TOOK INV2026-000001\n"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    survivor = praho("invoices", "issue", "2", "-o", "json", "--fields", "number,status,issue_date")
    assert survivor.exit_code == 0, survivor.stderr
    assert survivor.json() == {"number": "INV2026-000001", "status": "issued", "issue_date": "2026-11-26"}
    killed = praho("invoices", "show", "1", "-o", "json", "--fields", "number,status,issue_date,seller")
    assert killed.json() == {"number": None, "status": "draft", "issue_date": None, "seller": None}
    assert [e["entity_id"] for e in praho("audit", "list", "-o", "jsonl").jsonl()
            if e["action"] == "invoice.issue"] == ["2"]
    again = praho("invoices", "issue", "1", *argv[3:], "-o", "json", "--fields", "number")
    assert again.json() == {"number": "INV2026-000002"}  # a key, if any, was never stored
    assert praho("invoices", "series-audit").exit_code == 0
    assert praho("audit", "verify").exit_code == 0


def test_concurrent_payments_never_overpay(tmp_path, ledger_url, praho):
    seed(ledger_url, 1)
    assert praho("invoices", "issue", "1").exit_code == 0  # 121.00 RON
    pay = ["payments", "record", "--invoice", "INV2026-000001", "--amount", "50", "-o", "json"]
    results = collect(spawn(tmp_path, ledger_url, [[pay] for _ in range(6)]))
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 0, 5, 5, 5, 5]
    refusals = {err for code, _out, err in results if code == 5}
    assert refusals == {"error: invoice INV2026-000001: payment of 50.00 RON exceeds the open balance 21.00 RON\n"}
    invoice = praho("invoices", "show", "INV2026-000001", "-o", "json").json()
    assert (invoice["paid_cents"], invoice["balance_cents"], invoice["status"]) == (10000, 2100, "partially_paid")
    assert len(invoice["payments"]) == 2


def test_concurrent_replays_with_one_key_do_nothing_twice(tmp_path, ledger_url, praho):
    seed(ledger_url, 2)
    issue = ["invoices", "issue", "1", "--idempotency-key", "issue-once", "-o", "json"]
    results = collect(spawn(tmp_path, ledger_url, [[issue] for _ in range(4)]))
    assert [code for code, _out, _err in results] == [0, 0, 0, 0], results
    first = json.loads(results[0][1])
    for _code, out, _err in results[1:]:
        assert {k: v for k, v in json.loads(out).items() if v != first[k]} == {}
    assert numbers(praho) == ["INV2026-000001"]
    pay = ["payments", "record", "--invoice", "INV2026-000001", "--amount", "10", "--idempotency-key", "pay-once",
           "-o", "json"]
    results = collect(spawn(tmp_path, ledger_url, [[pay] for _ in range(4)]))
    assert [code for code, _out, _err in results] == [0, 0, 0, 0], results
    assert len({out for _code, out, _err in results}) == 1
    assert len(praho("payments", "list", "-o", "json").json()) == 1
    assert praho("invoices", "issue", "2", "-o", "json", "--fields", "number").json() == {"number": "INV2026-000002"}
