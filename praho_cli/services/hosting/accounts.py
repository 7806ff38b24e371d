"""Hosting accounts in the ledger: their public records, lookups, the list and the job views.

Creating an account is in provisioning.py; what happens to it afterwards (suspend, unsuspend,
terminate, delete, protect, password, plan) is in lifecycle.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import accounts as repo
from praho_cli.ledger import servers as server_repo
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.hosting import HostingAccount, ProvisioningJob
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.hosting.validation import parse_domain

STATUSES = ("provisioning", "active", "suspended", "terminated", "error")

ACCOUNT = RecordType(
    name="account",
    title="Account",
    description="A hosting account (a Virtualmin top-level virtual server) in the ledger.",
    fields=(
        Field("id", "string", "Ledger id of the account."),
        Field("domain", "string", "Domain, lower-case, IDNA (punycode) form."),
        Field("domain_unicode", "string", "Domain as people read it.", table=False),
        Field("customer_id", "string", "Owner (customer id).", table=False),
        Field("customer_name", "string", "Owner's name."),
        Field("server", "string", "Server name."),
        Field("username", "string", "Virtualmin administration username."),
        Field("plan", "string|null", "Virtualmin plan."),
        Field("template", "string|null", "Virtualmin template.", table=False),
        Field("status", "string", "Lifecycle state.", enum=STATUSES),
        Field("suspend_reason", "string|null", "Why it is suspended.", table=False),
        Field("error_reason", "string|null", "Why provisioning failed.", table=False),
        Field("protected", "boolean", "Deletion refused until `accounts unprotect`.", table=False),
        Field("pending_op", "string|null", "An operation in progress on this account.", table=False),
        Field("password", "string|null", "Generated password: only with --show-password, never stored.",
              table=False),
        Field("created_at", "string", "When it was recorded (UTC).", table=False, format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
        Field("version", "integer", "Optimistic-lock version.", table=False),
    ),
)

JOB = RecordType(
    name="provisioning_job",
    title="Provisioning job",
    description="One attempt to create an account, with its steps and rollback.",
    fields=(
        Field("id", "string", "Ledger id of the job."),
        Field("attempt_id", "string", "Unique id of this attempt."),
        Field("kind", "string", "What the job does.", enum=("create",)),
        Field("domain", "string", "Domain."),
        Field("server", "string", "Server name."),
        Field("username", "string", "Username the attempt uses."),
        Field("status", "string", "pending, running, succeeded, failed or unknown (remote outcome not known).",
              enum=("pending", "running", "succeeded", "failed", "unknown")),
        Field("error", "string|null", "Why it failed."),
        Field("steps", "array", "Steps and rollback operations with their outcome.", table=False),
        Field("created_at", "string", "When it started (UTC).", format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
        Field("version", "integer", "Optimistic-lock version.", table=False),
    ),
)


def to_public(account: HostingAccount, server_name: str, customer_name: str,
              password: str | None = None) -> dict[str, Any]:
    return {
        "id": str(account.id),
        "domain": account.domain,
        "domain_unicode": account.domain_unicode,
        "customer_id": str(account.customer_id),
        "customer_name": customer_name,
        "server": server_name,
        "username": account.username,
        "plan": account.plan,
        "template": account.template,
        "status": account.status,
        "suspend_reason": account.suspend_reason,
        "error_reason": account.error_reason,
        "protected": account.protected,
        "pending_op": account.pending_op,
        "password": password,
        "created_at": iso(account.created_at),
        "updated_at": iso(account.updated_at),
        "version": account.version,
    }


def job_public(job: ProvisioningJob, server_name: str) -> dict[str, Any]:
    return {
        "id": str(job.id),
        "attempt_id": job.attempt_id,
        "kind": job.kind,
        "domain": job.domain,
        "server": server_name,
        "username": job.username,
        "status": job.status,
        "error": job.error,
        "steps": json.loads(job.steps_json),
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "version": job.version,
    }


def server_name(session: Session, server_id: int) -> str:
    server = server_repo.get_by_id(session, server_id)
    return server.name if server else f"#{server_id}"


def customer_name(session: Session, customer_id: int) -> str:
    """The owner's name (the session's identity map answers when the customer was loaded already)."""
    customer = session.get(Customer, customer_id)
    return customer.name if customer else f"#{customer_id}"


def public_of(session: Session, account: HostingAccount) -> dict[str, Any]:
    return to_public(account, server_name(session, account.server_id), customer_name(session, account.customer_id))


@returns_result
def find_account(session: Session, ref: str) -> HostingAccount:
    ref = ref.strip()
    if ref.isdigit():
        account = repo.get_by_id(session, int(ref))
    else:
        # A reserved name may still be in the ledger (adopted from a server): parse, not normalize.
        account = repo.get_by_domain(session, parse_domain(ref).unwrap()[0])
    if account is None:
        raise fail(ErrorCode.NOT_FOUND, f"no account {ref!r} in the ledger")
    return account


@returns_result
def find_customer(session: Session, ref: str) -> Customer:
    from praho_cli.services.billing.customers import find_customer as find

    return find(session, ref).unwrap()


@dataclass(frozen=True)
class AccountFilter:
    server: str | None = None
    customer: str | None = None
    status: str | None = None


@returns_result
def list_accounts(session: Session, flt: AccountFilter) -> Iterator[dict[str, Any]]:
    if flt.status is not None and flt.status not in STATUSES:
        raise fail(ErrorCode.INVALID, f"status: must be one of {', '.join(STATUSES)}")
    server_id = customer_id = None
    if flt.server:
        server = server_repo.get_by_name(session, flt.server.lower())
        if server is None:
            raise fail(ErrorCode.NOT_FOUND, f"no server {flt.server!r}")
        server_id = server.id
    if flt.customer:
        customer_id = find_customer(session, flt.customer).unwrap().id
    names = {s.id: s.name for s in server_repo.iter_servers(session)}
    owners: dict[int, str] = {}
    rows = repo.iter_accounts(session, server_id=server_id, customer_id=customer_id, status=flt.status)

    def owner(account: HostingAccount) -> str:
        if account.customer_id not in owners:
            owners[account.customer_id] = customer_name(session, account.customer_id)
        return owners[account.customer_id]

    return (to_public(a, names.get(a.server_id, ""), owner(a)) for a in rows)


@returns_result
def show_account(session: Session, ref: str) -> dict[str, Any]:
    return public_of(session, find_account(session, ref).unwrap())


@returns_result
def list_jobs(session: Session, status: str | None) -> Iterator[dict[str, Any]]:
    names = {s.id: s.name for s in server_repo.iter_servers(session)}
    return (job_public(j, names.get(j.server_id, "")) for j in repo.iter_jobs(session, status=status))


@returns_result
def show_job(session: Session, ref: str) -> dict[str, Any]:
    job = repo.get_job(session, ref.strip())
    if job is None:
        raise fail(ErrorCode.NOT_FOUND, f"no provisioning job {ref!r}")
    return job_public(job, server_name(session, job.server_id))
