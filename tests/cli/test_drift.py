"""drift scan|list|show|resolve on simulated servers run in-process (the simulator's virtualmin command)."""

from __future__ import annotations

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
    acme_with_servers(h, {name: ["--url", f"https://{name}.hosting.ro:10000", "--max-domains", "10"]
                          for name in ("vm1", "vm2")})
    for domain, server in (("shop.ro", "vm1"), ("blog.ro", "vm1"), ("cafe.ro", "vm2")):
        r = h("accounts", "create", domain, "--customer", "billing@acme.ro", "--server", server, "--plan", "Gold",
              "--show-password")
        assert r.exit_code == 0, r.stderr
    return h


def kinds(rows: list[dict[str, Any]]) -> list[tuple[str, str | None, str]]:
    return [(r["kind"], r["domain"], r["server"]) for r in rows]


def test_clean_fleet_has_no_drift_and_exit_code_zero(hosting: Hosting) -> None:
    r = hosting("drift", "scan", "--exit-code", "-o", "json")
    assert (r.exit_code, r.json()) == (0, [])
    assert r.stderr == "✓ Scanned 2 server(s): 0 drift(s), 0 new, 0 closed\n"


def make_every_kind(h: Hosting) -> None:
    """On the servers, behind praho's back: one drift of each kind a scan can find on two servers."""
    vm1, vm2 = h.fleet.states["vm1"], h.fleet.states["vm2"]
    with vm1.mutate() as doc:
        by_name = {d["name"]: d for d in doc["domains"]}
        by_name["shop.ro"]["disabled"] = {"why": "by hand", "at": 1}  # status_mismatch
        by_name["blog.ro"]["plan_id"] = "0"  # plan_mismatch (Default Plan instead of Gold)
    with vm2.mutate() as doc:
        doc["domains"] = [d for d in doc["domains"] if d["name"] != "cafe.ro"]  # missing_in_virtualmin
    vm2.seed_domains(["stray.ro"])  # missing_in_ledger
    vm1.seed_domains(["moved.ro"])  # created on vm1 below, ledger says vm2: server_mismatch


EVERY_KIND = [
    ("plan_mismatch", "blog.ro", "vm1"),
    ("status_mismatch", "shop.ro", "vm1"),
    ("missing_in_virtualmin", "cafe.ro", "vm2"),
    ("server_mismatch", "moved.ro", "vm2"),
    ("missing_in_ledger", "stray.ro", "vm2"),
]


def test_scan_finds_every_kind_records_once_and_updates_on_rescan(hosting: Hosting) -> None:
    r = hosting("accounts", "create", "moved.ro", "--customer", "1", "--server", "vm2", "--show-password")
    assert r.exit_code == 0, r.stderr
    with hosting.fleet.states["vm2"].mutate() as doc:
        doc["domains"] = [d for d in doc["domains"] if d["name"] != "moved.ro"]
    make_every_kind(hosting)
    r = hosting("drift", "scan", "--exit-code", "-o", "json")
    assert r.exit_code == 7, r.stderr
    rows = r.json()
    assert kinds(rows) == EVERY_KIND
    assert r.stderr == ("✓ Scanned 2 server(s): 5 drift(s), 5 new, 0 closed\n"
                        "error: 5 drift(s) found (see praho drift list)\n")
    status = next(x for x in rows if x["kind"] == "status_mismatch")
    assert status["ledger_state"] == {"server": "vm1", "status": "active", "plan": "Gold", "username": "shop"}
    assert status["virtualmin_state"] == {"server": "vm1", "status": "disabled", "plan": "Gold", "username": "shop"}
    moved = next(x for x in rows if x["kind"] == "server_mismatch")
    assert (moved["ledger_state"]["server"], moved["virtualmin_state"]["server"]) == ("vm2", "vm1")
    missing = next(x for x in rows if x["kind"] == "missing_in_virtualmin")
    assert missing["virtualmin_state"] is None
    assert [x["status"] for x in rows] == ["pending"] * 5
    # A rescan refreshes the same records: same ids, seen twice, nothing new.
    again = hosting("drift", "scan", "-o", "json")
    assert again.exit_code == 0
    assert [x["id"] for x in again.json()] == [x["id"] for x in rows]
    assert [x["seen_count"] for x in again.json()] == [2] * 5
    assert again.stderr == "✓ Scanned 2 server(s): 5 drift(s), 0 new, 0 closed\n"
    listed = hosting("drift", "list", "-o", "json", "--fields", "id,kind")
    assert len(listed.json()) == 5
    shown = hosting("drift", "show", status["id"], "-o", "json")
    assert shown.json()["kind"] == "status_mismatch"
    assert hosting("drift", "show", "999").exit_code == 4
    # The drift goes away on the server: the next scan closes the record as gone.
    with hosting.fleet.states["vm1"].mutate() as doc:
        next(d for d in doc["domains"] if d["name"] == "shop.ro")["disabled"] = None
    third = hosting("drift", "scan", "-o", "json")
    assert kinds(third.json()) == [k for k in EVERY_KIND if k[0] != "status_mismatch"]
    assert third.stderr.endswith("4 drift(s), 0 new, 1 closed\n")
    closed = hosting("drift", "show", status["id"], "-o", "json").json()
    assert (closed["status"], closed["resolution"], closed["resolved_by"]) == ("resolved", "gone", "tester")


