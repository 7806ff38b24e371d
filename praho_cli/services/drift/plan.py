"""What resolving a drift record would do, read from the ledger's current state (a dry run shows it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import accounts as account_repo
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.hosting import HostingAccount
from praho_cli.ledger.uow import read_session


@dataclass(frozen=True)
class ResolveRequest:
    ids: tuple[str, ...] = ()
    all_: bool = False
    kind: str | None = None
    action: str = ""
    reason: str | None = None
    customer: str | None = None
    recreate: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class Item:
    """A drift record as resolving reads it (detached from its session)."""

    id: int
    kind: str
    domain: str | None
    server: str
    status: str
    version: int
    virtualmin: dict[str, Any] | None


@dataclass(frozen=True)
class Plan:
    """What resolving one record does."""

    detail: str
    account_id: int | None = None
    op: str = ""  # enable | disable | plan | create | adopt_new | adopt_gone | adopt_status | adopt_plan ...
    value: Any = None


def _account(session: Session, domain: str | None) -> HostingAccount | None:
    return account_repo.get_by_domain(session, domain or "") if domain else None


def plan_for(db: Database, item: Item, req: ResolveRequest, customer_id: int | None) -> Plan | str:
    """What resolving would do, from the ledger's current state; a string says why it cannot."""
    if item.kind == "unreachable":
        return "an unreachable server has nothing to push or adopt; check it (praho servers check) or --ignore"
    with read_session(db) as session:
        account = _account(session, item.domain)
        vm = item.virtualmin or {}
        if req.action == "push":
            return _plan_push(item, account, req.recreate)
        if item.kind == "missing_in_ledger":
            if account is not None:
                return f"{item.domain} is in the ledger now; scan again"
            if customer_id is None:
                return "adopting an unknown domain needs --customer (the owner of the new account)"
            username = vm.get("username") or ""
            if not username or account_repo.username_taken(session, username):
                return f"username {username!r} is missing or already used by another ledger account"
            return Plan(f"record {item.domain} on {item.server} as an account of customer {customer_id} "
                         f"(user {username}, {'suspended' if vm.get('status') == 'disabled' else 'active'})",
                         None, "adopt_new", customer_id)
        if account is None:
            return f"{item.domain} is no longer in the ledger; scan again"
        if account.pending_op:
            return f"{item.domain}: {account.pending_op} is in progress; retry when it finishes"
        if item.kind == "missing_in_virtualmin":
            return Plan(f"mark {item.domain} terminated in the ledger (it is gone from {item.server})",
                         account.id, "adopt_gone")
        if item.kind == "status_mismatch":
            new = "suspended" if vm.get("status") == "disabled" else "active"
            return Plan(f"set {item.domain} {new} in the ledger", account.id, "adopt_status", new)
        if item.kind == "plan_mismatch":
            return Plan(f"set plan {vm.get('plan')!r} in the ledger", account.id, "adopt_plan", vm.get("plan"))
        if item.kind == "owner_mismatch":
            username = vm.get("username") or ""
            if not username or account_repo.username_taken(session, username, except_id=account.id):
                return f"username {username!r} is already used by another ledger account"
            return Plan(f"set username {username} in the ledger", account.id, "adopt_owner", username)
        if item.kind == "server_mismatch":
            target = server_repo.get_by_name(session, str(vm.get("server") or ""))
            if target is None:
                return f"server {vm.get('server')!r} is not registered in the ledger"
            return Plan(f"move {item.domain} to {target.name} in the ledger", account.id, "adopt_server",
                         target.id)
    return f"nothing to adopt for {item.kind}"


def _plan_push(item: Item, account: HostingAccount | None, recreate: bool) -> Plan | str:
    if item.kind == "missing_in_ledger":
        return ("praho never deletes a domain it does not know: adopt it (--adopt --customer C) or delete it "
                "explicitly")
    if account is None:
        return f"{item.domain} is no longer in the ledger; scan again"
    if account.pending_op:
        return f"{item.domain}: {account.pending_op} is in progress; retry when it finishes"
    if item.kind == "status_mismatch":
        if account.status == "error":
            return (f"{item.domain} is an account whose create failed in the ledger: adopt the domain (--adopt) "
                    "or delete it explicitly; drift never deletes a domain")
        if account.status == "active":
            return Plan(f"enable {item.domain} on {item.server}", account.id, "enable")
        return Plan(f"disable {item.domain} on {item.server}", account.id, "disable", account.suspend_reason)
    if item.kind == "plan_mismatch":
        if not account.plan:
            return f"{item.domain} has no plan in the ledger"
        return Plan(f"apply plan {account.plan!r} to {item.domain} on {item.server}", account.id, "plan",
                     account.plan)
    if item.kind == "missing_in_virtualmin":
        if not recreate:
            return "re-creating a missing domain needs --recreate (it starts empty: files and mail are not restored)"
        return Plan(f"re-create {item.domain} on {item.server} (user {account.username}"
                     f"{', plan ' + account.plan if account.plan else ''}); set a password afterwards with "
                     f"praho accounts password", account.id, "create")
    if item.kind == "owner_mismatch":
        return "Virtualmin cannot rename a domain's user; adopt Virtualmin's user (--adopt) or fix it on the server"
    if item.kind == "server_mismatch":
        return "praho does not move domains between servers; adopt the server Virtualmin uses (--adopt)"
    return f"nothing to push for {item.kind}"

