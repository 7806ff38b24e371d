"""cron run|status|runs|install in-process: task isolation, run records, dunning across days, pings."""

from __future__ import annotations

import json
import stat
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXED_NOW
from tests.unit.hosting.simfleet import LocalFleet


class Hosting:
    def __init__(self, cli: Any, fleet: LocalFleet) -> None:
        self.cli = cli
        self.fleet = fleet

    def __call__(self, *args: str, **kwargs: Any) -> Any:
        return self.cli(*args, transport_factory=self.fleet.factory, **kwargs)

    def at(self, when: datetime) -> None:
        self.cli.clock = lambda: when


@pytest.fixture
def billed(cli: Any, tmp_path: Path) -> Hosting:
    """Acme (two accounts, one protected) owes INV2026-000001, due 2026-12-10; Beta (one account) pays."""
    h = Hosting(cli, LocalFleet(tmp_path / "sim"))
    assert h("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro", "--cui", "RO18547290").exit_code == 0
    assert h("customers", "add", "--name", "Beta SRL", "--email", "b@beta.ro").exit_code == 0
    assert h("servers", "add", "vm1", "--url", "https://vm1.hosting.ro:10000").exit_code == 0
    assert h("servers", "check", "--all").exit_code == 0
    for domain, owner in (("acme.ro", "1"), ("acme-shop.ro", "1"), ("beta.ro", "2")):
        r = h("accounts", "create", domain, "--customer", owner, "--show-password")
        assert r.exit_code == 0, r.stderr
    assert h("accounts", "protect", "acme-shop.ro").exit_code == 0
    assert h("invoices", "create", "--customer", "1", "--line", "Hosting|1|100").exit_code == 0
    assert h("invoices", "issue", "1").exit_code == 0
    return h


def day(n: int) -> datetime:
    return datetime(2026, 12, n, 6, 0, tzinfo=FIXED_NOW.tzinfo)


def test_dunning_across_days_reminds_suspends_and_unsuspends_once(billed: Hosting) -> None:
    seen: dict[int, dict[str, Any]] = {}
    for n in range(10, 29):
        billed.at(day(n))
        if n == 26:
            r = billed("payments", "record", "--invoice", "INV2026-000001", "--amount", "121")
            assert r.exit_code == 0, r.stderr
        r = billed("cron", "run", "--only", "invoices-overdue", "--only", "dunning", "-o", "json")
        assert r.exit_code == 0, (n, r.stderr)
        tasks = {t["task"]: t for t in r.json()}
        assert [t["status"] for t in r.json()] == ["succeeded", "succeeded"]
        seen[n] = {"counts": tasks["dunning"]["counts"],
                   "reminders": [json.loads(ln) for ln in r.stderr.splitlines() if '"dunning.reminder"' in ln]}
    def counts(n: int) -> tuple[int, int, int]:
        c = seen[n]["counts"]
        return c["reminders"], c["suspended_accounts"], c["unsuspended_accounts"]
    assert {n: counts(n) for n in seen if counts(n) != (0, 0, 0)} == {13: (1, 0, 0), 25: (0, 2, 0), 26: (0, 0, 2)}
    assert [n for n in seen if seen[n]["reminders"]] == [13]
    reminder = seen[13]["reminders"][0]
    assert {k: reminder[k] for k in ("invoice", "customer_email", "due_date", "days_overdue", "balance_cents",
                                     "currency", "idempotency_key")} == {
        "invoice": "INV2026-000001", "customer_email": "a@acme.ro", "due_date": "2026-12-10", "days_overdue": 3,
        "balance_cents": 12100, "currency": "RON", "idempotency_key": "dunning-reminder-1"}
    assert billed.fleet.mutations("vm1").count("disable-domain") == 2
    assert billed.fleet.mutations("vm1").count("enable-domain") == 2
    accounts = {a["domain"]: (a["status"], a["protected"]) for a in billed("accounts", "list", "-o", "json").json()}
    assert accounts == {"acme.ro": ("active", False), "acme-shop.ro": ("active", True), "beta.ro": ("active", False)}
    events = [e["action"] for e in billed("audit", "list", "-o", "json").json()]
    assert (events.count("account.suspend"), events.count("account.unsuspend")) == (2, 2)
    assert (events.count("dunning.reminder"), events.count("dunning.suspension"),
            events.count("dunning.unsuspension")) == (1, 1, 1)


