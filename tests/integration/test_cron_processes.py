"""cron run as real processes: the run lock (exit 75, --wait) on SQLite and PostgreSQL, and a run killed
with SIGKILL in the middle of dunning, then run again."""

from __future__ import annotations

import signal
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from praho_cli.virtualmin.simulator import Fault, SimState, serve
from tests.conftest import FIXED_NOW, Cli, praho_popen

PASSWORD = "sim-Pass-42"
ENV = {"PRAHO_SERVERS_VM1_PASSWORD": PASSWORD, "PRAHO_VIRTUALMIN_TIMEOUT_SECONDS": "20"}


@pytest.fixture
def vm1(tmp_path: Path) -> Any:
    state = SimState(tmp_path / "sim" / "vm1.json")
    with serve(state, password=PASSWORD) as sim:
        yield sim


def setup_ledger(tmp_path: Path, url: str, sim: Any, clock: datetime, accounts: int) -> Cli:
    cli = Cli(home=tmp_path / "home", database_url=url, clock=lambda: clock, extra_env=ENV)
    assert cli("customers", "add", "--name", "Acme SRL", "--email", "a@acme.ro").exit_code == 0
    assert cli("servers", "add", "vm1", "--url", sim.url, "--max-domains", "50").exit_code == 0
    assert cli("servers", "check", "--all").exit_code == 0
    for i in range(accounts):
        r = cli("accounts", "create", f"site{i}.ro", "--customer", "1", "--show-password")
        assert r.exit_code == 0, r.stderr
    return cli


def scalar(url: str, sql: str) -> Any:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()


