"""The VAT rate table: list it, add a rate with its validity, and load it for pricing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from praho_cli.billing.rates import RATED_CATEGORIES, VatCategory, VatRate, check_overlap
from praho_cli.ledger import audit
from praho_cli.ledger import tax as ledger
from praho_cli.ledger.models.billing import VatRateRow
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.context import ServiceContext

VAT_RATE = RecordType(
    name="vat_rate",
    title="VAT rate",
    description="One row of the versioned VAT rate table.",
    fields=(
        Field("country", "string", "ISO 3166-1 alpha-2 country code."),
        Field("category", "string", "VAT category.", enum=tuple(c.value for c in RATED_CATEGORIES)),
        Field("rate", "string", "Rate in percent, as a decimal string (\"21\", \"25.5\")."),
        Field("valid_from", "string", "First tax point date the rate applies to.", format="date"),
        Field("valid_to", "string|null", "Last tax point date (inclusive); null while current.", format="date"),
    ),
)


@dataclass(frozen=True)
class RateInput:
    country: str
    category: VatCategory
    rate: Decimal
    valid_from: date
    valid_to: date | None = None


def _domain(row: VatRateRow) -> VatRate:
    return vat_rate(row.country, row.category, row.rate, row.valid_from, row.valid_to)


def to_public(row: VatRateRow) -> dict[str, Any]:
    return {
        "country": row.country,
        "category": row.category,
        "rate": row.rate,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": row.valid_to.isoformat() if row.valid_to else None,
    }


def vat_rate(country: str, category: str, rate: str, valid_from: date, valid_to: date | None) -> VatRate:
    """A stored rate (the columns of the vat_rates table) as pricing knows it."""
    return VatRate(country, VatCategory(category), Decimal(rate), valid_from, valid_to)


def load_rates(session: Session, country: str) -> list[VatRate]:
    """Every rate of ``country`` (plain rows: pricing needs values, not ORM objects)."""
    return [vat_rate(*row) for row in ledger.rate_values(session, country)]


@returns_result
def list_rates(session: Session, country: str | None = None, on: date | None = None) -> Iterator[dict[str, Any]]:
    rows = ledger.rates(session, country.upper() if country else None, on)
    return (to_public(r) for r in rows)


@returns_result
def set_rate(session: Session, ctx: ServiceContext, data: RateInput) -> dict[str, Any]:
    """Add a rate. An open-ended rate of the same country and category that starts earlier is
    closed the day before (how a rate change is announced: "21 % from 1 August")."""
    country = data.country.strip().upper()
    if len(country) != 2 or not country.isalpha():
        raise fail(ErrorCode.INVALID, f"country: {data.country!r} is not an ISO 3166 alpha-2 code")
    if data.category not in RATED_CATEGORIES:
        raise fail(ErrorCode.INVALID, f"category {data.category.value} is always 0 %; only standard, reduced "
                   "and reduced2 rates are kept in the table")
    if data.valid_to is not None and data.valid_to < data.valid_from:
        raise fail(ErrorCode.INVALID, "--until must not be before --from")
    rows = ledger.locked_rates(session, country, data.category.value)
    now = ctx.now()
    new = VatRate(country, data.category, data.rate, data.valid_from, data.valid_to)
    for row in rows:
        if row.valid_to is None and row.valid_from < data.valid_from:
            before = to_public(row)
            row.valid_to = data.valid_from - timedelta(days=1)
            session.add(row)
            audit.append(session, ts=now, actor=ctx.actor, action="vat_rate.close", entity_type="vat_rate",
                         entity_id=f"{country}/{row.category}/{row.valid_from.isoformat()}",
                         before=before, after=to_public(row))
    check_overlap([_domain(r) for r in rows], new)
    row = VatRateRow(country=country, category=data.category.value, rate=str(data.rate),
                     valid_from=data.valid_from, valid_to=data.valid_to, created_at=now)
    session.add(row)
    session.flush()
    public = to_public(row)
    audit.append(session, ts=now, actor=ctx.actor, action="vat_rate.create", entity_type="vat_rate",
                 entity_id=f"{country}/{row.category}/{row.valid_from.isoformat()}", after=public)
    return public
