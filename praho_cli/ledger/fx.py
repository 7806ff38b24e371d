"""Exchange rate queries."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli.ledger.models.billing import FxRateRow


def get(session: Session, currency: str, day: date) -> FxRateRow | None:
    return session.execute(
        select(FxRateRow).where(col(FxRateRow.currency) == currency, col(FxRateRow.day) == day)
    ).scalar_one_or_none()


def rates(session: Session, currency: str | None = None) -> list[FxRateRow]:
    """Rates by currency, newest day first."""
    stmt = select(FxRateRow).order_by(col(FxRateRow.currency), col(FxRateRow.day).desc())
    if currency:
        stmt = stmt.where(col(FxRateRow.currency) == currency)
    return list(session.execute(stmt).scalars())


def latest_on(session: Session, currency: str, day: date) -> FxRateRow | None:
    """The latest rate of ``currency`` on or before ``day``."""
    return session.execute(
        select(FxRateRow).where(col(FxRateRow.currency) == currency, col(FxRateRow.day) <= day)
        .order_by(col(FxRateRow.day).desc()).limit(1)
    ).scalar_one_or_none()
