"""The pure drift comparison, table-driven: one case per kind and the cases that must find nothing."""

from __future__ import annotations

import pytest

from praho_cli.services.drift_compare import KINDS, Drift, LedgerAccount, RemoteDomain, ServerRead, compare


def acct(domain: str, server: str = "vm1", status: str = "active", plan: str | None = "Gold",
         username: str | None = None) -> LedgerAccount:
    return LedgerAccount(domain, server, status, plan, username or domain.split(".")[0])


def vm(domain: str, *, disabled: bool = False, plan: str | None = "Gold", plan_id: str | None = "100",
       username: str | None = None) -> RemoteDomain:
    return RemoteDomain(domain, username or domain.split(".")[0], plan, plan_id, disabled)


def read(server: str, *domains: RemoteDomain) -> ServerRead:
    return ServerRead(server, tuple(domains))


DOWN = ServerRead("vm1", None, "vm1: connection refused")

CASES = [
    # (id, ledger accounts, server reads, expected (kind, domain, server) list)
    ("in sync", [acct("a.ro")], [read("vm1", vm("a.ro"))], []),
    ("plan given by id", [acct("a.ro", plan="100")], [read("vm1", vm("a.ro"))], []),
    ("no plan in ledger is not compared", [acct("a.ro", plan=None)], [read("vm1", vm("a.ro", plan="Other"))], []),
    ("suspended and disabled", [acct("a.ro", status="suspended")], [read("vm1", vm("a.ro", disabled=True))], []),
    ("missing_in_virtualmin", [acct("a.ro")], [read("vm1")], [("missing_in_virtualmin", "a.ro", "vm1")]),
    ("suspended but missing", [acct("a.ro", status="suspended")], [read("vm1")],
     [("missing_in_virtualmin", "a.ro", "vm1")]),
    ("missing_in_ledger", [], [read("vm1", vm("x.ro"))], [("missing_in_ledger", "x.ro", "vm1")]),
    ("status_mismatch: ledger active, server disabled", [acct("a.ro")], [read("vm1", vm("a.ro", disabled=True))],
     [("status_mismatch", "a.ro", "vm1")]),
    ("status_mismatch: ledger suspended, server enabled", [acct("a.ro", status="suspended")],
     [read("vm1", vm("a.ro"))], [("status_mismatch", "a.ro", "vm1")]),
    ("plan_mismatch", [acct("a.ro")], [read("vm1", vm("a.ro", plan="Default Plan", plan_id="0"))],
     [("plan_mismatch", "a.ro", "vm1")]),
    ("owner_mismatch", [acct("a.ro")], [read("vm1", vm("a.ro", username="intruder"))],
     [("owner_mismatch", "a.ro", "vm1")]),
    ("server_mismatch", [acct("a.ro", server="vm2")], [read("vm1", vm("a.ro")), read("vm2")],
     [("server_mismatch", "a.ro", "vm2")]),
    ("server_mismatch when the ledger's server was not scanned", [acct("a.ro", server="vm2")],
     [read("vm1", vm("a.ro"))], [("server_mismatch", "a.ro", "vm2")]),
    ("unreachable is one finding, never everything missing", [acct("a.ro"), acct("b.ro")], [DOWN],
     [("unreachable", None, "vm1")]),
    ("unreachable server beside a healthy one", [acct("a.ro"), acct("c.ro", server="vm2")],
     [DOWN, read("vm2")], [("unreachable", None, "vm1"), ("missing_in_virtualmin", "c.ro", "vm2")]),
    ("several kinds on one domain, in kind order", [acct("a.ro")],
     [read("vm1", vm("a.ro", disabled=True, plan="X", plan_id="9", username="zed"))],
     [("status_mismatch", "a.ro", "vm1"), ("plan_mismatch", "a.ro", "vm1"), ("owner_mismatch", "a.ro", "vm1")]),
    ("terminated and gone is fine", [acct("a.ro", status="terminated")], [read("vm1")], []),
    ("terminated but enabled", [acct("a.ro", status="terminated")], [read("vm1", vm("a.ro"))],
     [("status_mismatch", "a.ro", "vm1")]),
    ("provisioning rows are left to jobs resume", [acct("a.ro", status="provisioning")], [read("vm1")], []),
    ("a provisioning row is still known", [acct("a.ro", status="provisioning")], [read("vm1", vm("a.ro"))], []),
    ("servers not scanned are not judged", [acct("a.ro", server="vm9")], [read("vm1")], []),
    ("sorted by server then domain", [acct("b.ro"), acct("a.ro", server="vm2")], [read("vm1"), read("vm2")],
     [("missing_in_virtualmin", "b.ro", "vm1"), ("missing_in_virtualmin", "a.ro", "vm2")]),
]


