"""Provisioning against the simulator over loopback HTTP: faults, rollback, read-back, health, and
20 real processes racing for 10 slots."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from praho_cli.result import ErrorCode, PrahoFailure
from praho_cli.virtualmin.simulator import Fault, SimState, serve_many
from tests.conftest import SetUpHosting

PASSWORD = "sim-Pass-42"


@pytest.fixture
def fleet(tmp_path: Path) -> Any:
    state_dir = tmp_path / "sim"
    for name in ("vm1", "vm2"):
        SimState(state_dir / f"{name}.json").add_plan("Gold", plan_id="100")
    with serve_many(["vm1", "vm2"], state_dir, password=PASSWORD) as sims:
        yield sims


# The mutation timeout leaves room for a loaded CI machine; the hang fault below outlasts it.
ENV = {"PRAHO_SERVERS_VM1_PASSWORD": PASSWORD, "PRAHO_SERVERS_VM2_PASSWORD": PASSWORD,
       "PRAHO_VIRTUALMIN_TIMEOUT_SECONDS": "5", "PRAHO_VIRTUALMIN_MUTATION_TIMEOUT_SECONDS": "4"}


@pytest.fixture
def h(cli_any: Any, fleet: Any, acme_with_servers: SetUpHosting) -> Any:
    """The CLI on SQLite and on PostgreSQL in turn, with the two simulated servers registered."""

    def run(*args: str, factory: Any = None, env: dict[str, str] | None = None) -> Any:
        return cli_any(*args, env={**ENV, **(env or {})}, transport_factory=factory)

    acme_with_servers(run, {sim.name: ["--url", sim.url, "--max-domains", "5"] for sim in fleet})
    return run


def create(h: Any, domain: str, *extra: str, factory: Any = None) -> Any:
    return h("accounts", "create", domain, "--customer", "billing@acme.ro", "--server", "vm1", "-o", "json",
             "--show-password",
             *extra, factory=factory)


def job_of(h: Any, domain: str) -> dict[str, Any]:
    return [j for j in h("accounts", "jobs", "list", "-o", "json").json() if j["domain"] == domain][-1]


def no_orphans(h: Any, fleet: Any) -> None:
    """No domain on a server that the ledger lacks, and no active account a server lacks."""
    ledger = {a["domain"]: a for a in h("accounts", "list", "-o", "json").json()}
    for sim in fleet:
        remote = {d["name"] for d in sim.state.domains()}
        for name in remote:
            assert name in ledger and ledger[name]["server"] == sim.name, f"orphan {name} on {sim.name}"
        for account in ledger.values():
            if account["server"] == sim.name and account["status"] == "active":
                assert account["domain"] in remote


def test_lost_reply_is_resolved_by_reading_back(h: Any, fleet: Any) -> None:
    fleet["vm1"].set_faults([Fault("lost_reply", programs=("create-domain",), times=1)])
    r = create(h, "shop.ro")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "active"
    assert [d["name"] for d in fleet["vm1"].state.domains()] == ["shop.ro"]
    steps = job_of(h, "shop.ro")["steps"]
    assert {"step": "create_domain", "status": "done", "rollback": "delete_domain",
            "detail": "confirmed by reading the domain back"} in steps
    assert fleet["vm1"].stats()["by_program"]["create-domain"] == 1  # never repeated
    no_orphans(h, fleet)


def later(cli: Any, minutes: float) -> None:
    """Move the in-process CLI's clock ``minutes`` past the fixed clock."""
    from datetime import timedelta

    from tests.conftest import FIXED_NOW

    cli.clock = lambda: FIXED_NOW + timedelta(minutes=minutes)


