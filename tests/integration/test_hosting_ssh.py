"""Accounts and host-key trust through the real `praho` CLI path over SSH: a real OpenSSH sshd on a
loopback port runs the simulator's `virtualmin` command on a state file (tests/integration/sshd.py)."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from praho_cli.result import PrahoFailure
from praho_cli.virtualmin.simulator import Fault, SimState
from tests.conftest import SetUpHosting, table_dump

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sshd import Sshd, keygen, openssh_fingerprint, sshd_workdir, start_with_simulator

pytestmark = pytest.mark.sshd

SERVER = "vmssh"
# Short timeouts keep the fault tests quick; creates on the simulator take well under a second.
ENV = {"PRAHO_VIRTUALMIN_TIMEOUT_SECONDS": "20", "PRAHO_VIRTUALMIN_MUTATION_TIMEOUT_SECONDS": "20"}


@pytest.fixture(scope="module")
def sshd_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sshd_workdir(tmp_path_factory, "hosting-sshd")


@pytest.fixture(scope="module")
def module_state(sshd_dir: Path) -> SimState:
    return SimState(sshd_dir / "state.json")


@pytest.fixture(scope="module")
def daemon(sshd_dir: Path, module_state: SimState) -> Iterator[Sshd]:
    server = start_with_simulator(sshd_dir, module_state.path)
    yield server
    server.stop()


@pytest.fixture
def state(module_state: SimState) -> Iterator[SimState]:
    module_state.set_faults([])
    with module_state.mutate() as doc:
        doc["domains"] = []
        doc["plans"] = [p for p in doc["plans"] if p["name"] != "Gold"]
    module_state.add_plan("Gold", plan_id="100")
    yield module_state
    module_state.set_faults([])


class Hosting:
    def __init__(self, cli: Any, daemon: Sshd, state: SimState) -> None:
        self.cli, self.daemon, self.state = cli, daemon, state

    def __call__(self, *args: str, factory: Any = None, **env: str) -> Any:
        return self.cli(*args, env={**ENV, **env}, transport_factory=factory)

    def server_options(self, *extra: str, known_hosts: Path | None = None) -> list[str]:
        options = ["--ssh", f"root@127.0.0.1:{self.daemon.port}", "--ssh-key", str(self.daemon.client_key),
                   "--max-domains", "5", *extra]
        if known_hosts is not None:
            options += ["--known-hosts", str(known_hosts)]
        return options

    def add_server(self, *extra: str, known_hosts: Path | None = None) -> Any:
        return self("servers", "add", SERVER, *self.server_options(*extra, known_hosts=known_hosts), "-o", "json")

    def remote(self) -> dict[str, dict[str, Any]]:
        return {d["name"]: d for d in self.state.domains()}


@pytest.fixture
def h(cli: Any, daemon: Sshd, state: SimState, acme_with_servers: SetUpHosting) -> Hosting:
    hosting = Hosting(cli, daemon, state)
    [checked] = acme_with_servers(hosting, {SERVER: hosting.server_options(known_hosts=daemon.known_hosts)})
    assert checked["health"] == "ok"
    assert hosting("servers", "show", SERVER, "-o", "json").json()["endpoint"] == f"ssh://root@127.0.0.1:{daemon.port}"
    return hosting


def create(h: Hosting, domain: str, *extra: str, **env: str) -> Any:
    return h("accounts", "create", domain, "--customer", "billing@acme.ro", "-o", "json", "--show-password", *extra,
             **env)


def account(h: Hosting, domain: str) -> dict[str, Any]:
    r = h("accounts", "show", domain, "-o", "json")
    assert r.exit_code == 0, r.stderr
    return dict(r.json())


def job_of(h: Hosting, domain: str) -> dict[str, Any]:
    return [j for j in h("accounts", "jobs", "list", "-o", "json").json() if j["domain"] == domain][-1]


def slots(h: Hosting) -> int:
    return int(h("servers", "show", SERVER, "-o", "json").json()["current_domains"])


def no_orphans(h: Hosting) -> None:
    """No domain on the server that the ledger lacks, and no active account the server lacks."""
    ledger = {a["domain"]: a for a in h("accounts", "list", "-o", "json").json()}
    remote = h.remote()
    for name in remote:
        assert name in ledger, f"orphan {name} on the server"
    for row in ledger.values():
        if row["status"] in ("active", "suspended"):
            assert row["domain"] in remote, f"{row['domain']} is {row['status']} but absent on the server"


# ------------------------------------------------------------------ lifecycle


def test_create_and_full_lifecycle_over_ssh(h: Hosting) -> None:
    r = create(h, "shop.ro", "--plan", "Gold", "--protect")
    assert r.exit_code == 0, r.stderr
    row = r.json()
    assert (row["server"], row["username"], row["status"], row["plan"]) == (SERVER, "shop", "active", "Gold")
    remote = h.remote()["shop.ro"]
    assert (remote["user"], remote["disabled"], remote["plan_id"]) == ("shop", None, "100")
    assert slots(h) == 1

    r = h("accounts", "suspend", "shop.ro", "--reason", "unpaid invoice", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert (r.json()["status"], r.json()["suspend_reason"]) == ("suspended", "unpaid invoice")
    assert h.remote()["shop.ro"]["disabled"]
    # Already suspended: succeeds without touching Virtualmin. A fault on disable-domain proves no call.
    h.state.set_faults([Fault("drop", programs=("disable-domain",))])
    again = h("accounts", "suspend", "shop.ro", "--reason", "unpaid invoice", "-o", "json")
    assert again.exit_code == 0, again.stderr
    assert again.json()["version"] == r.json()["version"]
    h.state.set_faults([])

    r = h("accounts", "unsuspend", "shop.ro", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert (r.json()["status"], r.json()["suspend_reason"]) == ("active", None)
    assert not h.remote()["shop.ro"]["disabled"]

    # Delete refuses an active account, then a protected one.
    r = h("accounts", "delete", "shop.ro", "--yes")
    assert r.exit_code == 5 and "is protected" in r.stderr

    r = h("accounts", "terminate", "shop.ro", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "terminated"
    assert h.remote()["shop.ro"]["disabled"]  # terminated keeps the domain, suspended

    r = h("accounts", "delete", "shop.ro", "--yes")
    assert r.exit_code == 5 and "is protected" in r.stderr
    assert "shop.ro" in h.remote()
    assert h("accounts", "unprotect", "shop.ro", "--yes").exit_code == 0
    r = h("accounts", "delete", "shop.ro", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "deleted"
    assert h.remote() == {}
    assert h("accounts", "show", "shop.ro").exit_code == 4
    assert slots(h) == 0
    events = [e["action"] for e in h("audit", "list", "-o", "json").json()]
    for action in ("account.suspend", "account.unsuspend", "account.terminate", "account.unprotect",
                   "account.delete"):
        assert events.count(action) == 1, action


def test_unsuspend_of_active_changes_nothing_and_terminated_refuses_both(h: Hosting) -> None:
    # Unsuspending an active account is a repeat of an operation already in effect: it succeeds at
    # once, changing nothing in the ledger and calling nothing on the server (docs/provisioning.md).
    assert create(h, "shop.ro").exit_code == 0
    ledger, remote = table_dump(h.cli.database_url), h.remote()
    r = h("accounts", "unsuspend", "shop.ro", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["status"] == "active"
    assert table_dump(h.cli.database_url) == ledger and h.remote() == remote
    assert h("accounts", "terminate", "shop.ro", "--yes").exit_code == 0
    r = h("accounts", "suspend", "shop.ro", "--reason", "x")
    assert r.exit_code == 5 and "only active accounts can be suspended" in r.stderr
    r = h("accounts", "unsuspend", "shop.ro")
    assert r.exit_code == 5 and "only suspended accounts can be unsuspended" in r.stderr


# ------------------------------------------------------------------ pre-flight


def test_preflight_rejections_over_ssh(h: Hosting) -> None:
    h.state.seed_domains(["taken.ro", "legacy.ro"])
    r = create(h, "taken.ro")
    assert r.exit_code == 5
    assert f"pre-flight: taken.ro is already hosted on {SERVER}" in r.stderr
    assert account(h, "taken.ro")["status"] == "error"

    r = create(h, "plan.ro", "--plan", "Platinum")
    assert r.exit_code == 5 and f"plan 'Platinum' does not exist on {SERVER}" in r.stderr

    r = create(h, "tpl.ro", "--template", "Nope")
    assert r.exit_code == 5 and f"template 'Nope' does not exist on {SERVER}" in r.stderr

    # legacy.ro's owner exists only on the server, not in the ledger.
    owner = h.remote()["legacy.ro"]["user"]
    assert owner == "legacy"
    r = create(h, "other.ro", "--username", owner)
    assert r.exit_code == 5 and f"username {owner} is already used on {SERVER}" in r.stderr

    # Every rejected attempt released its slot and left nothing on the server.
    assert slots(h) == 0
    assert set(h.remote()) == {"taken.ro", "legacy.ro"}
    for domain in ("plan.ro", "tpl.ro", "other.ro"):
        job = job_of(h, domain)
        assert job["status"] == "failed"
        assert [s["step"] for s in job["steps"]] == ["reserve_slot", "preflight", "rollback:release_slot"]


# ------------------------------------------------------------------ rollback and unknown outcomes


def test_command_dying_after_the_domain_exists_is_rolled_back_over_ssh(h: Hosting) -> None:
    # The simulator's lost_reply over SSH: create-domain creates the domain, then the command exits 255
    # with no output, as a Perl die in a late feature step does. Exit status is the verdict over SSH
    # (docs/virtualmin-protocol.md §3), so this is a definite failure: the recorded delete_domain rollback
    # removes the domain.
    h.state.set_faults([Fault("lost_reply", programs=("create-domain",), seconds=0.1, times=1)])
    r = create(h, "shop.ro")
    assert r.exit_code == 69
    assert h.remote() == {}
    job = job_of(h, "shop.ro")
    assert job["status"] == "failed"
    assert [(s["step"], s["status"]) for s in job["steps"]] == [
        ("reserve_slot", "done"), ("preflight", "done"), ("create_domain", "unknown"),
        ("rollback:delete_domain", "done"), ("rollback:release_slot", "done")]
    assert account(h, "shop.ro")["status"] == "error"
    assert slots(h) == 0
    no_orphans(h)


def test_a_timed_out_create_over_ssh_stays_unknown_until_a_later_resume_finds_it_absent(h: Hosting) -> None:
    # hang: the command sleeps past the mutation timeout and never creates anything; the client cannot
    # tell that from a create still running, so the job stays unknown until resume reads the server later.
    from datetime import timedelta

    from tests.conftest import FIXED_NOW

    h.state.set_faults([Fault("hang", programs=("create-domain",), seconds=6, times=1)])
    r = create(h, "shop.ro", PRAHO_VIRTUALMIN_MUTATION_TIMEOUT_SECONDS="2")
    assert r.exit_code == 69 and "accounts jobs resume" in r.stderr
    assert h.remote() == {}
    job = job_of(h, "shop.ro")
    assert job["status"] == "unknown"
    assert account(h, "shop.ro")["status"] == "provisioning"
    assert slots(h) == 1
    h.state.set_faults([])
    assert h("accounts", "jobs", "resume", job["id"]).exit_code == 5  # too early to call it absent
    h.cli.clock = lambda: FIXED_NOW + timedelta(minutes=6)
    resumed = h("accounts", "jobs", "resume", job["id"], "-o", "json")
    assert resumed.exit_code == 0, resumed.stderr
    assert [(s["step"], s["status"]) for s in resumed.json()["steps"]][-3:] == [
        ("create_domain", "failed"), ("resume", "done"), ("rollback:release_slot", "done")]
    assert account(h, "shop.ro")["status"] == "error"
    assert slots(h) == 0
    no_orphans(h)
    again = create(h, "shop.ro")
    assert again.exit_code == 0, again.stderr
    assert again.json()["status"] == "active"
    no_orphans(h)


# ------------------------------------------------------------------ host keys


def _reload_with_new_host_key(daemon: Sshd) -> None:
    """Give the running sshd a new host key: SIGHUP makes sshd re-execute itself with the same
    options, so it reloads the key while keeping its port."""
    for path in (daemon.host_key, Path(f"{daemon.host_key}.pub")):
        path.unlink()
    keygen(daemon.host_key)
    os.kill(daemon.process.pid, signal.SIGHUP)
    from praho_cli.services.hosting.host_keys import fetch_host_key

    wanted = openssh_fingerprint(daemon.host_key)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if fetch_host_key("127.0.0.1", daemon.port, timeout=2)[2] == wanted:
                return
        except PrahoFailure:
            pass
        time.sleep(0.1)
    raise AssertionError(f"sshd did not reload its host key: {daemon.log()}")


@pytest.fixture
def own_daemon(tmp_path: Path, module_state: SimState) -> Iterator[Sshd]:
    """An sshd of this test's own: its host key is replaced during the test."""
    server = start_with_simulator(tmp_path, module_state.path)  # the module's sshd_dir fixture checked sshd
    yield server
    server.stop()


