"""accounts: create with placement and pre-flight, lifecycle, protection, jobs, apply — on the
simulator's virtualmin command run in-process (no network)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SetUpHosting
from tests.unit.hosting.simfleet import LocalFleet


class Hosting:
    def __init__(self, cli: Any, fleet: LocalFleet) -> None:
        self.cli = cli
        self.fleet = fleet

    def __call__(self, *args: str, **kwargs: Any) -> Any:
        return self.cli(*args, transport_factory=self.fleet.factory, **kwargs)


@pytest.fixture
def hosting(cli: Any, tmp_path: Path, acme_with_servers: SetUpHosting) -> Hosting:
    h = Hosting(cli, LocalFleet(tmp_path / "sim"))
    acme_with_servers(h, {name: ["--url", f"https://{name}.hosting.ro:10000", "--max-domains", cap, "--region", "buc"]
                          for name, cap in (("vm1", "2"), ("vm2", "3"))})
    return h


def create(h: Hosting, domain: str, *extra: str) -> Any:
    """Without a terminal a generated password needs a destination: JSON, unless the test gives one."""
    deliver = () if {"--password-file", "--show-password"} & set(extra) else ("--show-password",)
    return h("accounts", "create", domain, "--customer", "billing@acme.ro", "-o", "json", *deliver, *extra)


def test_create_places_on_least_used_percentage_and_is_active(hosting: Hosting) -> None:
    first = create(hosting, "shop.ro", "--plan", "Gold")
    assert first.exit_code == 0, first.stderr
    row = first.json()
    # vm1 and vm2 both empty: tie on 0 %, then the name decides.
    assert (row["server"], row["username"], row["status"], row["plan"]) == ("vm1", "shop", "active", "Gold")
    second = create(hosting, "blog.ro").json()
    assert second["server"] == "vm2"  # vm1 at 50 %, vm2 at 0 %
    third = create(hosting, "cafe.ro").json()
    assert third["server"] == "vm2"  # vm1 50 %, vm2 33 %
    assert set(hosting.fleet.domains("vm1")) == {"shop.ro"}
    assert set(hosting.fleet.domains("vm2")) == {"blog.ro", "cafe.ro"}
    assert hosting.fleet.domains("vm1")["shop.ro"]["user"] == "shop"
    servers = {s["name"]: s["current_domains"] for s in hosting("servers", "list", "-o", "json").json()}
    assert servers == {"vm1": 1, "vm2": 2}


def test_idn_domain_stored_as_punycode(hosting: Hosting) -> None:
    r = create(hosting, "cafenea-ţărănească.ro")
    assert r.exit_code == 0, r.stderr
    row = r.json()
    assert row["domain"] == "xn--cafenea-trneasc-lmb2a4ch.ro" or row["domain"].startswith("xn--")
    assert row["domain_unicode"] == "cafenea-ţărănească.ro"
    assert row["username"] == "cafeneataraneasca"
    assert row["domain"] in hosting.fleet.domains("vm1")


@pytest.mark.parametrize("domain, message", [
    ("localhost", "needs a name and a top-level domain"),
    ("shop.example.com", "reserved"),
    ("site.invalid", "reserved"),
    ("bad_domain!.ro", "malformed"),
    ("x-.ro", "malformed"),
    ("10.0.0.1", "malformed"),
    ("www.shop.ro", "without www."),
])
def test_malformed_and_reserved_domains_refused(hosting: Hosting, domain: str, message: str) -> None:
    r = create(hosting, domain)
    assert r.exit_code == 2
    assert message in r.stderr
    assert hosting.fleet.mutations("vm1") == [] and hosting.fleet.mutations("vm2") == []


@pytest.mark.parametrize("domain, message", [
    ("www.ro", "domain: www.ro is www. and a top-level domain only; give the site's own domain (e.g. shop.ro)"),
    ("a" * 266 + ".ro", "domain: too long (269 characters; at most 253)"),
    ("example.com", "domain: example.com is reserved (RFC 2606/6761) and cannot be hosted"),
    ("shop.test", "domain: shop.test is reserved (RFC 2606/6761) and cannot be hosted"),
    ("emoji😀.ro", "domain: 'emoji😀.ro' is not a valid internationalised domain name (IDNA 2008): '😀' (U+1F600) "
                  "is not allowed in a domain name"),
    ("shop.ro\n", "domain: 'shop.ro\\n' contains a newline (U+000A)"),
    ("sh\top.ro", "domain: 'sh\\top.ro' contains a tab (U+0009)"),
])
def test_domain_messages_say_what_is_wrong_and_change_nothing(hosting: Hosting, domain: str, message: str) -> None:
    from tests.conftest import table_dump

    before = table_dump(hosting.cli.database_url)
    r = create(hosting, domain)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", f"error: {message}\n")
    assert table_dump(hosting.cli.database_url) == before
    assert hosting.fleet.mutations("vm1") == [] and hosting.fleet.mutations("vm2") == []


@pytest.mark.parametrize("username, message", [("ab", "3-32"), ("Root", "3-32"), ("root", "reserved"),
                                               ("a" * 33, "3-32")])
def test_bad_usernames_refused(hosting: Hosting, username: str, message: str) -> None:
    r = create(hosting, "shop.ro", "--username", username)
    assert r.exit_code == 2 and message in r.stderr


def test_preflight_domain_already_on_server(hosting: Hosting) -> None:
    hosting.fleet.states["vm1"].seed_domains(["shop.ro"])
    r = create(hosting, "shop.ro", "--server", "vm1")
    assert r.exit_code == 5
    assert "pre-flight: shop.ro is already hosted on vm1" in r.stderr
    account = hosting("accounts", "show", "shop.ro", "-o", "json").json()
    assert account["status"] == "error" and "already hosted" in account["error_reason"]
    # the seeded domain is someone else's: no rollback may touch it
    assert "shop.ro" in hosting.fleet.domains("vm1")
    assert hosting.fleet.mutations("vm1") == []
    assert hosting("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 0
    job = hosting("accounts", "jobs", "list", "-o", "json").json()[0]
    assert job["status"] == "failed"
    assert [s["step"] for s in job["steps"]] == ["reserve_slot", "preflight", "rollback:release_slot"]


def test_preflight_domain_already_in_ledger(hosting: Hosting) -> None:
    assert create(hosting, "shop.ro").exit_code == 0
    r = create(hosting, "SHOP.ro")
    assert r.exit_code == 5
    assert "shop.ro is already in the ledger (active, server vm1)" in r.stderr


def test_preflight_username_taken_on_server_gets_suffix(hosting: Hosting) -> None:
    hosting.fleet.states["vm1"].seed_domains(["shop.com"])  # user "shop" exists on vm1
    row = create(hosting, "shop.ro", "--server", "vm1").json()
    assert row["username"] == "shop1"
    assert hosting.fleet.domains("vm1")["shop.ro"]["user"] == "shop1"


def test_preflight_supplied_username_taken_on_server(hosting: Hosting) -> None:
    hosting.fleet.states["vm1"].seed_domains(["other.com"])
    r = create(hosting, "shop.ro", "--server", "vm1", "--username", "other")
    assert r.exit_code == 5 and "username other is already used on vm1" in r.stderr


def test_preflight_username_taken_in_ledger(hosting: Hosting) -> None:
    assert create(hosting, "shop.ro", "--username", "acme_1").exit_code == 0
    r = create(hosting, "blog.ro", "--username", "acme_1")
    assert r.exit_code == 5 and "username acme_1 is already used in the ledger" in r.stderr


def test_preflight_missing_plan_and_template(hosting: Hosting) -> None:
    r = create(hosting, "shop.ro", "--plan", "Platinum")
    assert r.exit_code == 5 and "plan 'Platinum' does not exist on vm1" in r.stderr
    r = create(hosting, "blog.ro", "--template", "Nope")
    assert r.exit_code == 5 and "template 'Nope' does not exist on vm1" in r.stderr
    assert hosting.fleet.domains("vm1") == {}


def test_explicit_server_must_pass_checks(hosting: Hosting) -> None:
    assert hosting("servers", "maintenance", "vm1", "on").exit_code == 0
    r = create(hosting, "shop.ro", "--server", "vm1")
    assert r.exit_code == 5
    assert "server vm1 cannot host this account: in maintenance" in r.stderr
    assert hosting("accounts", "list", "-o", "json").json() == []


def test_no_server_lists_every_rejection(hosting: Hosting) -> None:
    hosting("servers", "maintenance", "vm1", "on")
    hosting("servers", "update", "vm2", "--status", "disabled")
    r = create(hosting, "shop.ro")
    assert r.exit_code == 5
    assert "no server can host this account: vm1: in maintenance; vm2: status is disabled" in r.stderr


def test_region_and_tag_constraints(hosting: Hosting) -> None:
    hosting("servers", "update", "vm2", "--region", "cluj", "--tag", "nvme")
    assert create(hosting, "shop.ro", "--region", "cluj").json()["server"] == "vm2"
    r = create(hosting, "blog.ro", "--tag", "ssd")
    assert r.exit_code == 5 and "vm1: lacks tag ssd; vm2: lacks tag ssd" in r.stderr


def test_capacity_is_never_exceeded(hosting: Hosting) -> None:
    for i in range(5):
        assert create(hosting, f"site{i}.ro").exit_code == 0
    r = create(hosting, "site5.ro")
    assert r.exit_code == 5
    assert "vm1: full (2/2 domains); vm2: full (3/3 domains)" in r.stderr


def test_dry_run_changes_nothing(hosting: Hosting) -> None:
    r = create(hosting, "shop.ro", "--dry-run")
    assert r.exit_code == 0
    assert r.json()["status"] == "planned" and r.json()["server"] == "vm1"
    assert hosting("accounts", "list", "-o", "json").json() == []
    assert hosting.fleet.domains("vm1") == {}


def test_generated_password_goes_to_file_0600_only(hosting: Hosting, tmp_path: Path) -> None:
    pw_file = tmp_path / "shop.pw"
    r = create(hosting, "shop.ro", "--generate-password", "--password-file", str(pw_file))
    assert r.exit_code == 0
    password = pw_file.read_text().strip()
    assert stat.S_IMODE(os.stat(pw_file).st_mode) == 0o600
    assert len(password) >= 20
    assert password not in r.stdout and password not in r.stderr
    assert hosting.fleet.states["vm1"].password_matches("shop.ro", password)
    audit = hosting("audit", "list", "-o", "json")
    assert password not in audit.stdout


def test_show_password_puts_it_in_json(hosting: Hosting) -> None:
    row = create(hosting, "shop.ro", "--show-password").json()
    assert hosting.fleet.states["vm1"].password_matches("shop.ro", row["password"])


def test_password_shown_once_on_tty(hosting: Hosting) -> None:
    r = hosting("accounts", "create", "shop.ro", "--customer", "billing@acme.ro", tty=True)
    assert r.exit_code == 0
    line = next(ln for ln in r.stderr.splitlines() if "(shown once)" in ln)
    password = line.rsplit(": ", 1)[1]
    assert hosting.fleet.states["vm1"].password_matches("shop.ro", password)
    assert password not in r.stdout
    row = hosting("accounts", "create", "blog.ro", "--customer", "billing@acme.ro", "-o", "json", tty=True).json()
    assert row["password"] is None  # never in JSON without --show-password


NO_DESTINATION = ("error: {verb}: no terminal to show the generated password once; pass --password-file FILE "
                  "(with --generate-password on create) or --show-password (JSON)\n")


def test_generated_password_without_a_destination_is_refused_before_provisioning(hosting: Hosting) -> None:
    from tests.conftest import table_dump

    before = table_dump(hosting.cli.database_url)
    r = hosting("accounts", "create", "shop.ro", "--customer", "billing@acme.ro", "-o", "json")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", NO_DESTINATION.format(verb="accounts create"))
    assert table_dump(hosting.cli.database_url) == before
    assert hosting.fleet.mutations("vm1") == [] and hosting.fleet.mutations("vm2") == []
    # A password read from a file is not generated: nothing to deliver, nothing refused.
    assert create(hosting, "shop.ro", "--show-password").exit_code == 0
    before = table_dump(hosting.cli.database_url)
    r = hosting("accounts", "password", "shop.ro")
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", NO_DESTINATION.format(verb="accounts password"))
    assert table_dump(hosting.cli.database_url) == before
    assert hosting.fleet.mutations("vm1") == ["create-domain"]


def test_supplied_password_file_is_read_without_a_terminal(hosting: Hosting, tmp_path: Path) -> None:
    supplied = tmp_path / "given.pw"
    supplied.write_text("Given-Pass-1234-abcd\n")
    r = hosting("accounts", "create", "shop.ro", "--customer", "billing@acme.ro", "--password-file", str(supplied))
    assert r.exit_code == 0, r.stderr
    assert hosting.fleet.states["vm1"].password_matches("shop.ro", "Given-Pass-1234-abcd")
    assert supplied.read_text() == "Given-Pass-1234-abcd\n"


def _generate_to(hosting: Hosting, domain: str, path: Path, *extra: str) -> Any:
    return create(hosting, domain, "--generate-password", "--password-file", str(path), *extra)


def test_password_file_never_follows_a_link_even_with_force(hosting: Hosting, tmp_path: Path) -> None:
    from tests.conftest import table_dump

    target = tmp_path / "precious.txt"
    target.write_text("keep me\n")
    target.chmod(0o644)
    link = tmp_path / "shop.pw"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.pw"
    dangling.symlink_to(tmp_path / "nowhere")
    before = table_dump(hosting.cli.database_url)
    for path, extra in ((link, ()), (link, ("--force",)), (dangling, ()), (dangling, ("--force",))):
        r = _generate_to(hosting, "shop.ro", path, *extra)
        assert (r.exit_code, r.stdout, r.stderr) == (
            5, "", f"error: password file {path} is a symbolic link; praho never writes through a link (remove "
                   "it, or give the real path)\n")
    assert target.read_text() == "keep me\n" and stat.S_IMODE(target.stat().st_mode) == 0o644
    assert not (tmp_path / "nowhere").exists()
    assert table_dump(hosting.cli.database_url) == before
    assert hosting.fleet.mutations("vm1") == [] and hosting.fleet.mutations("vm2") == []
    assert create(hosting, "shop.ro").exit_code == 0
    r = hosting("accounts", "password", "shop.ro", "--password-file", str(link), "--force")
    assert r.exit_code == 5 and "is a symbolic link" in r.stderr
    assert hosting.fleet.mutations("vm1") == ["create-domain"]  # not rotated


def test_password_file_refuses_an_existing_file_unless_forced(hosting: Hosting, tmp_path: Path) -> None:
    old = tmp_path / "shop.pw"
    old.write_text("old secret\n")
    old.chmod(0o644)
    r = _generate_to(hosting, "shop.ro", old)
    assert (r.exit_code, r.stderr) == (5, f"error: password file {old} already exists; pass --force to overwrite it\n")
    assert old.read_text() == "old secret\n" and hosting.fleet.mutations("vm1") == []
    r = _generate_to(hosting, "shop.ro", old, "--force")
    assert r.exit_code == 0, r.stderr
    password = old.read_text().strip()
    assert hosting.fleet.states["vm1"].password_matches("shop.ro", password)
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".shop.pw")]  # no temporary file left


def test_password_file_is_private_from_creation_and_removed_when_provisioning_fails(
    hosting: Hosting, tmp_path: Path
) -> None:
    nested = tmp_path / "new" / "dir" / "shop.pw"
    old_umask = os.umask(0)
    try:
        r = _generate_to(hosting, "shop.ro", nested)
    finally:
        os.umask(old_umask)
    assert r.exit_code == 0, r.stderr
    assert stat.S_IMODE(nested.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    assert stat.S_IMODE(nested.parent.stat().st_mode) == 0o700
    hosting.fleet.states["vm2"].seed_domains(["taken.ro"])
    failed = tmp_path / "taken.pw"
    r = _generate_to(hosting, "taken.ro", failed, "--server", "vm2")
    assert r.exit_code == 5 and "already hosted on vm2" in r.stderr
    assert not failed.exists()


def test_idempotency_key_replays_without_second_create(hosting: Hosting) -> None:
    a = create(hosting, "shop.ro", "--idempotency-key", "k1")
    b = create(hosting, "shop.ro", "--idempotency-key", "k1")
    assert a.exit_code == b.exit_code == 0
    assert a.json()["id"] == b.json()["id"]
    assert hosting.fleet.mutations("vm1") == ["create-domain"]
    c = create(hosting, "blog.ro", "--idempotency-key", "k1")
    assert c.exit_code == 5 and "different parameters" in c.stderr


def test_lifecycle_transitions_and_idempotent_repeats(hosting: Hosting) -> None:
    assert create(hosting, "shop.ro").exit_code == 0
    r = hosting("accounts", "suspend", "shop.ro", "--reason", "unpaid", "-o", "json")
    assert r.exit_code == 0 and r.json()["status"] == "suspended" and r.json()["suspend_reason"] == "unpaid"
    assert hosting.fleet.domains("vm1")["shop.ro"]["disabled"]["why"] == "unpaid"
    again = hosting("accounts", "suspend", "shop.ro", "--reason", "unpaid", "-o", "json")
    assert again.exit_code == 0 and again.json()["version"] == r.json()["version"]
    assert hosting.fleet.mutations("vm1") == ["create-domain", "disable-domain"]
    r = hosting("accounts", "unsuspend", "shop.ro", "-o", "json")
    assert r.json()["status"] == "active" and hosting.fleet.domains("vm1")["shop.ro"]["disabled"] is None
    assert hosting("accounts", "unsuspend", "shop.ro").exit_code == 0
    assert hosting.fleet.mutations("vm1") == ["create-domain", "disable-domain", "enable-domain"]
    r = hosting("accounts", "terminate", "shop.ro", "--yes", "-o", "json")
    assert r.json()["status"] == "terminated" and hosting.fleet.domains("vm1")["shop.ro"]["disabled"]
    r = hosting("accounts", "unsuspend", "shop.ro")
    assert r.exit_code == 5 and "only suspended accounts can be unsuspended" in r.stderr
    r = hosting("accounts", "suspend", "shop.ro", "--reason", "x")
    assert r.exit_code == 5 and "only active accounts can be suspended" in r.stderr
    r = hosting("accounts", "delete", "shop.ro", "--yes", "-o", "json")
    assert r.exit_code == 0
    assert hosting.fleet.domains("vm1") == {}
    assert hosting("accounts", "show", "shop.ro").exit_code == 4
    assert hosting("servers", "show", "vm1", "-o", "json").json()["current_domains"] == 0


def test_delete_refuses_active_and_protected(hosting: Hosting) -> None:
    assert create(hosting, "shop.ro", "--protect").exit_code == 0
    r = hosting("accounts", "delete", "shop.ro", "--yes")
    assert r.exit_code == 5 and "is protected" in r.stderr
    assert hosting("accounts", "unprotect", "shop.ro").exit_code == 3  # needs --yes without a TTY
    assert hosting("accounts", "unprotect", "shop.ro", "--yes").exit_code == 0
    r = hosting("accounts", "delete", "shop.ro", "--yes")
    assert r.exit_code == 5 and "terminate it before deleting" in r.stderr
    assert "shop.ro" in hosting.fleet.domains("vm1")
    events = [e["action"] for e in hosting("audit", "list", "-o", "json").json()]
    assert "account.unprotect" in events


def test_stale_version_is_a_conflict(hosting: Hosting) -> None:
    # A claim left by another command (pending_op) makes a concurrent change exit 5, not overwrite.
    from sqlalchemy import create_engine, text

    assert create(hosting, "shop.ro").exit_code == 0
    engine = create_engine(hosting.cli.database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE hosting_accounts SET pending_op='suspend', version=version+1"))
    engine.dispose()
    r = hosting("accounts", "suspend", "shop.ro", "--reason", "x")
    assert r.exit_code == 5 and "suspend is in progress" in r.stderr
    assert hosting.fleet.mutations("vm1") == ["create-domain"]


def test_password_rotation(hosting: Hosting, tmp_path: Path) -> None:
    assert create(hosting, "shop.ro").exit_code == 0
    pw_file = tmp_path / "new.pw"
    r = hosting("accounts", "password", "shop.ro", "--password-file", str(pw_file), "-o", "json")
    assert r.exit_code == 0 and r.json()["password"] is None
    assert hosting.fleet.states["vm1"].password_matches("shop.ro", pw_file.read_text().strip())


def manifest(tmp_path: Path, entries: list[dict[str, str]], name: str = "m.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps({"accounts": entries}))
    return str(path)


def test_apply_twice_second_changes_nothing(hosting: Hosting, tmp_path: Path) -> None:
    m = manifest(tmp_path, [
        {"domain": "a.ro", "customer": "billing@acme.ro", "plan": "Gold"},
        {"domain": "b.ro", "customer": "billing@acme.ro", "state": "suspended"},
        {"domain": "c.ro", "customer": "billing@acme.ro", "state": "absent"},
    ])
    plan = hosting("accounts", "apply", m, "--plan", "--detailed-exitcode", "-o", "json")
    assert plan.exit_code == 7
    assert [(a["domain"], a["action"], a["outcome"]) for a in plan.json()] == [
        ("a.ro", "create", "planned"), ("b.ro", "create", "planned"), ("c.ro", "none", "unchanged")]
    assert hosting("accounts", "list", "-o", "json").json() == []
    first = hosting("accounts", "apply", m, "-o", "json")
    assert first.exit_code == 0, first.stderr
    assert [a["outcome"] for a in first.json()] == ["done", "done", "unchanged"]
    status = {a["domain"]: a["status"] for a in hosting("accounts", "list", "-o", "json").json()}
    assert status == {"a.ro": "active", "b.ro": "suspended"}
    mutations = hosting.fleet.mutations("vm1") + hosting.fleet.mutations("vm2")
    second = hosting("accounts", "apply", m, "-o", "json")
    assert second.exit_code == 0
    assert {a["action"] for a in second.json()} == {"none"}
    assert hosting.fleet.mutations("vm1") + hosting.fleet.mutations("vm2") == mutations
    assert hosting("accounts", "apply", m, "--plan", "--detailed-exitcode", "-o", "json").exit_code == 0


def test_apply_changes_state_and_deletes(hosting: Hosting, tmp_path: Path) -> None:
    m1 = manifest(tmp_path, [{"domain": "a.ro", "customer": "billing@acme.ro"},
                             {"domain": "b.ro", "customer": "billing@acme.ro"}])
    assert hosting("accounts", "apply", m1).exit_code == 0
    m2 = manifest(tmp_path, [{"domain": "a.ro", "customer": "billing@acme.ro", "state": "suspended"},
                             {"domain": "b.ro", "customer": "billing@acme.ro", "state": "absent"}], "m2.toml")
    Path(m2).write_text('[[accounts]]\ndomain = "a.ro"\ncustomer = "billing@acme.ro"\nstate = "suspended"\n'
                        '[[accounts]]\ndomain = "b.ro"\ncustomer = "billing@acme.ro"\nstate = "absent"\n')
    r = hosting("accounts", "apply", m2, "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [(a["action"], a["outcome"]) for a in r.json()] == [("suspend", "done"), ("delete", "done")]
    assert [a["domain"] for a in hosting("accounts", "list", "-o", "json").json()] == ["a.ro"]


def test_apply_rejects_invalid_manifest_before_doing_anything(hosting: Hosting, tmp_path: Path) -> None:
    m = manifest(tmp_path, [{"domain": "good.ro", "customer": "billing@acme.ro"},
                            {"domain": "bad..ro", "customer": "billing@acme.ro"},
                            {"domain": "x.ro", "customer": "billing@acme.ro", "state": "gone"}])
    r = hosting("accounts", "apply", m)
    assert r.exit_code == 2
    assert "2 invalid entries" in r.stderr and "accounts[2]" in r.stderr and "accounts[3]" in r.stderr
    unknown = manifest(tmp_path, [{"domain": "good.ro", "customer": "nobody@x.ro"}], "u.json")
    r = hosting("accounts", "apply", unknown)
    assert r.exit_code == 2 and "nobody@x.ro" in r.stderr
    assert hosting("accounts", "list", "-o", "json").json() == []
    assert hosting.fleet.domains("vm1") == {} and hosting.fleet.domains("vm2") == {}


def test_apply_partial_failure_exits_6(hosting: Hosting, tmp_path: Path) -> None:
    hosting.fleet.states["vm1"].seed_domains(["taken.ro"])
    m = manifest(tmp_path, [{"domain": "taken.ro", "customer": "billing@acme.ro", "server": "vm1"},
                            {"domain": "fine.ro", "customer": "billing@acme.ro", "server": "vm2"}])
    r = hosting("accounts", "apply", m, "-o", "json")
    assert r.exit_code == 6
    outcomes = {a["domain"]: a["outcome"] for a in r.json()}
    assert outcomes == {"taken.ro": "failed", "fine.ro": "done"}
    assert "1 of 2 action(s) failed: taken.ro" in r.stderr