def test_suspension_waits_for_every_overdue_invoice_and_spares_manual_suspensions(billed: Hosting) -> None:
    assert billed("invoices", "create", "--customer", "1", "--line", "Domain|1|50").exit_code == 0
    assert billed("invoices", "issue", "2").exit_code == 0
    billed.at(day(27))
    assert billed("cron", "run", "--only", "invoices-overdue", "--only", "dunning").exit_code == 0
    assert billed("payments", "record", "--invoice", "1", "--amount", "121").exit_code == 0
    billed.at(day(28))
    r = billed("cron", "run", "--only", "dunning", "-o", "json")
    assert r.json()[0]["counts"]["unsuspended_accounts"] == 0  # invoice 2 is still 18 days overdue
    assert billed("payments", "record", "--invoice", "2", "--amount", "60.50").exit_code == 0
    r = billed("cron", "run", "--only", "dunning", "-o", "json")
    assert r.json()[0]["counts"]["unsuspended_accounts"] == 2
    statuses = {a["domain"]: a["status"] for a in billed("accounts", "list", "-o", "json").json()}
    assert statuses == {"acme.ro": "active", "acme-shop.ro": "active", "beta.ro": "active"}


def test_a_failing_task_does_not_stop_the_others_and_exits_6(billed: Hosting, monkeypatch: Any) -> None:
    from praho_cli.services.cron import tasks as cron

    def broken(*_args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setitem(cron.TASK_FUNCTIONS, "jobs-resume", broken)
    r = billed("cron", "run", "-o", "json")
    assert r.exit_code == 6, r.stderr
    rows = r.json()
    assert [(t["task"], t["status"]) for t in rows] == [
        ("servers-check", "succeeded"), ("jobs-resume", "failed"), ("invoices-overdue", "succeeded"),
        ("dunning", "succeeded"), ("drift-scan", "succeeded")]
    assert rows[1]["error"] == "unexpected RuntimeError in jobs-resume"
    assert rows[0]["counts"] == {"failing": 0, "servers": 1}
    assert rows[4]["counts"] == {"closed": 0, "found": 0, "new": 0, "servers": 1, "unreachable": 0}
    assert r.stderr.splitlines()[-2:] == [
        "error: task jobs-resume failed: unexpected RuntimeError in jobs-resume",
        "error: 1 of 5 task(s) failed: jobs-resume"]
    runs = billed("cron", "runs", "-o", "json").json()
    assert [(x["status"], x["exit_code"]) for x in runs] == [("failed", 6)]
    assert runs[0]["tasks"] == list(cron.TASKS)


def test_status_exits_7_until_every_task_succeeded_recently(billed: Hosting) -> None:
    fresh = billed("cron", "status", "-o", "json")  # a fresh install: cron has not run yet, nothing is late
    assert (fresh.exit_code, fresh.stderr) == (0, "cron has not run yet (praho cron install adds it to crontab)\n")
    assert [x["stale"] for x in fresh.json()] == [False] * 5
    assert billed("cron", "run", "--only", "servers-check").exit_code == 0
    r = billed("cron", "status", "-o", "json")  # cron runs, and four tasks never succeeded
    assert r.exit_code == 7
    assert [x["stale"] for x in r.json()] == [False, True, True, True, True]
    assert r.stderr.endswith("error: no success within 26 h: jobs-resume, invoices-overdue, dunning, drift-scan\n")
    assert billed("cron", "run").exit_code == 0
    ok = billed("cron", "status", "-o", "json")
    assert ok.exit_code == 0, ok.stderr
    assert ok.json()[0] == {"task": "servers-check", "last_status": "succeeded", "last_run_at": "2026-11-26T10:00:00Z",
                            "last_success_at": "2026-11-26T10:00:00Z", "age_hours": 0.0, "stale": False,
                            "last_error": None}
    billed.at(FIXED_NOW + timedelta(hours=27))
    assert billed("cron", "run", "--skip", "drift-scan").exit_code == 0
    late = billed("cron", "status", "-o", "json", "--fields", "task,stale,age_hours")
    assert late.exit_code == 7
    assert late.json()[4] == {"task": "drift-scan", "stale": True, "age_hours": 27.0}
    assert late.stderr.endswith("error: no success within 26 h: drift-scan\n")


def test_unknown_task_and_empty_selection_are_usage_errors(billed: Hosting) -> None:
    r = billed("cron", "run", "--only", "backup")
    assert (r.exit_code, r.stderr) == (2, "error: unknown task 'backup'; tasks: servers-check, jobs-resume, "
                                          "invoices-overdue, dunning, drift-scan\n")
    r = billed("cron", "run", "--only", "dunning", "--skip", "dunning")
    assert (r.exit_code, r.stderr) == (2, "error: --only and --skip leave no task to run\n")


class _PingServer:
    def __init__(self, fail: bool = False) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/ping/abc"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_ping_url_gets_start_and_exit_status(billed: Hosting, monkeypatch: Any) -> None:
    from praho_cli.services.cron import tasks as cron

    pings = _PingServer()
    try:
        assert billed("cron", "run", "--only", "dunning", "--ping-url", pings.url).exit_code == 0
        monkeypatch.setitem(cron.TASK_FUNCTIONS, "dunning", lambda *_a: (_ for _ in ()).throw(ValueError()))
        assert billed("cron", "run", "--only", "dunning", "--ping-url", pings.url).exit_code == 6
    finally:
        pings.close()
    assert pings.paths == ["/ping/abc/start", "/ping/abc/0", "/ping/abc/start", "/ping/abc/6"]


def test_failed_or_unreachable_ping_never_fails_the_run(billed: Hosting) -> None:
    pings = _PingServer(fail=True)
    try:
        r = billed("cron", "run", "--only", "dunning", "--ping-url", pings.url)
    finally:
        pings.close()
    assert r.exit_code == 0
    assert "warning: ping start answered HTTP 500" in r.stderr
    dead = billed("cron", "run", "--only", "dunning", "--ping-url", "http://127.0.0.1:9/x")
    assert dead.exit_code == 0
    assert "warning: ping 0 failed: ConnectError" in dead.stderr


def test_install_print_and_install_with_a_crontab_program(billed: Hosting, tmp_path: Path) -> None:
    import os
    import shlex
    import shutil
    import sys

    praho = shutil.which("praho", path=os.environ.get("PATH"))
    command = shlex.join([praho] if praho else [sys.executable, "-m", "praho_cli"])
    config = billed.cli.home / "config" / "praho" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text("[profiles.prod]\n")
    r = billed("--profile", "prod", "cron", "install", "--print", "--schedule", "*/10 * * * *")
    assert r.exit_code == 0, r.stderr
    home = billed.cli.home
    assert r.stdout == (f"*/10 * * * * XDG_DATA_HOME={home}/data XDG_STATE_HOME={home}/.local/state {command} "
                        f"--config {config} --profile prod --no-input --log-format json cron run "
                        f">>{home}/.local/state/praho/cron.log 2>&1 # praho cron run\n")
    assert r.stderr.startswith("warning: cron will not see PRAHO_ACTOR, PRAHO_DATABASE_URL, ")
    assert r.stderr.endswith(f"(set only in this shell): put them in {config} (secrets as *_file or *_command)\n")
    bad = billed("cron", "install", "--print", "--schedule", "hourly")
    assert (bad.exit_code, bad.stderr) == (2, "error: --schedule: 'hourly' must have five fields, like '*/15 * * * *'\n")
    fake = tmp_path / "crontab"
    table = tmp_path / "table"
    table.write_text("0 3 * * * /usr/local/bin/backup\n")
    fake.write_text(f"#!/bin/sh\nif [ \"$1\" = -l ]; then cat {table}; else cat > {table}; fi\n")
    fake.chmod(0o755)
    r = billed("cron", "install", "--log-file", str(tmp_path / "cron.log"), env={"PRAHO_CRONTAB": str(fake)})
    assert r.exit_code == 0, r.stderr
    lines = table.read_text().splitlines()
    assert lines[0] == "0 3 * * * /usr/local/bin/backup"
    assert lines[1].startswith("*/15 * * * * ")
    assert lines[1].endswith(f"--no-input --log-format json cron run >>{tmp_path / 'cron.log'} 2>&1 # praho cron run")
    again = billed("cron", "install", "--log-file", str(tmp_path / "cron.log"), env={"PRAHO_CRONTAB": str(fake)})
    assert again.exit_code == 0
    assert table.read_text().splitlines() == lines  # replaced, not added twice
    assert again.stderr.endswith("\n✓ crontab line replaced (see crontab -l)\n")
    assert stat.S_IMODE((tmp_path / "cron.log").stat().st_mode) == 0o600


def test_reminder_command_gets_json_and_key_and_a_failure_is_retried(billed: Hosting, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    script = tmp_path / "remind.sh"
    script.write_text(f"#!/bin/sh\n[ -f {tmp_path}/fail ] && {{ echo 'smtp down' >&2; exit 3; }}\n"
                      f"{{ cat; echo; echo \"$PRAHO_IDEMPOTENCY_KEY\"; }} >> {inbox}\n")
    script.chmod(0o755)
    (tmp_path / "fail").write_text("")
    env = {"PRAHO_DUNNING_REMINDER_COMMAND": str(script)}
    billed.at(day(14))
    r = billed("cron", "run", "--only", "invoices-overdue", "--only", "dunning", "-o", "json", env=env)
    assert r.exit_code == 6
    assert r.json()[1]["error"] == ("1 dunning step(s) failed: reminder for INV2026-000001: reminder command "
                                    "exited 3: smtp down")
    assert not inbox.exists()
    (tmp_path / "fail").unlink()
    billed.at(day(15))
    r = billed("cron", "run", "--only", "dunning", "-o", "json", env=env)
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["counts"]["reminders"] == 1
    sent, key = inbox.read_text().splitlines()
    assert json.loads(sent)["days_overdue"] == 5 and key == "dunning-reminder-1"
    assert billed("cron", "run", "--only", "dunning", env=env).exit_code == 0
    assert len(inbox.read_text().splitlines()) == 2  # once


def test_jobs_resume_settles_a_job_with_unknown_outcome(billed: Hosting) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(billed.cli.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE provisioning_jobs SET status = 'unknown' WHERE domain = 'acme.ro'"))
    engine.dispose()
    r = billed("cron", "run", "--only", "jobs-resume", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["counts"] == {"errors": 0, "failed": 0, "jobs": 1, "succeeded": 1, "waiting": 0}
    jobs = {j["domain"]: j["status"] for j in billed("accounts", "jobs", "list", "-o", "json").json()}
    assert jobs["acme.ro"] == "succeeded"


def test_runs_and_status_on_a_terminal_and_piped(billed: Hosting) -> None:
    assert billed("cron", "run", "--only", "dunning").exit_code == 0
    piped = billed("cron", "runs", "--fields", "status,exit_code,tasks")
    assert piped.stdout == "succeeded\t0\tdunning\n"
    table = billed("cron", "status", tty=True)
    assert table.exit_code == 7
    lines = table.stdout.splitlines()
    assert "\x1b[1mtask" in lines[0] and "stale" in lines[0]
    assert lines[5].split() == ["dunning", "succeeded", "2026-11-26T10:00:00Z", "2026-11-26T10:00:00Z", "0.0",
                                "false"]
    assert lines[2].split() == ["servers-check", "true"]