def test_trust_records_the_host_key_and_a_changed_key_is_refused(
    cli: Any, own_daemon: Sshd, state: SimState, tmp_path: Path
) -> None:
    h = Hosting(cli, own_daemon, state)
    known = tmp_path / "trust" / "known_hosts"
    r = h.add_server(known_hosts=known)
    assert r.exit_code == 0, r.stderr
    fingerprint = openssh_fingerprint(own_daemon.host_key)

    # Unknown key: refused, with the fingerprint to verify; nothing recorded silently.
    r = h("servers", "check", SERVER, "-o", "json")
    assert r.exit_code == 77  # one named server: its own failure (host key refused), not 6
    error = r.json()[0]["error"]
    assert "unknown SSH host key" in error and fingerprint in error
    assert not known.exists()

    # Without --yes and without a terminal, trust needs a confirmation it cannot get.
    r = h("servers", "trust", SERVER)
    assert r.exit_code == 3
    assert fingerprint in r.stderr
    assert not known.exists()

    r = h("servers", "trust", SERVER, "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert fingerprint in r.stderr
    assert r.json()["host_key_fingerprint"] == fingerprint
    kind, blob = Path(f"{own_daemon.host_key}.pub").read_text().split()[:2]
    assert known.read_text() == f"[127.0.0.1]:{own_daemon.port} {kind} {blob}\n"
    assert oct(known.stat().st_mode & 0o777) == "0o600"
    r = h("servers", "check", SERVER, "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["health"] == "ok"
    assert h("customers", "add", "--name", "Acme SRL", "--email", "billing@acme.ro").exit_code == 0
    assert create(h, "shop.ro").exit_code == 0

    # The server now presents another key: every connection is refused, naming both keys.
    _reload_with_new_host_key(own_daemon)
    new_fingerprint = openssh_fingerprint(own_daemon.host_key)
    r = h("servers", "check", SERVER, "-o", "json")
    assert r.exit_code == 77
    error = r.json()[0]["error"]
    assert "CHANGED" in error and new_fingerprint in error and fingerprint in error
    r = h("accounts", "suspend", "shop.ro", "--reason", "x")
    assert r.exit_code == 77 and "CHANGED" in r.stderr
    assert account(h, "shop.ro")["status"] == "active"
    assert not h.remote()["shop.ro"]["disabled"]
    events = [e["action"] for e in h("audit", "list", "-o", "json").json()]
    assert events.count("server.trust") == 1
