"""The pure drift comparison, table-driven: one case per kind and the cases that must find nothing."""

from __future__ import annotations

import pytest

from praho_cli.services.drift.compare import KINDS, Drift, LedgerAccount, ServerRead, compare
from praho_cli.virtualmin.records import DomainState


def acct(domain: str, server: str = "vm1", status: str = "active", plan: str | None = "Gold",
         username: str | None = None) -> LedgerAccount:
    return LedgerAccount(domain, server, status, plan, username or domain.split(".")[0])


def vm(domain: str, *, disabled: bool = False, plan: str | None = "Gold", plan_id: str | None = "100",
       username: str | None = None) -> DomainState:
    return DomainState(domain, "1", "Top-level server", None, username or domain.split(".")[0], plan, plan_id,
                       disabled)


def read(server: str, *domains: DomainState) -> ServerRead:
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
    ("listed on its own server and on another: compared on its own", [acct("a.ro", server="vm2")],
     [read("vm1", vm("a.ro", disabled=True)), read("vm2", vm("a.ro"))], []),
    ("listed on another server first, own server differs", [acct("a.ro", server="vm2")],
     [read("vm1", vm("a.ro")), read("vm2", vm("a.ro", disabled=True))], [("status_mismatch", "a.ro", "vm2")]),
    ("listed twice by its own server: the first report counts", [acct("a.ro")],
     [read("vm1", vm("a.ro"), vm("a.ro", disabled=True))], []),
    ("an unknown domain on two servers is missing on each", [], [read("vm1", vm("x.ro")), read("vm2", vm("x.ro"))],
     [("missing_in_ledger", "x.ro", "vm1"), ("missing_in_ledger", "x.ro", "vm2")]),
    ("on a down server and on another: server_mismatch is not judged", [acct("a.ro")],
     [DOWN, read("vm2", vm("a.ro"))], [("unreachable", None, "vm1")]),
    ("error accounts are not expected on their server", [acct("a.ro", status="error")], [read("vm1")], []),
    ("an error account whose domain exists is a status_mismatch", [acct("a.ro", status="error")],
     [read("vm1", vm("a.ro"))], [("status_mismatch", "a.ro", "vm1")]),
    ("also when that domain is disabled", [acct("a.ro", status="error")],
     [read("vm1", vm("a.ro", disabled=True))], [("status_mismatch", "a.ro", "vm1")]),
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
