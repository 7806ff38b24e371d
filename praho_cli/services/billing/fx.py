"""Exchange rates (RON per unit of a foreign currency), frozen into invoices by tax point."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlmodel import Session

from praho_cli.billing.fx import REPORTING_CURRENCY, FxRate, rate_for
from praho_cli.ledger import audit, documents
from praho_cli.ledger import fx as ledger
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import FxRateRow
from praho_cli.money import normalize_currency
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.context import ServiceContext

FX_RATE = RecordType(
    name="fx_rate",
    title="Exchange rate",
    description="RON for one unit of a currency on a day, from a source (e.g. BNR).",
    fields=(
        Field("currency", "string", "ISO 4217 code of the foreign currency."),
        Field("date", "string", "Day the rate was published for.", format="date"),
        Field("rate", "string", "RON per one unit, as a decimal string (\"4.9750\")."),
        Field("source", "string", "Who published the rate."),
        Field("created_at", "string", "When it was recorded (UTC).", table=False, format="date-time"),
    ),
)


@dataclass(frozen=True)
class FxInput:
    currency: str
    rate: Decimal
    day: date
    source: str = "BNR"
    replace_reason: str | None = None  # --replace --reason: correct a rate no document has frozen


def to_public(row: FxRateRow) -> dict[str, Any]:
    return {"currency": row.currency, "date": row.day.isoformat(), "rate": row.rate, "source": row.source,
            "created_at": iso(row.created_at)}


MAX_REASON = 400


@returns_result
def set_fx(session: Session, ctx: ServiceContext, data: FxInput) -> dict[str, Any]:
    """Record a rate. The same rate again is a no-op; a different rate for a day already recorded is
    a conflict unless ``replace_reason`` corrects it, which no document may have frozen."""
    currency = normalize_currency(data.currency)
    if currency == REPORTING_CURRENCY:
        raise fail(ErrorCode.INVALID, f"{REPORTING_CURRENCY} is the reporting currency; its rate is 1")
    source = data.source.strip()
    if not source or len(source) > 50:
        raise fail(ErrorCode.INVALID, "source: 1 to 50 characters")
    reason = data.replace_reason.strip() if data.replace_reason is not None else None
    if reason is not None and not reason:
        raise fail(ErrorCode.INVALID, "--replace needs --reason: say why the rate is corrected")
    if reason is not None and len(reason) > MAX_REASON:
        raise fail(ErrorCode.INVALID, f"reason: at most {MAX_REASON} characters")
    today = ctx.today()
    if data.day > today:
        raise fail(ErrorCode.INVALID, f"--date {data.day.isoformat()} is in the future (today is "
                   f"{today.isoformat()}): a rate is recorded for a day it was published")
    existing = ledger.get(session, currency, data.day)
    if existing is not None:
        if Decimal(existing.rate) == data.rate and existing.source == source:
            return to_public(existing)
        label = f"{currency} {existing.rate} ({existing.source}) of {data.day.isoformat()}"
        if reason is None:
            raise fail(ErrorCode.CONFLICT, f"{currency} already has rate {existing.rate} ({existing.source}) "
                       f"on {data.day.isoformat()}; to correct it pass --replace --reason R")
        frozen = documents.numbers_with_fx(session, currency, data.day, limit=4)
        if frozen:
            shown = ", ".join(frozen[:3]) + (" and more" if len(frozen) > 3 else "")
            raise fail(ErrorCode.INELIGIBLE, f"{label} cannot be replaced: {shown} froze it (correct those "
                       "with credit notes)", documents=frozen[:3])
        before = to_public(existing)
        existing.rate, existing.source = str(data.rate), source
        session.add(existing)
        session.flush()
        public = to_public(existing)
        audit.append(session, ts=ctx.now(), actor=ctx.actor, action="fx_rate.replace", entity_type="fx_rate",
                     entity_id=f"{currency}/{public['date']}", before=before, after={**public, "reason": reason})
        return public
    row = FxRateRow(currency=currency, day=data.day, rate=str(data.rate), source=source, created_at=ctx.now())
    session.add(row)
    session.flush()
    public = to_public(row)
    audit.append(session, ts=row.created_at, actor=ctx.actor, action="fx_rate.create", entity_type="fx_rate",
                 entity_id=f"{currency}/{public['date']}", after=public)
    return public


@returns_result
def list_fx(session: Session, currency: str | None = None) -> Iterator[dict[str, Any]]:
    rows = ledger.rates(session, currency.strip().upper() if currency else None)
    return (to_public(r) for r in rows)


def rate_on(session: Session, currency: str, tax_point: date) -> FxRate:
    """The latest rate on or before ``tax_point`` (raises ``invalid`` when there is none)."""
    row = ledger.latest_on(session, currency, tax_point)
    candidates = [FxRate(row.currency, Decimal(row.rate), row.day, row.source)] if row else []
    return rate_for(candidates, currency, tax_point)
