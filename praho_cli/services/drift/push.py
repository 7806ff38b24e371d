"""Pushing the ledger's state to Virtualmin for one drift record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.hosting import HostingAccount, Server
from praho_cli.ledger.uow import read_session
from praho_cli.result import Err, ErrorCode, Result, fail, returns_result
from praho_cli.services.drift.plan import Item, Plan
from praho_cli.services.drift.scan import ClientProvider
from praho_cli.virtualmin.client import VirtualminClient


@dataclass(frozen=True)
class _Target:
    server: Server
    domain: str
    username: str
    plan: str | None
    template: str | None
    suspended: bool


@returns_result
def _target(db: Database, item: Item, plan: Plan) -> _Target:
    with read_session(db) as session:
        account = session.get(HostingAccount, plan.account_id)
        if account is None:
            raise fail(ErrorCode.NOT_FOUND, f"{item.domain} is no longer in the ledger")
        found = server_repo.get_by_id(session, account.server_id)
        assert found is not None
        return _Target(server_repo.snapshot(found), account.domain, account.username, account.plan,
                       account.template, account.status in ("suspended", "terminated"))


def push_remote(db: Database, clients: ClientProvider, item: Item, plan: Plan) -> Result[None]:
    """Apply the plan on the server; an Err is the item's failure (the other items still run)."""
    target = _target(db, item, plan)
    if isinstance(target, Err):
        return target
    return _apply(clients(target.value.server), plan, target.value)


@returns_result
def _apply(client: VirtualminClient, plan: Plan, target: _Target) -> None:
    domain = target.domain
    if plan.op == "enable":
        _done_if_conflict(lambda: client.enable_domain(domain))
    elif plan.op == "disable":
        _done_if_conflict(lambda: client.disable_domain(domain, plan.value or None))
    elif plan.op == "plan":
        client.modify_domain(domain, plan=str(plan.value))
    elif plan.op == "create":
        from praho_cli.services.hosting.validation import generate_password

        # The old password is not stored anywhere (by design), so the domain gets a fresh random one
        # that nobody sees; the operator sets a known one with `accounts password`.
        client.create_domain(domain, password=generate_password(), user=target.username, plan=target.plan,
                             template=target.template)
        if target.suspended:
            _done_if_conflict(lambda: client.disable_domain(domain, "Suspended"))


def _done_if_conflict(call: Callable[[], Any]) -> None:
    """"… is already disabled" / "… is not disabled" mean the wanted state is already there
    (http_disable-domain_already-disabled.json, http_enable-domain_already-enabled.json)."""
    done = returns_result(call)()
    if isinstance(done, Err) and done.error.code is not ErrorCode.CONFLICT:
        done.unwrap()