@pytest.mark.parametrize("accounts, reads, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_compare(accounts: list[LedgerAccount], reads: list[ServerRead], expected: list[tuple[str, str, str]]) -> None:
    assert [(d.kind, d.domain, d.server) for d in compare(accounts, reads)] == expected


def test_every_kind_has_a_case() -> None:
    covered = {kind for case in CASES for kind, _d, _s in case[3]}
    assert covered == set(KINDS)


def test_states_carried_by_a_drift() -> None:
    found = compare([acct("a.ro", status="suspended")], [read("vm1", vm("a.ro"))])
    assert found == [Drift("status_mismatch", "a.ro", "vm1",
                           {"server": "vm1", "status": "suspended", "plan": "Gold", "username": "a"},
                           {"server": "vm1", "status": "enabled", "plan": "Gold", "username": "a"})]
    assert found[0].key == "status_mismatch|vm1|a.ro"
    assert compare([], [DOWN])[0].virtualmin == {"error": "vm1: connection refused"}
    assert compare([], [DOWN])[0].key == "unreachable|vm1|"


def reference_compare(accounts: list[LedgerAccount], reads: list[ServerRead]) -> list[tuple[str, str | None, str]]:
    """The comparison written the plain way (every report of a domain in one list): the oracle that the
    optimised compare() must agree with."""
    from praho_cli.services.drift_compare import COMPARED_IF_PRESENT, EXPECTED_PRESENT, compare_account

    scanned = {r.server for r in reads}
    reachable = {r.server for r in reads if r.reachable}
    where: dict[str, list[tuple[str, RemoteDomain]]] = {}
    for r in reads:
        for remote in r.domains or ():
            where.setdefault(remote.domain, []).append((r.server, remote))  # type: ignore[arg-type]
    found = [Drift("unreachable", None, r.server, None, {}) for r in reads if not r.reachable]
    for a in accounts:
        hosts = where.get(a.domain, [])
        own = [remote for server, remote in hosts if server == a.server]
        if own:
            found += compare_account(a, own[0], a.server)
        elif a.server in scanned and a.server not in reachable:
            continue
        elif hosts and a.status in (*EXPECTED_PRESENT, *COMPARED_IF_PRESENT):
            found.append(Drift("server_mismatch", a.domain, a.server, None, None))
        elif a.server in reachable and a.status in EXPECTED_PRESENT:
            found.append(Drift("missing_in_virtualmin", a.domain, a.server, None, None))
    known = {a.domain for a in accounts}
    found += [Drift("missing_in_ledger", d, s, None, None) for d, hosts in where.items() if d not in known
              for s, _r in hosts]
    found.sort(key=lambda d: (d.server, d.domain or "", KINDS.index(d.kind)))
    return [(d.kind, d.domain, d.server) for d in found]


@pytest.mark.parametrize("seed", range(40))
def test_compare_agrees_with_the_plain_comparison_on_random_fleets(seed: int) -> None:
    import random

    rnd = random.Random(seed)
    servers = ["vm1", "vm2", "vm3"]
    domains = [f"d{i}.ro" for i in range(12)]
    accounts = [acct(d, server=rnd.choice([*servers, "vm9"]), status=rnd.choice(
        ["active", "suspended", "terminated", "provisioning", "error"]), plan=rnd.choice(["Gold", "100", None]),
        username=rnd.choice(["u1", "u2"])) for d in rnd.sample(domains, rnd.randint(0, len(domains)))]
    reads = []
    for server in rnd.sample(servers, rnd.randint(1, 3)):
        if rnd.random() < 0.2:
            reads.append(ServerRead(server, None, "down"))
            continue
        listed = [vm(d, plan=rnd.choice(["Gold", "Other"]), plan_id=rnd.choice(["100", "7"]),
                     disabled=rnd.random() < 0.3, username=rnd.choice(["u1", "u2"]))
                  for d in rnd.choices(domains, k=rnd.randint(0, 8))]  # repeats: a domain listed twice
        reads.append(read(server, *listed))
    assert [(d.kind, d.domain, d.server) for d in compare(accounts, reads)] == reference_compare(accounts, reads)
