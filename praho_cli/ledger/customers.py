"""Customer queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from praho_cli.ledger import versioned
from praho_cli.ledger.models import Customer


def get_by_id(session: Session, customer_id: int) -> Customer | None:
    return session.get(Customer, customer_id)


def get_by_email(session: Session, email: str) -> Customer | None:
    return session.execute(select(Customer).where(col(Customer.email) == email)).scalar_one_or_none()


def insert(session: Session, customer: Customer) -> Customer:
    session.add(customer)
    session.flush()
    return customer


def iter_customers(
    session: Session,
    *,
    name_contains: str | None = None,
    email: str | None = None,
    country: str | None = None,
    kind: str | None = None,
) -> Iterator[Customer]:
    stmt = select(Customer)
    if name_contains:
        escaped = name_contains.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(Customer.name).like(f"%{escaped}%", escape="\\"))
    if email:
        stmt = stmt.where(col(Customer.email) == email)
    if country:
        stmt = stmt.where(col(Customer.country) == country)
    if kind:
        stmt = stmt.where(col(Customer.kind) == kind)
    stmt = stmt.order_by(col(Customer.id))
    yield from session.execute(stmt.execution_options(yield_per=500)).scalars()


def update_if_version(session: Session, customer_id: int, version: int, values: dict[str, Any]) -> Customer | None:
    return versioned.update_if_version(session, Customer, customer_id, version, values)
