"""Issuing: lock the draft, freeze its rates and snapshots, take the number, append the audit event;
the unit of work commits. Invoices, proformas and credit notes share this path.

Issuing freezes the seller and customer snapshots, the VAT regime and rates of the tax point, the
totals and (for a foreign currency) the exchange rate, and takes the next number of its series in
the same transaction.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from praho_cli.billing.fx import REPORTING_CURRENCY, to_reporting_minor
from praho_cli.billing.numbering import DocumentKind, counter_year
from praho_cli.billing.regime import seller_vat_id_problem
from praho_cli.billing.totals import DocumentTotals, LineInput
from praho_cli.ledger import audit
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.billing import BillingDocument, DocumentSeries
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing import fx as fx_service
from praho_cli.services.billing import series as series_service
from praho_cli.services.billing.documents.detail import detail
from praho_cli.services.billing.documents.drafts import require_draft
from praho_cli.services.billing.documents.lines import priced_lines
from praho_cli.services.billing.documents.lookup import kind_label, lock_document
from praho_cli.services.billing.documents.pricing import apply_totals, price_draft, rounding, write_lines
from praho_cli.services.context import ServiceContext
from praho_cli.services.idempotency import idempotent

# What Romanian law (Codul fiscal art. 319 (20)) needs of the supplier on every invoice and credit
# note: its name, its address and its tax identification code (CUI, RO-prefixed for a VAT payer).
SELLER_REQUIRED = ("name", "vat_id", "address")


def require_seller(ctx: ServiceContext) -> None:
    """Refuse (exit 78) to issue a document without the seller's legal identity in the configuration."""
    missing = [f"seller.{k}" for k in SELLER_REQUIRED if not str(ctx.setting(f"seller.{k}") or "").strip()]
    if missing:
        raise fail(
            ErrorCode.CONFIG,
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: an invoice must name its "
            f"seller; set {'it' if len(missing) == 1 else 'them'} with `praho config set {missing[0]} ...` "
            f"(or PRAHO_{missing[0].upper().replace('.', '_')})",
            missing=missing,
        )
    vat_id = str(ctx.setting("seller.vat_id"))
    problem = seller_vat_id_problem(vat_id, str(ctx.setting("seller.country") or "RO"))
    if problem:
        raise fail(ErrorCode.CONFIG, f"seller.vat_id: {problem}: an invoice must carry the seller's "
                   "valid tax id; set it with `praho config set seller.vat_id ...` "
                   "(or PRAHO_SELLER_VAT_ID)", setting="seller.vat_id")


def seller_snapshot(ctx: ServiceContext) -> dict[str, Any]:
    keys = ("name", "country", "vat_id", "vat_payer", "reg_com", "address", "city", "postal_code", "county",
            "iban", "bank", "email", "share_capital", "vat_on_collection")
    return {k: ctx.setting(f"seller.{k}") for k in keys}


def customer_snapshot(customer: Customer) -> dict[str, Any]:
    # Everything the document and its e-Factura name the buyer by, frozen at issue. The CNP is among
    # them: an individual's e-Factura identifies the buyer by it (13 zeros when none was given).
    return {"id": str(customer.id), "kind": customer.kind, "name": customer.name, "email": customer.email,
            "country": customer.country, "address": customer.address, "city": customer.city,
            "postal_code": customer.postal_code, "county": customer.county, "cui": customer.cui,
            "vat_payer": customer.vat_payer, "reg_com": customer.reg_com, "cnp": customer.cnp,
            "vat_number": customer.vat_number}


def freeze_fx(session: Session, document: BillingDocument, tax_point: date) -> None:
    if document.currency == REPORTING_CURRENCY:
        document.fx_rate = document.fx_day = document.fx_source = document.vat_ron_minor = None
        return
    rate = fx_service.rate_on(session, document.currency, tax_point)
    document.fx_rate, document.fx_day, document.fx_source = str(rate.rate), rate.day, rate.source
    document.vat_ron_minor = to_reporting_minor(document.vat_minor, document.currency, rate.rate,
                                                document.rounding)


