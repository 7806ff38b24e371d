"""Exchange rates (RON per unit of a foreign currency), frozen into invoices by tax point."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli.billing.fx import REPORTING_CURRENCY, FxRate, rate_for
from praho_cli.ledger import audit
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument, FxRateRow
from praho_cli.money import normalize_currency
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoFailure, Result, err
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


def _frozen_by(session: Session, currency: str, day: date) -> list[str]:
    """Numbers of the issued documents that froze the rate of ``currency`` on ``day``."""
    return [n or "" for n in session.execute(
        select(col(BillingDocument.number_text)).where(
            col(BillingDocument.currency) == currency, col(BillingDocument.fx_day) == day,
            col(BillingDocument.fx_rate).is_not(None),
        ).order_by(col(BillingDocument.id)).limit(4)
    ).scalars()]


MAX_REASON = 400


def set_fx(session: Session, ctx: ServiceContext, data: FxInput) -> Result[dict[str, Any]]:
    """Record a rate. The same rate again is a no-op; a different rate for a day already recorded is
    a conflict unless ``replace_reason`` corrects it, which no document may have frozen."""
    try:
        currency = normalize_currency(data.currency)
    except PrahoFailure as failure:
        return Err(failure.error)
    if currency == REPORTING_CURRENCY:
        return err(ErrorCode.INVALID, f"{REPORTING_CURRENCY} is the reporting currency; its rate is 1")
    source = data.source.strip()
    if not source or len(source) > 50:
        return err(ErrorCode.INVALID, "source: 1 to 50 characters")
    reason = data.replace_reason.strip() if data.replace_reason is not None else None
    if reason is not None and not reason:
        return err(ErrorCode.INVALID, "--replace needs --reason: say why the rate is corrected")
    if reason is not None and len(reason) > MAX_REASON:
        return err(ErrorCode.INVALID, f"reason: at most {MAX_REASON} characters")
    today = ctx.today()
    if data.day > today:
        return err(ErrorCode.INVALID, f"--date {data.day.isoformat()} is in the future (today is "
                   f"{today.isoformat()}): a rate is recorded for a day it was published")
    existing = session.execute(
        select(FxRateRow).where(col(FxRateRow.currency) == currency, col(FxRateRow.day) == data.day)
    ).scalar_one_or_none()
    if existing is not None:
        if Decimal(existing.rate) == data.rate and existing.source == source:
            return Ok(to_public(existing))
        label = f"{currency} {existing.rate} ({existing.source}) of {data.day.isoformat()}"
        if reason is None:
            return err(ErrorCode.CONFLICT, f"{currency} already has rate {existing.rate} ({existing.source}) "
                       f"on {data.day.isoformat()}; to correct it pass --replace --reason R")
        frozen = _frozen_by(session, currency, data.day)
        if frozen:
            shown = ", ".join(frozen[:3]) + (" and more" if len(frozen) > 3 else "")
            return err(ErrorCode.INELIGIBLE, f"{label} cannot be replaced: {shown} froze it (correct those "
                       "with credit notes)", documents=frozen[:3])
        before = to_public(existing)
        existing.rate, existing.source = str(data.rate), source
        session.add(existing)
        session.flush()
        public = to_public(existing)
        audit.append(session, ts=ctx.now(), actor=ctx.actor, action="fx_rate.replace", entity_type="fx_rate",
                     entity_id=f"{currency}/{public['date']}", before=before, after={**public, "reason": reason})
        return Ok(public)
    row = FxRateRow(currency=currency, day=data.day, rate=str(data.rate), source=source, created_at=ctx.now())
    session.add(row)
    session.flush()
    public = to_public(row)
    audit.append(session, ts=row.created_at, actor=ctx.actor, action="fx_rate.create", entity_type="fx_rate",
                 entity_id=f"{currency}/{public['date']}", after=public)
    return Ok(public)


def list_fx(session: Session, currency: str | None = None) -> Result[Iterator[dict[str, Any]]]:
    stmt = select(FxRateRow).order_by(col(FxRateRow.currency), col(FxRateRow.day).desc())
    if currency:
        stmt = stmt.where(col(FxRateRow.currency) == currency.strip().upper())
    rows = list(session.execute(stmt).scalars())
    return Ok(to_public(r) for r in rows)


def rate_on(session: Session, currency: str, tax_point: date) -> FxRate:
    """The latest rate on or before ``tax_point`` (raises ``invalid`` when there is none)."""
    row = session.execute(
        select(FxRateRow).where(col(FxRateRow.currency) == currency, col(FxRateRow.day) <= tax_point)
        .order_by(col(FxRateRow.day).desc()).limit(1)
    ).scalar_one_or_none()
    candidates = [FxRate(row.currency, Decimal(row.rate), row.day, row.source)] if row else []
    return rate_for(candidates, currency, tax_point)
