"""Customer queries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
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
    missing_efactura: bool = False,
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
    if missing_efactura:
        stmt = stmt.where(lacks_efactura_fields())
    stmt = stmt.order_by(col(Customer.id))
    yield from session.execute(stmt.execution_options(yield_per=500)).scalars()


def lacks_efactura_fields() -> ColumnElement[bool]:
    """A customer an e-Factura cannot name: no street address or city, or a Romanian one without its
    county (the fields :func:`praho_cli.services.billing.efactura.parties.buyer_problems` requires)."""
    def blank(column: Any) -> ColumnElement[bool]:
        return or_(column.is_(None), func.trim(column) == "")

    return or_(blank(col(Customer.address)), blank(col(Customer.city)),
               and_(col(Customer.country) == "RO", blank(col(Customer.county))))


def update_if_version(session: Session, customer_id: int, version: int, values: dict[str, Any]) -> Customer | None:
    return versioned.update_if_version(session, Customer, customer_id, version, values)