def test_a_timed_out_create_stays_unknown_until_a_later_resume_finds_it_absent(h: Any, fleet: Any,
                                                                             cli_any: Any) -> None:
    # The create times out (hang: the server never runs it) and the domain is absent when read back at
    # once: a create Virtualmin goes on with could still appear, so nothing is concluded yet.
    fleet["vm1"].set_faults([Fault("hang", programs=("create-domain",), seconds=6, times=1)])
    r = create(h, "shop.ro")
    assert r.exit_code == 69
    job = job_of(h, "shop.ro")
    assert r.stderr == (f"error: shop.ro: the create's outcome is unknown (vm1: no reply to create-domain within "
                        f"4s; it may still complete, re-read the state before retrying; not on the server yet); run praho accounts jobs resume {job['id']} once the server "
                        "has had time to finish it\n")
    assert job["status"] == "unknown"
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "provisioning"
    assert h("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 1  # held while unknown
    fleet["vm1"].set_faults([])
    early = h("accounts", "jobs", "resume", job["id"], "-o", "json")
    assert early.exit_code == 5
    assert early.stderr == (f"error: job {job['id']}: shop.ro is not on vm1 yet, but the create may still be "
                            "running there; resume again after 2026-11-26T10:05:00Z\n")
    assert job_of(h, "shop.ro")["status"] == "unknown"
    later(cli_any, 6)
    resumed = h("accounts", "jobs", "resume", job["id"], "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.json()["status"] == "failed"
    account = h("accounts", "show", "shop.ro", "-o", "json").json()
    assert account["status"] == "error"
    assert h("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 0
    assert fleet["vm1"].state.domains() == []
    no_orphans(h, fleet)
    # A new attempt reuses the error row and succeeds.
    again = create(h, "shop.ro")
    assert again.exit_code == 0 and again.json()["status"] == "active"
    assert len([j for j in h("accounts", "jobs", "list", "-o", "json").json() if j["domain"] == "shop.ro"]) == 2


class FailAfterCreate:
    """Virtualmin creates the domain, then a later feature step fails: the call reports failure but
    the domain exists. Optionally the rollback's delete fails too."""

    def __init__(self, inner: Any, fail_delete: bool = False) -> None:
        self.inner, self.server, self.fail_delete = inner, inner.server, fail_delete

    def call(self, program: str, params: Any, *, mutating: bool) -> Any:
        if program == "delete-domain" and self.fail_delete:
            raise PrahoFailure.of(ErrorCode.REMOTE_FAILED, f"{self.server}: Failed to lock file")
        reply = self.inner.call(program, params, mutating=mutating)
        if program == "create-domain":
            raise PrahoFailure.of(ErrorCode.REMOTE_FAILED, f"{self.server}: Setting up Apache website failed")
        return reply

    def close(self) -> None:
        self.inner.close()


def _factory(fail_delete: bool) -> Any:
    from praho_cli.virtualmin.transport import open_transport

    return lambda conn: FailAfterCreate(open_transport(conn), fail_delete)


def test_create_failing_after_domain_exists_is_rolled_back(h: Any, fleet: Any) -> None:
    r = create(h, "shop.ro", factory=_factory(False))
    assert r.exit_code == 69
    assert "Setting up Apache website failed" in r.stderr
    assert fleet["vm1"].state.domains() == []  # the rollback deleted it
    job = job_of(h, "shop.ro")
    assert [(s["step"], s["status"]) for s in job["steps"]] == [
        ("reserve_slot", "done"), ("preflight", "done"), ("create_domain", "unknown"),
        ("rollback:delete_domain", "done"), ("rollback:release_slot", "done")]
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "error"
    no_orphans(h, fleet)


def test_rollback_continues_past_a_failed_step(h: Any, fleet: Any) -> None:
    r = create(h, "shop.ro", factory=_factory(True))
    assert r.exit_code == 69 and "a rollback step failed" in r.stderr
    job = job_of(h, "shop.ro")
    assert [(s["step"], s["status"]) for s in job["steps"]][-2:] == [
        ("rollback:delete_domain", "failed"), ("rollback:release_slot", "done")]
    assert h("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 0
    # the ledger tells the truth: error, not active, and the leftover domain is visible on vm1
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "error"
    # ... and drift reports it: the ledger's failed create left a domain behind
    scan = h("drift", "scan", "--exit-code", "-o", "json")
    assert scan.exit_code == 7
    [found] = scan.json()
    assert (found["kind"], found["domain"], found["ledger_state"]["status"], found["virtualmin_state"]["status"]) == (
        "status_mismatch", "shop.ro", "error", "enabled")
    push = h("drift", "resolve", found["id"], "--push", "--yes", "-o", "json")
    assert push.exit_code == 6 and push.json()[0]["outcome"] == "refused"
    adopted = h("drift", "resolve", found["id"], "--adopt", "--yes", "-o", "json")
    assert adopted.exit_code == 0, adopted.stderr
    account = h("accounts", "show", "shop.ro", "-o", "json").json()
    assert (account["status"], account["error_reason"]) == ("active", None)
    assert h("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 1
    assert h("drift", "scan", "--exit-code").exit_code == 0


def test_unknown_outcome_then_resume(h: Any, fleet: Any) -> None:
    # Create's reply is lost and the read-back fails too: the job stays unknown until resumed.
    # Pre-flight makes one list-domains call; the read-back (and its transport retries) come after.
    fleet["vm1"].set_faults([Fault("lost_reply", programs=("create-domain",), times=1),
                             Fault("http_error", status=503, programs=("list-domains",), after=1, times=4)])
    r = create(h, "shop.ro")
    assert r.exit_code == 69 and "accounts jobs resume" in r.stderr
    job = job_of(h, "shop.ro")
    assert job["status"] == "unknown"
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "provisioning"
    fleet["vm1"].set_faults([])
    resumed = h("accounts", "jobs", "resume", job["id"], "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.json()["status"] == "succeeded"
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "active"
    assert fleet["vm1"].stats()["by_program"]["create-domain"] == 1
    no_orphans(h, fleet)


def test_resume_when_the_domain_turns_out_absent_fails_and_says_how_to_retry(h: Any, fleet: Any,
                                                                            cli_any: Any) -> None:
    # The create times out without running (hang) and the read-back fails too: outcome unknown.
    fleet["vm1"].set_faults([Fault("hang", programs=("create-domain",), seconds=6, times=1),
                             Fault("http_error", status=503, programs=("list-domains",), after=1, times=4)])
    r = create(h, "shop.ro", "--plan", "Gold")
    assert r.exit_code == 69 and "accounts jobs resume" in r.stderr
    job = job_of(h, "shop.ro")
    assert job["status"] == "unknown"
    assert h("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 1  # held while unknown
    fleet["vm1"].set_faults([])
    later(cli_any, 6)  # absent is final once a create still running would have finished
    resumed = h("accounts", "jobs", "resume", job["id"], "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    row = resumed.json()
    retry = "praho accounts create shop.ro --customer 1 --plan Gold --server vm1"
    assert row["status"] == "failed"
    assert row["error"] == ("shop.ro was not created on vm1 (absent when read back); the password is never "
                            f"stored, so this attempt cannot be replayed: retry with `{retry}`")
    assert f"Job {job['id']} (shop.ro) failed: " in resumed.stderr and retry in resumed.stderr
    assert [(s["step"], s["status"]) for s in row["steps"]][-3:] == [
        ("create_domain", "failed"), ("resume", "done"), ("rollback:release_slot", "done")]
    account = h("accounts", "show", "shop.ro", "-o", "json").json()
    assert (account["status"], account["error_reason"]) == ("error", row["error"])
    assert h("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 0
    assert fleet["vm1"].state.domains() == []
    # Resuming a settled job changes nothing.
    assert h("accounts", "jobs", "resume", job["id"], "-o", "json").json() == row
    # The suggested command makes a fresh attempt on the same account row.
    again = h(*retry.split()[1:], "-o", "json", "--show-password")  # no terminal here to show the password
    assert again.exit_code == 0, again.stderr
    assert (again.json()["status"], again.json()["id"], again.json()["server"]) == ("active", account["id"], "vm1")
    assert fleet["vm1"].stats()["by_program"]["create-domain"] == 2
    no_orphans(h, fleet)


def test_suspend_remote_failure_leaves_ledger_truthful(h: Any, fleet: Any) -> None:
    assert create(h, "shop.ro").exit_code == 0
    fleet["vm1"].set_faults([Fault("http_error", status=500, programs=("disable-domain",))])
    r = h("accounts", "suspend", "shop.ro", "--reason", "x")
    assert r.exit_code == 69
    account = h("accounts", "show", "shop.ro", "-o", "json").json()
    assert (account["status"], account["pending_op"]) == ("active", None)


def test_health_checks_count_failures_and_recover(h: Any, fleet: Any) -> None:
    fleet["vm2"].set_faults([Fault("http_error", status=503)])
    for expected in (1, 2):
        r = h("servers", "check", "vm2", "-o", "json")
        assert r.exit_code == 69  # one named server: its own failure's code, not the batch's 6
        assert r.json()[0]["consecutive_failures"] == expected and r.json()[0]["status"] == "active"
    r = h("servers", "check", "vm2", "-o", "json")
    assert r.json()[0]["status"] == "failed"  # third failure: the threshold
    fleet["vm2"].set_faults([])
    r = h("servers", "check", "vm2", "-o", "json")
    assert r.exit_code == 0 and r.json()[0]["status"] == "active" and r.json()[0]["health"] == "ok"
    # an operator's status is never overridden by checks
    h("servers", "update", "vm2", "--status", "failed")
    assert h("servers", "check", "vm2", "-o", "json").json()[0]["status"] == "failed"


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_one_named_server_exits_with_its_own_failure_code(h: Any, fleet: Any) -> None:
    """A wrong password is 77 and an unreachable server 69 for `servers check NAME` (and sync-stats);
    the batch code 6 is for several servers or --all."""
    url = f"https://127.0.0.1:{_closed_port()}"
    assert h("servers", "add", "vmgone", "--url", url, "--max-domains", "5", "--no-check").exit_code == 0
    gone = {"PRAHO_SERVERS_VMGONE_PASSWORD": PASSWORD}
    wrong = {**gone, "PRAHO_SERVERS_VM2_PASSWORD": "not-the-password"}
    for verb in ("check", "sync-stats"):
        r = h("servers", verb, "vm2", "-o", "json", env=wrong)
        assert r.exit_code == 77, r.stderr
        assert r.json()[0]["error_code"] == "remote_auth"
        assert r.stderr == "error: vm2: Webmin refused the credentials (HTTP 401)\n"
        assert PASSWORD not in r.stderr and "not-the-password" not in r.stderr
        r = h("servers", verb, "vmgone", "-o", "json", env=gone)
        assert r.exit_code == 69, r.stderr
        assert r.json()[0]["error_code"] == "remote_unavailable"
        assert r.stderr.startswith("error: vmgone: ") and r.stderr.count("vmgone") == 1
        assert r.stderr.count("\n") == 1
        r = h("servers", verb, "vm1", "vmgone", env=gone)
        assert r.exit_code == 6 and r.stderr == "error: 1 of 2 server(s) failed: vmgone\n"
        r = h("servers", verb, "--all", env=gone)
        assert r.exit_code == 6 and r.stderr == "error: 1 of 3 server(s) failed: vmgone\n"


def test_sync_stats_counts_domains(h: Any, fleet: Any) -> None:
    fleet["vm2"].state.seed_domains(["a.ro", "b.ro"])
    r = h("servers", "sync-stats", "vm2", "-o", "json")
    assert r.exit_code == 0
    assert r.json()[0]["remote_domains"] == 2 and r.json()[0]["current_domains"] == 2


WORKER_ENV_KEYS = ("PRAHO_DATABASE_URL", "HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")


@pytest.mark.slow
def test_twenty_processes_ten_slots(cli_any: Any, fleet: Any) -> None:
    cli = cli_any
    from tests.conftest import FIXED_NOW, praho_popen  # noqa: F401

    base = cli.env(**ENV)
    run = lambda *a: cli(*a, env=ENV)  # noqa: E731
    assert run("customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro").exit_code == 0
    for sim in fleet:
        assert run("servers", "add", sim.name, "--url", sim.url, "--max-domains", "5").exit_code == 0
    # the processes run on the fixed clock too (PRAHO_NOW): their health check is fresh for them
    # 20 interpreters on a small CI machine: a writer may wait its turn for longer than the default 30 s.
    env = {**base, "PRAHO_VIRTUALMIN_MUTATION_TIMEOUT_SECONDS": "60", "PRAHO_SQLITE_BUSY_TIMEOUT_MS": "180000"}
    done = praho_popen(["servers", "check", "--all"], env)
    assert done.wait(60) == 0
    procs = [praho_popen(["accounts", "create", f"site{i}.ro", "--customer", "billing@acme.ro", "-o", "json",
                          "--show-password"], env)
             for i in range(20)]
    outputs = [p.communicate(timeout=300) for p in procs]
    results = [(p.returncode, out, err) for p, (out, err) in zip(procs, outputs, strict=True)]
    ok = [json.loads(out) for code, out, _ in results if code == 0]
    refused = [err for code, _out, err in results if code == 5]
    assert len(ok) == 10, [r[2] for r in results if r[0] not in (0, 5)]
    assert len(refused) == 10 and all("no server can host this account" in e for e in refused)
    assert len({row["username"] for row in ok}) == 10
    per_server = {sim.name: len(sim.state.domains()) for sim in fleet}
    assert per_server == {"vm1": 5, "vm2": 5}
    servers = {s["name"]: s["current_domains"] for s in run("servers", "list", "-o", "json").json()}
    assert servers == {"vm1": 5, "vm2": 5}
    assert sys.executable


def test_a_create_that_outlasts_its_timeout_as_real_processes_is_settled_by_resume(
        h: Any, fleet: Any, cli_any: Any) -> None:
    from tests.conftest import praho_process

    env = cli_any.env(**{**ENV, "PRAHO_VIRTUALMIN_MUTATION_TIMEOUT_SECONDS": "1"})
    # Virtualmin takes 15 s over the create (long enough for the early resume below to start before it
    # ends, even on a loaded machine); the client gives up after 1 s.
    fleet["vm1"].set_faults([Fault("latency", programs=("create-domain",), seconds=15, times=1)])
    r = praho_process(["accounts", "create", "shop.ro", "--customer", "1", "--server", "vm1", "--show-password"], env)
    assert r.returncode == 69, r.stderr
    assert "the create's outcome is unknown" in r.stderr and "accounts jobs resume" in r.stderr
    job = job_of(h, "shop.ro")
    assert job["status"] == "unknown"
    early = praho_process(["accounts", "jobs", "resume", job["id"]], env)
    assert early.returncode == 5 and "may still be running there" in early.stderr
    import time

    deadline = time.monotonic() + 60
    while fleet["vm1"].state.domain("shop.ro") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert fleet["vm1"].state.domain("shop.ro") is not None  # the create went on after the timeout
    settled = praho_process(["accounts", "jobs", "resume", job["id"], "-o", "json"], env)
    assert settled.returncode == 0, settled.stderr
    assert json.loads(settled.stdout)["status"] == "succeeded"
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "active"
    assert fleet["vm1"].stats()["by_program"]["create-domain"] == 1
    no_orphans(h, fleet)


def _start_slow_create(h: Any, fleet: Any, cli_any: Any) -> tuple[Any, dict[str, Any], dict[str, str]]:
    """A create as a real process, held inside create-domain (Virtualmin takes 15 s over it)."""
    import time

    from tests.conftest import praho_popen

    env = cli_any.env(**{**ENV, "PRAHO_VIRTUALMIN_MUTATION_TIMEOUT_SECONDS": "60"})
    fleet["vm1"].set_faults([Fault("latency", programs=("create-domain",), seconds=15, times=1)])
    proc = praho_popen(["accounts", "create", "shop.ro", "--customer", "1", "--server", "vm1", "--show-password"],
                       env)
    deadline = time.monotonic() + 30
    jobs: list[dict[str, Any]] = []
    while not jobs and time.monotonic() < deadline:
        time.sleep(0.2)
        jobs = [j for j in h("accounts", "jobs", "list", "-o", "json").json() if j["domain"] == "shop.ro"]
    assert jobs, "the create never recorded its intent"
    time.sleep(2)  # past pre-flight, into create-domain
    return proc, jobs[0], env


def _wait_for_domain(fleet: Any) -> None:
    import time

    deadline = time.monotonic() + 60
    while fleet["vm1"].state.domain("shop.ro") is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert fleet["vm1"].state.domain("shop.ro") is not None  # Virtualmin finished the create regardless


def test_an_interrupted_create_names_the_resume_to_run_and_resume_all_settles_it(
        h: Any, fleet: Any, cli_any: Any) -> None:
    import signal

    from tests.conftest import praho_process

    proc, job, env = _start_slow_create(h, fleet, cli_any)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert (f"shop.ro: interrupted before the create finished; run praho accounts jobs resume {job['id']} "
            "to settle it from the server's state") in err
    left = job_of(h, "shop.ro")
    assert left["status"] == "unknown" and left["error"] == "outcome unknown: interrupted"
    assert [(s["step"], s["status"]) for s in left["steps"]][-1] == ("create_domain", "unknown")
    _wait_for_domain(fleet)
    settled = praho_process(["accounts", "jobs", "resume", "--all", "-o", "json"], env)
    assert settled.returncode == 0, settled.stderr
    assert [(r["id"], r["status"]) for r in json.loads(settled.stdout)] == [(job["id"], "succeeded")]
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "active"
    assert fleet["vm1"].stats()["by_program"]["create-domain"] == 1
    no_orphans(h, fleet)


def test_a_job_whose_process_is_gone_is_picked_up_at_once(h: Any, fleet: Any, cli_any: Any) -> None:
    import signal

    from tests.conftest import praho_process

    proc, job, env = _start_slow_create(h, fleet, cli_any)
    # While its process lives, the job is that process's: resume refuses, --all leaves it alone.
    busy = praho_process(["accounts", "jobs", "resume", job["id"]], env)
    assert busy.returncode == 75, busy.stderr
    assert (f"job {job['id']}: its create is still running in another process; resume it once that process "
            "has ended") in busy.stderr
    alone = praho_process(["accounts", "jobs", "resume", "--all", "-o", "json"], env)
    assert (alone.returncode, json.loads(alone.stdout)) == (0, []), alone.stderr
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    assert job_of(h, "shop.ro")["status"] == "pending"  # killed: nothing recorded the outcome
    # At once (no 15-minute wait): its lease shows the process dead. The create may still be running on
    # the server, so an absent domain is not final yet ...
    early = praho_process(["accounts", "jobs", "resume", "--all", "-o", "json"], env)
    if fleet["vm1"].state.domain("shop.ro") is None:
        assert (early.returncode, json.loads(early.stdout)) == (0, []), early.stderr
        assert "may still be running there; resume again after" in early.stderr
        _wait_for_domain(fleet)
        early = praho_process(["accounts", "jobs", "resume", "--all", "-o", "json"], env)
    # ... and once the domain is there, the job succeeds.
    assert early.returncode == 0, early.stderr
    assert [(r["id"], r["status"]) for r in json.loads(early.stdout)] == [(job["id"], "succeeded")]
    assert h("accounts", "show", "shop.ro", "-o", "json").json()["status"] == "active"
    no_orphans(h, fleet)


def test_jobs_resume_needs_a_job_or_all(h: Any) -> None:
    r = h("accounts", "jobs", "resume")
    assert (r.exit_code, r.stderr) == (2, "error: give a job id, or --all\n")
    r = h("accounts", "jobs", "resume", "7", "--all")
    assert (r.exit_code, r.stderr) == (2, "error: give a job id or --all, not both\n")
    r = h("accounts", "jobs", "resume", "--all")
    assert (r.exit_code, r.stderr) == (0, "No job to resume\n")