def test_resolve_push_then_rescan_is_clean(hosting: Hosting) -> None:
    make_every_kind(hosting)
    with hosting.fleet.states["vm1"].mutate() as doc:
        doc["domains"] = [d for d in doc["domains"] if d["name"] != "moved.ro"]
    with hosting.fleet.states["vm2"].mutate() as doc:
        doc["domains"] = [d for d in doc["domains"] if d["name"] != "stray.ro"]
    rows = hosting("drift", "scan", "-o", "json").json()
    assert kinds(rows) == [EVERY_KIND[0], EVERY_KIND[1], EVERY_KIND[2]]
    plan = hosting("drift", "resolve", "--all", "--push", "--dry-run", "-o", "json")
    assert plan.exit_code == 0, plan.stderr
    assert [(x["kind"], x["outcome"]) for x in plan.json()] == [
        ("plan_mismatch", "planned"), ("status_mismatch", "planned"), ("missing_in_virtualmin", "refused")]
    assert plan.json()[2]["detail"].startswith("re-creating a missing domain needs --recreate")
    refused = hosting("drift", "resolve", "--all", "--push", "-o", "json")
    assert refused.exit_code == 3  # not a terminal, no --yes
    before = list(hosting.fleet.mutations("vm1"))
    done = hosting("drift", "resolve", "--all", "--push", "--recreate", "--yes", "-o", "json")
    assert done.exit_code == 0, done.stderr
    assert [x["outcome"] for x in done.json()] == ["done", "done", "done"]
    assert hosting.fleet.mutations("vm1")[len(before):] == ["modify-domain", "enable-domain"]
    assert hosting.fleet.domains("vm1")["blog.ro"]["plan_id"] == "100"
    assert hosting.fleet.domains("vm1")["shop.ro"]["disabled"] is None
    assert hosting.fleet.domains("vm2")["cafe.ro"]["user"] == "cafe"
    assert hosting("drift", "scan", "--exit-code", "-o", "json").json() == []
    history = hosting("drift", "list", "--status", "resolved", "-o", "json").json()
    assert sorted((x["resolution"], x["resolved_by"]) for x in history) == [("push", "tester")] * 3
    events = hosting("audit", "list", "-o", "json").json()
    assert [e["action"] for e in events].count("drift.push") == 3


