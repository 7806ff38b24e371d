"""VAT rate table queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, select
from sqlmodel import Session, col

from praho_cli.ledger.models.billing import VatRateRow

_RATES = VatRateRow.__table__  # type: ignore[attr-defined]
_RATES_OF = select(_RATES.c.country, _RATES.c.category, _RATES.c.rate, _RATES.c.valid_from,
                   _RATES.c.valid_to).where(_RATES.c.country == bindparam("country"))


def rate_values(session: Session, country: str) -> Sequence[Any]:
    """Every rate of ``country`` as plain rows (country, category, rate, valid_from, valid_to)."""
    return session.connection().execute(_RATES_OF, {"country": country}).all()


def rates(session: Session, country: str | None = None, on: date | None = None) -> list[VatRateRow]:
    """Rates by country, category and start; of one country, or valid on one day."""
    stmt = select(VatRateRow).order_by(col(VatRateRow.country), col(VatRateRow.category), col(VatRateRow.valid_from))
    if country:
        stmt = stmt.where(col(VatRateRow.country) == country)
    if on:
        stmt = stmt.where(col(VatRateRow.valid_from) <= on)
        stmt = stmt.where((col(VatRateRow.valid_to).is_(None)) | (col(VatRateRow.valid_to) >= on))
    return list(session.execute(stmt).scalars())


def locked_rates(session: Session, country: str, category: str) -> list[VatRateRow]:
    """The rates of one country and category, locked (FOR UPDATE)."""
    return list(session.execute(
        select(VatRateRow).where(col(VatRateRow.country) == country, col(VatRateRow.category) == category)
        .with_for_update()
    ).scalars())
