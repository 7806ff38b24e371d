"""The drift comparison: ledger accounts against what each Virtualmin server reported. Pure: no I/O.

The ledger is the source of truth, Virtualmin is what runs. A server that could not be read gives one
``unreachable`` finding and nothing else about its domains: an empty answer must never look like
"every domain is missing".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

KINDS = (
    "missing_in_virtualmin",
    "missing_in_ledger",
    "status_mismatch",
    "plan_mismatch",
    "owner_mismatch",
    "server_mismatch",
    "unreachable",
)

# Ledger states whose domain must exist on its server, and those that are compared only when present.
EXPECTED_PRESENT = ("active", "suspended")
COMPARED_IF_PRESENT = ("terminated",)  # `accounts terminate` disables the domain and keeps it


class LedgerAccount(NamedTuple):
    """One ledger account as the comparison sees it."""

    domain: str
    server: str
    status: str  # provisioning | active | suspended | terminated | error
    plan: str | None
    username: str

    def state(self) -> dict[str, Any]:
        return {"server": self.server, "status": self.status, "plan": self.plan, "username": self.username}


class Remote(Protocol):
    """What the comparison reads of a domain a server reported (virtualmin's DomainState has it)."""

    @property
    def domain(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def plan(self) -> str | None: ...
    @property
    def plan_id(self) -> str | None: ...
    @property
    def disabled(self) -> bool: ...


def remote_state(remote: Remote, server: str) -> dict[str, Any]:
    return {"server": server, "status": "disabled" if remote.disabled else "enabled", "plan": remote.plan,
            "username": remote.username}


@dataclass(frozen=True)
class ServerRead:
    """What one server answered: its top-level domains, or why it could not be read."""

    server: str
    domains: tuple[Remote, ...] | None
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.domains is not None


@dataclass(frozen=True)
class Drift:
    kind: str
    domain: str | None
    server: str
    ledger: dict[str, Any] | None
    virtualmin: dict[str, Any] | None

    @property
    def key(self) -> str:
        return f"{self.kind}|{self.server}|{self.domain or ''}"


def _sort_key(d: Drift) -> tuple[str, str, int]:
    return (d.server, d.domain or "", KINDS.index(d.kind))


_WANT_DISABLED = ("suspended", "terminated")


def compare_account(account: LedgerAccount, remote: Remote, server: str) -> list[Drift]:
    """Differences between one ledger account and the domain of the same name on its own server."""
    kinds: list[str] = []
    if account.status == "error":
        # A create the ledger recorded as failed, yet the domain exists (a create that went on after a
        # timeout, or a rollback that could not delete it): an orphan only a drift record shows.
        kinds.append("status_mismatch")
    elif remote.disabled != (account.status in _WANT_DISABLED):
        kinds.append("status_mismatch")
    if account.status in EXPECTED_PRESENT:
        # list-domains shows the plan's name and its id (http_list-domains_multiline.json); the
        # ledger may hold either, as `accounts create --plan` accepts both.
        if account.plan is not None and account.plan != remote.plan and account.plan != remote.plan_id:
            kinds.append("plan_mismatch")
        if remote.username is not None and remote.username != account.username:
            kinds.append("owner_mismatch")
    if not kinds:
        return []
    ledger, vm = account.state(), remote_state(remote, server)
    return [Drift(kind, account.domain, account.server, ledger, vm) for kind in kinds]


def compare(accounts: Iterable[LedgerAccount], reads: Iterable[ServerRead]) -> list[Drift]:
    """Every drift between the ledger and the servers read, sorted by server, domain and kind.

    Only the servers in ``reads`` are judged: a ledger account on a server that was not scanned is
    looked at only when its domain turned up on a scanned server (``server_mismatch``).
    """
    reads = list(reads)
    scanned = {r.server for r in reads}
    reachable = {r.server for r in reads if r.reachable}
    # The first report of each domain on each server, and the first server that reported it.
    on_server: dict[tuple[str, str], Remote] = {}
    first_host: dict[str, str] = {}
    for read in reads:
        for remote in read.domains or ():
            on_server.setdefault((read.server, remote.domain), remote)
            first_host.setdefault(remote.domain, read.server)

    found = [Drift("unreachable", None, r.server, None, {"error": r.error or "could not be read"})
             for r in reads if not r.reachable]
    known: set[str] = set()
    for account in accounts:
        domain = account.domain
        known.add(domain)
        own = on_server.get((account.server, domain))
        host = first_host.get(domain)
        if own is not None:
            found.extend(compare_account(account, own, account.server))
        elif account.server in scanned and account.server not in reachable:
            continue  # its server could not be read: nothing is known about this domain
        elif host is not None and account.status in (*EXPECTED_PRESENT, *COMPARED_IF_PRESENT):
            # hosted, but not on the account's own server
            found.append(Drift("server_mismatch", domain, account.server, account.state(),
                               remote_state(on_server[(host, domain)], host)))
        elif account.server in reachable and account.status in EXPECTED_PRESENT:
            found.append(Drift("missing_in_virtualmin", domain, account.server, account.state(), None))
    # Every report of a domain the ledger does not know (twice when a server listed it twice).
    for read in reads:
        found.extend(Drift("missing_in_ledger", remote.domain, read.server, None, remote_state(remote, read.server))
                     for remote in read.domains or () if remote.domain not in known)
    found.sort(key=_sort_key)
    return found