def test_resolve_adopt_unknown_domain_and_status_then_rescan_is_clean(hosting: Hosting) -> None:
    make_every_kind(hosting)
    rows = hosting("drift", "scan", "-o", "json").json()
    ids = {x["kind"]: x["id"] for x in rows}
    unknown = hosting("drift", "resolve", ids["missing_in_ledger"], "--adopt", "--yes", "-o", "json")
    assert unknown.exit_code == 6
    assert unknown.json()[0]["detail"] == "adopting an unknown domain needs --customer (the owner of the new account)"
    mutations = {name: list(hosting.fleet.mutations(name)) for name in ("vm1", "vm2")}
    r = hosting("drift", "resolve", "--all", "--adopt", "--customer", "billing@acme.ro", "--yes", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert [x["outcome"] for x in r.json()] == ["done"] * 5
    # Adopting never touches a server.
    assert {name: list(hosting.fleet.mutations(name)) for name in ("vm1", "vm2")} == mutations
    accounts = {a["domain"]: a for a in hosting("accounts", "list", "-o", "json").json()}
    assert (accounts["stray.ro"]["server"], accounts["stray.ro"]["status"], accounts["stray.ro"]["username"]) == (
        "vm2", "active", "stray")
    assert accounts["shop.ro"]["status"] == "suspended"
    assert accounts["blog.ro"]["plan"] == "Default Plan"
    assert accounts["cafe.ro"]["status"] == "terminated"
    assert accounts["moved.ro"]["server"] == "vm1"
    assert hosting("drift", "scan", "--exit-code", "-o", "json").json() == []
    servers = {s["name"]: s["current_domains"] for s in hosting("servers", "list", "-o", "json").json()}
    assert servers == {"vm1": 3, "vm2": 1}  # cafe.ro's slot released, stray.ro's taken, moved.ro moved


def test_ignore_needs_reason_and_survives_rescans(hosting: Hosting) -> None:
    make_every_kind(hosting)
    rows = hosting("drift", "scan", "-o", "json").json()
    first = rows[0]["id"]
    bad = hosting("drift", "resolve", first, "--ignore")
    assert (bad.exit_code, bad.stderr) == (2, "error: --ignore needs --reason R (kept with the record)\n")
    r = hosting("drift", "resolve", first, "--ignore", "--reason", "legacy plan, migrating in Q1", "-o", "json")
    assert r.exit_code == 0, r.stderr
    assert r.json()[0]["outcome"] == "done"
    again = {x["id"]: x for x in hosting("drift", "scan", "-o", "json").json()}
    assert (again[first]["status"], again[first]["reason"], again[first]["seen_count"]) == (
        "ignored", "legacy plan, migrating in Q1", 2)
    pending = hosting("drift", "list", "-o", "json").json()
    assert first not in [x["id"] for x in pending] and len(pending) == 4


def test_push_refuses_to_delete_unknown_domains(hosting: Hosting) -> None:
    make_every_kind(hosting)
    rows = hosting("drift", "scan", "-o", "json").json()
    stray = next(x["id"] for x in rows if x["kind"] == "missing_in_ledger")
    r = hosting("drift", "resolve", stray, "--push", "--yes", "-o", "json")
    assert r.exit_code == 6
    assert r.json()[0]["outcome"] == "refused"
    assert "stray.ro" in hosting.fleet.domains("vm2")
    assert "delete-domain" not in hosting.fleet.mutations("vm2")


def test_usage_errors(hosting: Hosting) -> None:
    r = hosting("drift", "resolve", "1", "--push", "--adopt")
    assert (r.exit_code, r.stderr) == (2, "error: give exactly one of --push, --adopt or --ignore --reason R\n")
    r = hosting("drift", "resolve", "--push", "--yes")
    assert (r.exit_code, r.stderr) == (2, "error: give one or more drift ids, or --all\n")
    r = hosting("drift", "list", "--kind", "bogus")
    assert r.exit_code == 2
    r = hosting("drift", "scan", "--server", "nope")
    assert (r.exit_code, r.stderr) == (4, "error: no server 'nope' (see praho servers list)\n")


def test_list_on_a_terminal_and_piped(hosting: Hosting) -> None:
    make_every_kind(hosting)
    scan = hosting("drift", "scan", tty=True)
    assert scan.exit_code == 0
    assert "status_mismatch" in scan.stdout and "\t" not in scan.stdout
    assert scan.stderr.endswith("Scanned 2 server(s): 5 drift(s), 5 new, 0 closed\n")
    piped = hosting("drift", "list", "--kind", "status_mismatch", "--fields", "kind,domain,server,status")
    assert piped.stdout == "status_mismatch\tshop.ro\tvm1\tpending\n"
    lines = hosting("drift", "list", "-o", "jsonl", "--fields", "kind,domain").jsonl()
    # Without a ledger account for moved.ro it is a domain praho does not know; listed by id (scan order).
    assert [(x["kind"], x["domain"]) for x in lines] == [
        ("plan_mismatch", "blog.ro"), ("missing_in_ledger", "moved.ro"), ("status_mismatch", "shop.ro"),
        ("missing_in_virtualmin", "cafe.ro"), ("missing_in_ledger", "stray.ro")]


def test_removing_a_server_closes_its_open_drift_and_its_config_section(hosting: Hosting) -> None:
    config = hosting.cli.home / "config" / "praho" / "config.toml"
    for name in ("vm1", "vm2"):
        assert hosting("config", "set", f"servers.{name}.username", "praho-api").exit_code == 0
    assert hosting("accounts", "terminate", "cafe.ro", "--yes").exit_code == 0
    assert hosting("accounts", "delete", "cafe.ro", "--yes").exit_code == 0
    hosting.fleet.states["vm2"].seed_domains(["legacy.ro", "stray.ro"])
    hosting.fleet.states["vm1"].seed_domains(["other.ro"])
    scanned = hosting("drift", "scan", "-o", "json")
    assert kinds(scanned.json()) == [("missing_in_ledger", "other.ro", "vm1"), ("missing_in_ledger", "legacy.ro", "vm2"),
                                     ("missing_in_ledger", "stray.ro", "vm2")]
    ignored = [r["id"] for r in scanned.json() if r["domain"] == "stray.ro"]
    assert hosting("drift", "resolve", *ignored, "--ignore", "--reason", "test").exit_code == 0
    r = hosting("servers", "remove", "vm2", "--yes")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == "✓ Removed server vm2; closed 2 open drift record(s)\n"
    assert kinds(hosting("drift", "list", "--status", "open", "-o", "json").json()) == [
        ("missing_in_ledger", "other.ro", "vm1")]
    closed = {r["domain"]: r for r in hosting("drift", "list", "--status", "resolved", "-o", "json").json()}
    assert {d: (r["resolution"], r["reason"]) for d, r in closed.items()} == {
        "legacy.ro": ("gone", "server vm2 was removed from the ledger"),
        "stray.ro": ("gone", "server vm2 was removed from the ledger")}
    text = config.read_text()
    assert "[servers.vm2]" not in text and "[servers.vm1]" in text
    assert hosting("config", "get", "servers.vm1.username").stdout == "praho-api\n"
    assert hosting("audit", "verify").exit_code == 0


def test_removing_a_server_with_keep_config_says_it_kept_the_section(hosting: Hosting) -> None:
    assert hosting("config", "set", "servers.vm2.username", "praho-api").exit_code == 0
    assert hosting("accounts", "terminate", "cafe.ro", "--yes").exit_code == 0
    assert hosting("accounts", "delete", "cafe.ro", "--yes").exit_code == 0
    config = hosting.cli.home / "config" / "praho" / "config.toml"
    r = hosting("servers", "remove", "vm2", "--yes", "--keep-config")
    assert r.exit_code == 0, r.stderr
    assert r.stderr == f"✓ Removed server vm2\nKept [servers.vm2] in {config} (--keep-config)\n"
    assert "[servers.vm2]" in config.read_text()
