"""Hosting account and provisioning job queries."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from praho_cli.ledger import versioned
from praho_cli.ledger.models.hosting import HostingAccount, ProvisioningJob


def get_by_domain(session: Session, domain: str) -> HostingAccount | None:
    return session.execute(select(HostingAccount).where(col(HostingAccount.domain) == domain)).scalar_one_or_none()


def get_by_id(session: Session, account_id: int) -> HostingAccount | None:
    return session.get(HostingAccount, account_id)


def username_taken(session: Session, username: str, except_id: int | None = None) -> bool:
    stmt = select(col(HostingAccount.id)).where(col(HostingAccount.username) == username)
    found = session.execute(stmt).scalar_one_or_none()
    return found is not None and found != except_id


def insert(session: Session, row: HostingAccount | ProvisioningJob) -> None:
    session.add(row)
    session.flush()


def iter_accounts(
    session: Session, *, server_id: int | None = None, customer_id: int | None = None, status: str | None = None
) -> Iterator[HostingAccount]:
    stmt = select(HostingAccount).order_by(HostingAccount.domain)
    if server_id is not None:
        stmt = stmt.where(col(HostingAccount.server_id) == server_id)
    if customer_id is not None:
        stmt = stmt.where(col(HostingAccount.customer_id) == customer_id)
    if status is not None:
        stmt = stmt.where(col(HostingAccount.status) == status)
    yield from session.execute(stmt.execution_options(yield_per=500)).scalars()


def update_account_if_version(
    session: Session, account_id: int, version: int, values: dict[str, Any]
) -> HostingAccount | None:
    return versioned.update_if_version(session, HostingAccount, account_id, version, values)


def get_job(session: Session, job_ref: str) -> ProvisioningJob | None:
    if job_ref.isdigit():
        return session.get(ProvisioningJob, int(job_ref))
    return session.execute(
        select(ProvisioningJob).where(col(ProvisioningJob.attempt_id) == job_ref)
    ).scalar_one_or_none()


def iter_jobs(session: Session, *, status: str | None = None, domain: str | None = None) -> Iterator[ProvisioningJob]:
    stmt = select(ProvisioningJob).order_by(col(ProvisioningJob.id))
    if status is not None:
        stmt = stmt.where(col(ProvisioningJob.status) == status)
    if domain is not None:
        stmt = stmt.where(col(ProvisioningJob.domain) == domain)
    yield from session.execute(stmt).scalars()


def delete_account(session: Session, account: HostingAccount) -> None:
    session.delete(account)
    session.flush()


def detach_jobs(session: Session, account_id: int) -> None:
    """Keep an account's provisioning jobs (their history) when the account row is deleted."""
    session.execute(update(ProvisioningJob).where(col(ProvisioningJob.account_id) == account_id)
                    .values(account_id=None).execution_options(synchronize_session=False))


def set_job_progress(session: Session, job_id: int, *, status: str, error: str | None, steps_json: str,
                     username: str, now: datetime) -> None:
    """A create's progress, as one plain UPDATE (no re-read: bench/bench_apply.py)."""
    session.execute(
        update(ProvisioningJob).where(col(ProvisioningJob.id) == job_id)
        .values(status=status, error=error, steps_json=steps_json, username=username, updated_at=now,
                version=ProvisioningJob.version + 1)
        .execution_options(synchronize_session=False))


def set_account_values(session: Session, account_id: int, values: dict[str, Any], now: datetime) -> None:
    """Columns of an account the running create owns (its claim is ``pending_op``), as one plain UPDATE."""
    session.execute(
        update(HostingAccount).where(col(HostingAccount.id) == account_id)
        .values(**values, updated_at=now, version=HostingAccount.version + 1)
        .execution_options(synchronize_session=False))