def runs(url: str) -> list[tuple[str, datetime, datetime | None]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, started_at, finished_at FROM cron_runs ORDER BY id")).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]  # type: ignore[misc]


@pytest.mark.slow
def test_two_runs_together_one_exits_75_and_wait_runs_after(tmp_path: Path, ledger_url: str, vm1: Any) -> None:
    cli = setup_ledger(tmp_path, ledger_url, vm1, FIXED_NOW, 2)
    env = cli.env()
    # Every read takes 1.5 s, so a run (servers-check and drift-scan read) lasts about 3 s.
    vm1.set_faults([Fault("latency", seconds=1.5, programs=("info", "list-domains"))])
    pair = [praho_popen(["cron", "run", "--only", "servers-check", "--only", "drift-scan"], env) for _ in range(2)]
    results = sorted((p.wait(60), p.stderr.read()) for p in pair)  # type: ignore[union-attr]
    assert [code for code, _ in results] == [0, 75], results
    assert "lock 'cron' is held by run " in results[1][1]
    assert [r[0] for r in runs(ledger_url)] == ["succeeded"]  # the refused run records nothing
    waiting = [praho_popen(["cron", "run", "--only", "servers-check", "--only", "drift-scan", "--wait", "30"], env)
               for _ in range(2)]
    assert [p.wait(90) for p in waiting] == [0, 0]
    recorded = runs(ledger_url)
    assert [r[0] for r in recorded] == ["succeeded"] * 3
    (_s1, _a1, end1), (_s2, start2, _end2) = recorded[1], recorded[2]
    assert end1 is not None and start2 >= end1  # the second waited for the first, never overlapped


@pytest.mark.slow
def test_sigkill_mid_dunning_then_rerun_loses_nothing_and_repeats_nothing(
    tmp_path: Path, sqlite_url: str, vm1: Any
) -> None:
    issued = FIXED_NOW - timedelta(days=60)
    cli = setup_ledger(tmp_path, sqlite_url, vm1, issued, 6)
    assert cli("accounts", "protect", "site3.ro").exit_code == 0
    assert cli("invoices", "create", "--customer", "1", "--line", "Hosting|1|100").exit_code == 0
    assert cli("invoices", "issue", "1").exit_code == 0
    env = cli.env()
    vm1.set_faults([Fault("latency", seconds=0.8, programs=("disable-domain",))])
    first = praho_popen(["--log-format", "json", "cron", "run", "--only", "invoices-overdue", "--only", "dunning"],
                        env)
    deadline = time.monotonic() + 60
    while scalar(sqlite_url, "SELECT count(*) FROM dunning_account_actions WHERE status = 'done'") < 2:
        assert time.monotonic() < deadline and first.poll() is None, "dunning never got going"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    assert first.wait(10) == -signal.SIGKILL
    done_before = scalar(sqlite_url, "SELECT count(*) FROM dunning_account_actions WHERE status = 'done'")
    assert 2 <= done_before < 6
    assert [r[0] for r in runs(sqlite_url)] == ["running"]
    assert "dunning.reminder" in first.stderr.read()  # type: ignore[union-attr]

    vm1.set_faults([])
    second = praho_popen(["--log-format", "json", "cron", "run", "--only", "invoices-overdue", "--only", "dunning"],
                         env)
    assert second.wait(60) == 0, second.stderr.read()  # type: ignore[union-attr]
    log = second.stderr.read()  # type: ignore[union-attr]
    assert '"event": "cron.interrupted"' in log
    assert "dunning.reminder" not in log  # delivered by the killed run: not again
    assert [r[0] for r in runs(sqlite_url)] == ["interrupted", "succeeded"]
    assert scalar(sqlite_url, "SELECT count(*) FROM cron_task_runs WHERE status = 'interrupted'") == 1
    accounts = {a["domain"]: a["status"] for a in cli("accounts", "list", "-o", "json").json()}
    assert accounts == {f"site{i}.ro": "suspended" for i in range(6)}  # protected site3.ro too
    assert all(d["disabled"] is not None for d in vm1.state.domains())
    # Exactly one suspension per account in the ledger, one reminder and one suspension per invoice.
    assert scalar(sqlite_url, "SELECT count(*) FROM audit_events WHERE action = 'account.suspend'") == 6
    assert scalar(sqlite_url, "SELECT count(DISTINCT entity_id) FROM audit_events WHERE action = 'account.suspend'") == 6
    assert scalar(sqlite_url, "SELECT count(*) FROM dunning_actions") == 2
    assert scalar(sqlite_url, "SELECT count(*) FROM dunning_actions WHERE status = 'done'") == 2
    assert scalar(sqlite_url, "SELECT count(*) FROM dunning_account_actions WHERE status = 'done'") == 6
    # Virtualmin saw each domain disabled once successfully: a repeat would have been refused as
    # "already disabled", which at most the one account in flight at the kill may see.
    disables = vm1.stats()["by_program"].get("disable-domain", 0)
    assert 6 <= disables <= 7
    third = praho_popen(["cron", "run", "--only", "dunning"], env)
    assert third.wait(60) == 0
    assert vm1.stats()["by_program"].get("disable-domain", 0) == disables


def test_the_installed_line_runs_in_crons_bare_environment(tmp_path: Path) -> None:
    """`cron install --print` in a shell with its own XDG directories and config file; the line then runs
    under `env -i` with only what cron gives (HOME, LOGNAME, SHELL, PATH=/usr/bin:/bin), from /, and
    finds the same config file, profile, ledger and log."""
    import json
    import os
    import subprocess

    from tests.conftest import process_clock

    home = tmp_path / "home"
    shell = {"HOME": str(home), "XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"),
             "XDG_STATE_HOME": str(tmp_path / "state"), **process_clock()}
    shell_env = {k: v for k, v in os.environ.items() if not k.startswith(("PRAHO_", "XDG_"))} | shell
    config = tmp_path / "cfg" / "praho" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[profiles.prod.seller]\nname = "Praho Test SRL"\nvat_id = "RO18547290"\n'
                      'address = "Str. Testului 1, Cluj-Napoca"\n')

    def praho(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "praho_cli", *args], env=shell_env, capture_output=True,
                              text=True, timeout=120, check=False, cwd=tmp_path)

    assert praho("db", "upgrade").returncode == 0
    printed = praho("--profile", "prod", "cron", "install", "--print")
    assert (printed.returncode, printed.stderr) == (0, "")
    line = printed.stdout.strip()
    command = line.split(" ", 5)[5]  # the five schedule fields, then what cron hands to /bin/sh
    assert f"--config {config} --profile prod" in command
    bare = {"HOME": str(home), "LOGNAME": "praho", "SHELL": "/bin/sh", "PATH": "/usr/bin:/bin", **process_clock()}
    done = subprocess.run(["/bin/sh", "-c", command], env=bare, cwd="/", capture_output=True, text=True,
                          timeout=300, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    log = tmp_path / "state" / "praho" / "cron.log"
    # stdout (the tasks, as TSV) and stderr (JSON lines) both go to the log
    events = [json.loads(x) for x in log.read_text().splitlines() if x.startswith("{")]
    assert events[-1]["event"] == "cron.done"
    status = praho("--profile", "prod", "cron", "status", "-o", "json")
    assert status.returncode == 0, status.stderr
    assert [row["last_status"] for row in json.loads(status.stdout)] == ["succeeded"] * 5