def number_document(session: Session, document: BillingDocument, issue_date: date,
                    series: DocumentSeries | None = None) -> None:
    """Take the next number of the document's series and set it on the document (flushed with it)."""
    series = series or session.get(DocumentSeries, document.series_id)
    assert series is not None
    parts, text = series_service.take_number(session, series, issue_date)
    document.fiscal_year = counter_year(issue_date, series.yearly_reset)
    document.number, document.number_text = parts.number, text


def _freeze(session: Session, ctx: ServiceContext, document: BillingDocument) -> tuple[date, DocumentTotals]:
    """Everything issuing does except numbering: price at the tax point, freeze snapshots and totals.

    Returns the issue date and the totals. Raises (no rate, no exchange rate, no lines).
    """
    require_seller(ctx)
    kind = DocumentKind(document.kind)
    stored = priced_lines(session, document)
    lines = [LineInput(p.description, p.quantity, p.unit_price_minor, p.category) for p in stored]
    if not lines:
        raise fail(ErrorCode.INVALID, f"the {kind_label(kind)} has no lines; add one with add-line")
    customer = session.get(Customer, document.customer_id)
    assert customer is not None
    now = ctx.now()
    issue_date = ctx.date_of(now)
    tax_point = document.tax_point or issue_date
    decision, totals = price_draft(session, ctx, customer, lines, tax_point)
    if totals.total_minor < 0:
        raise fail(ErrorCode.INVALID, f"the {kind_label(kind)} total is negative; use a credit note")
    if list(totals.lines) != stored:  # the draft was priced for another tax point or rate table
        write_lines(session, document, totals.lines)
    apply_totals(document, decision, totals)
    document.rounding = rounding(ctx)
    document.tax_point = tax_point
    if kind is not DocumentKind.PROFORMA:  # a proforma is no fiscal document: no VAT in RON to report
        freeze_fx(session, document, tax_point)
    due_days = document.due_days if document.due_days is not None else int(ctx.setting("billing.due_days") or 14)
    document.due_days = due_days
    document.issue_date, document.due_date = issue_date, issue_date + timedelta(days=due_days)
    document.seller_json = json.dumps(seller_snapshot(ctx), sort_keys=True, ensure_ascii=False)
    document.customer_json = json.dumps(customer_snapshot(customer), sort_keys=True, ensure_ascii=False)
    document.status = "issued" if document.total_minor > 0 else "paid"
    document.issued_at = document.updated_at = now
    document.version += 1
    session.add(document)
    session.flush()  # the frozen draft is written before the counter is locked
    return issue_date, totals


def issue_locked(session: Session, ctx: ServiceContext, document: BillingDocument,
                 series: DocumentSeries | None = None) -> DocumentTotals:
    """Issue a draft the caller has locked: freeze it, then take the number (last, so the counter
    row stays locked for as short a time as possible). The caller's transaction rolls back on
    failure and appends the audit event."""
    issue_date, totals = _freeze(session, ctx, document)
    number_document(session, document, issue_date, series)
    session.flush()
    return totals


@returns_result
def issue_document(
    session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Issue a draft invoice or proforma: lock the draft, freeze its rates and snapshots, take the
    number, append the audit event; the caller's unit of work commits."""
    # Lock first, then look the key up: a concurrent replay waits for the first issuer's commit and
    # then finds its key, instead of finding an already issued document.
    document, _customer, series = lock_document(session, kind, ref)  # held: _freeze finds the customer

    def work() -> dict[str, Any]:
        require_draft(document, ref)
        issue_date, totals = _freeze(session, ctx, document)
        # Everything but the number is written and read before the counter is locked: from the
        # counter's lock to COMMIT every other issuer of the series waits, so that part is kept to
        # the number, its UPDATE and the audit event.
        public = detail(session, document, totals, series=series, was_draft=True)
        number_document(session, document, issue_date, series)
        public.update(number=document.number_text, fiscal_year=document.fiscal_year)
        audit.append(session, ts=document.issued_at or ctx.now(), actor=ctx.actor, action=f"{kind.value}.issue",
                     entity_type=kind.value, entity_id=str(document.id), after=public, proves=document)
        return public

    return idempotent(session, ctx, idempotency_key, f"{kind.value}s.issue", {"ref": ref}, work).unwrap()
