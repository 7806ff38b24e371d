"""What happens to an account after creation: suspend, unsuspend, terminate, delete, protect, password, plan.

A lifecycle operation is three steps, because the ledger and Virtualmin share no transaction:
claim the row (compare-and-set on ``version``, ``pending_op`` set) and commit; call Virtualmin;
record the outcome against the claimed version. A concurrent command sees the claim or a newer
version and fails with CONFLICT (exit 5) instead of overwriting. Creation is in provisioning.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import accounts as repo
from praho_cli.ledger import audit
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import HostingAccount, Server
from praho_cli.ledger.uow import read_session, transaction
from praho_cli.result import Err, ErrorCode, PrahoError, PrahoFailure, Retry, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.hosting.accounts import find_account, public_of, to_public
from praho_cli.services.hosting.connections import ClientProvider
from praho_cli.services.hosting.tx import error_of, outcome
from praho_cli.services.hosting.validation import check_password, generate_password
from praho_cli.virtualmin.client import VirtualminClient

STALE_CLAIM = timedelta(minutes=15)


@dataclass(frozen=True)
class Claim:
    account_id: int
    version: int  # the version the claim wrote
    server: Server
    before: dict[str, Any]


def _claim(
    db: Database, ctx: ServiceContext, ref: str, op: str, decide: Callable[[HostingAccount], bool],
) -> Claim | dict[str, Any]:
    """Claim the account for ``op``. ``decide`` returns True to proceed, False when the wanted state is
    already in effect (the public record comes back and nothing else happens), or raises."""

    def work(session: Session) -> Claim | dict[str, Any]:
        account = find_account(session, ref).unwrap()
        if account.pending_op and ctx.now() - account.updated_at < STALE_CLAIM:
            raise fail(ErrorCode.CONFLICT, f"{account.domain}: {account.pending_op} is in progress (started "
                       f"{iso(account.updated_at)}); retry when it finishes", retry=Retry.RETRIABLE)
        if not decide(account):
            return public_of(session, account)
        server = server_repo.get_by_id(session, account.server_id)
        assert server is not None
        before = public_of(session, account)
        claimed = repo.update_account_if_version(session, account.id or 0, account.version,
                                                 {"pending_op": op, "updated_at": ctx.now()})
        if claimed is None:
            raise fail(ErrorCode.CONFLICT, f"{account.domain} was changed by someone else meanwhile; "
                       "show it again and retry")
        return Claim(account.id or 0, claimed.version, server_repo.snapshot(server), before)

    return transaction(db, work)


def _finish(
    db: Database, ctx: ServiceContext, claim: Claim, action: str, values: dict[str, Any] | None,
    failure: PrahoError | None,
) -> dict[str, Any]:
    """Record the outcome against the claimed version. ``values`` None: nothing changed remotely.
    A remote ``failure`` is raised after the ledger is released (it wins over a failed recording)."""
    now = ctx.now()

    def work(session: Session) -> dict[str, Any]:
        updated = repo.update_account_if_version(
            session, claim.account_id, claim.version, {**(values or {}), "pending_op": None, "updated_at": now})
        if updated is None:
            raise fail(ErrorCode.CONFLICT, f"account {claim.account_id} changed while {action} ran")
        after = to_public(updated, claim.server.name, claim.before["customer_name"])
        if values is not None:
            audit.append(session, ts=now, actor=ctx.actor, action=action, entity_type="account",
                         entity_id=after["id"], before=claim.before, after=after)
        return after

    recorded = transaction(db, work)
    if failure is not None:
        raise PrahoFailure(failure)
    return recorded


def _remote(call: Callable[[], Any], done_codes: tuple[ErrorCode, ...] = ()) -> PrahoError | None:
    """Run a remote step. A failure whose code means "already in the wanted state" counts as done
    (http_disable-domain_already-disabled.json, http_enable-domain_already-enabled.json)."""
    failure = error_of(call)
    if failure is not None and failure.code in done_codes:
        return None
    return failure


def _read_back(client: VirtualminClient, domain: str) -> tuple[bool, Any]:
    """(known, DomainRecord | None): whether the domain's state could be read."""
    read = outcome(lambda: client.get_domain(domain))
    if isinstance(read, Err):
        return False, None
    return True, read.value


def _transition(
    db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, op: str, action: str,
    decide: Callable[[HostingAccount], bool], remote: Callable[[VirtualminClient, str], Any] | None,
    done_codes: tuple[ErrorCode, ...], in_effect: Callable[[Any], bool], values: dict[str, Any],
) -> dict[str, Any]:
    claim = _claim(db, ctx, ref, op, decide)
    if isinstance(claim, dict):
        return claim
    domain = claim.before["domain"]
    failure: PrahoError | None = None
    if remote is not None:
        client = clients(claim.server)
        failure = _remote(lambda: remote(client, domain), done_codes)
        if failure is not None and failure.retry is Retry.UNKNOWN:
            # A timeout or lost reply: the state on the server decides, never a blind retry.
            known, record = _read_back(client, domain)
            if known and in_effect(record):
                failure = None
    return _finish(db, ctx, claim, action, None if failure else values, failure)


