"""Adopting Virtualmin's state into the ledger for one drift record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import accounts as account_repo
from praho_cli.ledger import audit
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.models.hosting import HostingAccount
from praho_cli.result import ErrorCode, fail
from praho_cli.services.context import ServiceContext
from praho_cli.services.drift.plan import Item, Plan


def adopt(session: Session, ctx: ServiceContext, item: Item, plan: Plan, now: datetime) -> None:
    """Apply the plan to the ledger in the caller's unit of work, audited."""
    from praho_cli.services.hosting.accounts import public_of

    if plan.op == "adopt_new":
        vm = item.virtualmin or {}
        server = server_repo.get_by_name(session, item.server)
        if server is None:
            raise fail(ErrorCode.NOT_FOUND, f"server {item.server} is gone from the ledger")
        domain = item.domain or ""
        try:
            unicode_name = domain.encode("ascii").decode("idna")
        except UnicodeError:
            unicode_name = domain
        disabled = vm.get("status") == "disabled"
        holds = server_repo.reserve_slot(session, server.id or 0)
        account = HostingAccount(
            domain=domain, domain_unicode=unicode_name, customer_id=int(plan.value), server_id=server.id or 0,
            username=str(vm.get("username")), plan=vm.get("plan"), status="suspended" if disabled else "active",
            suspend_reason="adopted from Virtualmin (disabled there)" if disabled else None, holds_slot=holds,
            created_at=now, updated_at=now, version=1,
        )
        account_repo.insert(session, account)
        after = public_of(session, account)
        audit.append(session, ts=now, actor=ctx.actor, action="account.adopt", entity_type="account",
                     entity_id=after["id"], after=after)
        return
    existing = session.get(HostingAccount, plan.account_id)
    if existing is None:
        raise fail(ErrorCode.NOT_FOUND, f"{item.domain} is no longer in the ledger")
    account = existing
    before = public_of(session, account)
    values: dict[str, Any] = {"updated_at": now}
    if plan.op == "adopt_gone":
        values.update(status="terminated", suspend_reason="missing in Virtualmin (adopted by drift resolve)",
                      holds_slot=False)
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
    elif plan.op == "adopt_status":
        values.update(status=plan.value,
                      suspend_reason="adopted from Virtualmin (disabled there)" if plan.value == "suspended" else None)
        if account.status == "error":
            # a create recorded as failed released its slot: the domain it left takes one again
            values["error_reason"] = None
            if not account.holds_slot:
                values["holds_slot"] = server_repo.reserve_slot(session, account.server_id)
    elif plan.op == "adopt_plan":
        values["plan"] = plan.value
    elif plan.op == "adopt_owner":
        values["username"] = plan.value
    elif plan.op == "adopt_server":
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
        values.update(server_id=plan.value, holds_slot=server_repo.reserve_slot(session, int(plan.value)))
    updated = account_repo.update_account_if_version(session, account.id or 0, account.version, values)
    if updated is None:
        raise fail(ErrorCode.CONFLICT, f"{item.domain} was changed by someone else meanwhile; retry")
    audit.append(session, ts=now, actor=ctx.actor, action="account.adopt", entity_type="account",
                 entity_id=before["id"], before=before, after=public_of(session, updated))