@returns_result
def suspend(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, reason: str) -> dict[str, Any]:
    reason = reason.strip()
    if not reason:
        raise fail(ErrorCode.INVALID, "reason: must not be empty", field="reason")

    def decide(a: HostingAccount) -> bool:
        if a.status == "suspended":
            return False
        if a.status != "active":
            raise fail(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only active accounts can be suspended")
        return True

    return _transition(db, ctx, clients, ref, "suspend", "account.suspend", decide,
                       lambda c, d: c.disable_domain(d, reason), (ErrorCode.CONFLICT,),
                       lambda r: r is not None and r.disabled,
                       {"status": "suspended", "suspend_reason": reason[:500]})


@returns_result
def unsuspend(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> dict[str, Any]:
    def decide(a: HostingAccount) -> bool:
        if a.status == "active":
            return False
        if a.status != "suspended":
            raise fail(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only suspended accounts can be unsuspended")
        return True

    return _transition(db, ctx, clients, ref, "unsuspend", "account.unsuspend", decide,
                       lambda c, d: c.enable_domain(d), (ErrorCode.CONFLICT,),
                       lambda r: r is not None and not r.disabled,
                       {"status": "active", "suspend_reason": None})


@returns_result
def terminate(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> dict[str, Any]:
    """Suspend remotely and mark terminated; the row stays (delete removes it)."""
    with read_session(db) as session:
        status = find_account(session, ref).unwrap().status
    needs_remote = status == "active"

    def decide(a: HostingAccount) -> bool:
        if a.status == "terminated":
            return False
        if a.status == "provisioning":
            raise fail(ErrorCode.INELIGIBLE, f"{a.domain} is still provisioning (see praho accounts jobs list)")
        if (a.status == "active") != needs_remote:
            raise fail(ErrorCode.CONFLICT, f"{a.domain} changed state meanwhile; retry")
        return True

    return _transition(db, ctx, clients, ref, "terminate", "account.terminate", decide,
                       (lambda c, d: c.disable_domain(d, "Terminated")) if needs_remote else None,
                       (ErrorCode.CONFLICT,), lambda r: r is not None and r.disabled,
                       {"status": "terminated", "suspend_reason": "terminated"})


@returns_result
def set_protected(session: Session, ctx: ServiceContext, ref: str, protected: bool) -> dict[str, Any]:
    account = find_account(session, ref).unwrap()
    before = public_of(session, account)
    if account.protected == protected:
        return before
    now = ctx.now()
    updated = repo.update_account_if_version(session, account.id or 0, account.version,
                                             {"protected": protected, "updated_at": now})
    if updated is None:
        raise fail(ErrorCode.CONFLICT, f"{account.domain} was changed by someone else meanwhile; retry")
    after = public_of(session, updated)
    audit.append(session, ts=now, actor=ctx.actor, action="account.protect" if protected else "account.unprotect",
                 entity_type="account", entity_id=after["id"], before=before, after=after)
    return after


@returns_result
def delete(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str) -> dict[str, Any]:
    """Remove a terminated account from Virtualmin and the ledger (its jobs and audit events stay)."""

    def decide(a: HostingAccount) -> bool:
        if a.protected:
            raise fail(ErrorCode.INELIGIBLE, f"{a.domain} is protected; run praho accounts unprotect {a.domain} "
                       "--yes first")
        if a.status != "terminated":
            raise fail(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; terminate it before deleting")
        return True

    claim = _claim(db, ctx, ref, "delete", decide)
    assert isinstance(claim, Claim)
    domain = claim.before["domain"]
    client = clients(claim.server)
    # "Virtual server X does not exist" (http_delete-domain_not-found.json): already gone is done.
    failure = _remote(lambda: client.delete_domain(domain), (ErrorCode.NOT_FOUND,))
    if failure is not None and failure.retry is Retry.UNKNOWN:
        known, record = _read_back(client, domain)
        if known and record is None:
            failure = None
    if failure is not None:
        return _finish(db, ctx, claim, "account.delete", None, failure)
    now = ctx.now()

    def work(session: Session) -> dict[str, Any]:
        account = repo.get_by_id(session, claim.account_id)
        if account is None or account.version != claim.version:
            raise fail(ErrorCode.CONFLICT, f"{domain} changed while it was being deleted")
        if account.holds_slot:
            server_repo.release_slot(session, account.server_id)
        repo.detach_jobs(session, account.id or 0)
        repo.delete_account(session, account)
        after = {**claim.before, "status": "deleted", "pending_op": None}
        audit.append(session, ts=now, actor=ctx.actor, action="account.delete", entity_type="account",
                     entity_id=claim.before["id"], before=claim.before)
        return after

    return transaction(db, work)


@returns_result
def rotate_password(
    db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, password: str | None = None
) -> tuple[dict[str, Any], str]:
    """Set a new password (generated unless given). Returns the record and the password, which the
    caller delivers once (file or terminal); it is never stored."""
    if password is not None:
        check_password(password).unwrap()
    new_password = password or generate_password()

    def decide(a: HostingAccount) -> bool:
        if a.status not in ("active", "suspended"):
            raise fail(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only active or suspended accounts")
        return True

    record = _transition(db, ctx, clients, ref, "password", "account.password", decide,
                         lambda c, d: c.modify_domain(d, password=new_password), (), lambda r: False, {})
    return record, new_password


@returns_result
def change_plan(db: Database, ctx: ServiceContext, clients: ClientProvider, ref: str, plan: str) -> dict[str, Any]:
    def decide(a: HostingAccount) -> bool:
        if a.plan == plan:
            return False
        if a.status not in ("active", "suspended"):
            raise fail(ErrorCode.INELIGIBLE, f"{a.domain} is {a.status}; only active or suspended accounts")
        return True

    return _transition(db, ctx, clients, ref, "plan", "account.plan", decide,
                       lambda c, d: c.modify_domain(d, plan=plan), (),
                       lambda r: r is not None and plan in (r.plan, r.plan_id), {"plan": plan})
