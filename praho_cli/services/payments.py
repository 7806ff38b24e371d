"""Payments against invoices and proformas.

The document row is locked (``FOR UPDATE``; on SQLite the unit of work's ``BEGIN IMMEDIATE``)
before its open balance is read, so two concurrent payments are applied one after the other and
the second sees the first: a document can never be paid beyond its total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import audit
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument, Payment
from praho_cli.money import format_minor, parse_amount
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoFailure, Result, err
from praho_cli.services import invoices
from praho_cli.services.context import ServiceContext
from praho_cli.services.idempotency import idempotent

METHODS = ("bank", "card", "cash", "other")

PAYMENT = RecordType(
    name="payment",
    title="Payment",
    description="Money received against an invoice or a proforma.",
    fields=(
        Field("id", "string", "Ledger id of the payment."),
        Field("document_kind", "string", "invoice or proforma.", enum=("invoice", "proforma")),
        Field("document_number", "string|null", "Number of the document paid."),
        Field("amount_cents", "integer", "Amount, minor units.", money_currency="currency"),
        Field("currency", "string", "ISO 4217 code (always the document's)."),
        Field("method", "string", "How it was paid.", enum=METHODS),
        Field("reference", "string|null", "Bank reference, card transaction id…"),
        Field("paid_at", "string", "Day the money was received.", format="date"),
        Field("document_status", "string", "The document's status after this payment.", table=False),
        Field("balance_cents", "integer", "The document's open balance after this payment.",
              money_currency="currency"),
        Field("invoice_number", "string|null", "The invoice a fully paid proforma was converted to.",
              table=False),
        Field("created_at", "string", "When it was recorded (UTC).", table=False, format="date-time"),
    ),
)


@dataclass(frozen=True)
class PaymentInput:
    amount: str
    invoice: str | None = None
    proforma: str | None = None
    method: str = "bank"
    reference: str | None = None
    paid_at: date | None = None


def _public(session: Session, payment: Payment, document: BillingDocument | None = None) -> dict[str, Any]:
    document = document or session.get(BillingDocument, payment.document_id)
    assert document is not None
    converted = None
    if document.kind == DocumentKind.PROFORMA.value and document.status == "converted":
        invoice = session.execute(
            select(BillingDocument).where(col(BillingDocument.proforma_id) == document.id)
        ).scalar_one_or_none()
        converted = invoice.number_text if invoice else None
    return {
        "id": str(payment.id),
        "document_kind": document.kind,
        "document_number": document.number_text,
        "amount_cents": payment.amount_minor,
        "currency": payment.currency,
        "method": payment.method,
        "reference": payment.reference,
        "paid_at": payment.paid_at.isoformat(),
        "document_status": document.status,
        "balance_cents": document.total_minor - document.paid_minor,
        "invoice_number": converted,
        "created_at": iso(payment.created_at),
    }


def open_balance_message(document: BillingDocument) -> str:
    balance = document.total_minor - document.paid_minor
    return f"open balance {format_minor(balance, document.currency)} {document.currency}"


def _check_payable(document: BillingDocument, amount_minor: int) -> Err | None:
    label = f"{invoices.kind_label(DocumentKind(document.kind))} {document.number_text or document.id}"
    if document.status == "draft":
        return err(ErrorCode.INELIGIBLE, f"{label} is a draft: issue it before recording payments "
                   f"(open balance 0.00 {document.currency})", balance_cents=0)
    if document.status in ("cancelled", "converted"):
        return err(ErrorCode.INELIGIBLE, f"{label} is {document.status}: it takes no payments "
                   f"(open balance 0.00 {document.currency})", balance_cents=0)
    balance = document.total_minor - document.paid_minor
    if amount_minor > balance:
        return err(ErrorCode.INELIGIBLE, f"{label}: payment of {format_minor(amount_minor, document.currency)} "
                   f"{document.currency} exceeds the {open_balance_message(document)}",
                   balance_cents=balance, amount_cents=amount_minor)
    return None


def record_payment(
    session: Session, ctx: ServiceContext, data: PaymentInput, idempotency_key: str | None = None
) -> Result[dict[str, Any]]:
    if (data.invoice is None) == (data.proforma is None):
        return err(ErrorCode.INVALID, "give exactly one of --invoice or --proforma")
    if data.method not in METHODS:
        return err(ErrorCode.INVALID, f"method: must be one of {', '.join(METHODS)}, not {data.method!r}")
    if data.reference is not None and len(data.reference) > 200:
        return err(ErrorCode.INVALID, "reference: at most 200 characters")
    kind = DocumentKind.INVOICE if data.invoice is not None else DocumentKind.PROFORMA
    ref = data.invoice if data.invoice is not None else data.proforma
    assert ref is not None
    paid_at = data.paid_at or ctx.today()
    params = {"kind": kind.value, "ref": ref, "amount": data.amount.strip(), "method": data.method,
              "reference": data.reference, "paid_at": paid_at.isoformat()}

    # Lock first, then look the key up (see invoices.issue_document).
    found = invoices.find_document(session, kind, ref, lock=True)
    if isinstance(found, Err):
        return found

    def work() -> Result[dict[str, Any]]:
        document = found.value
        try:
            amount = parse_amount(data.amount, document.currency)
        except PrahoFailure as failure:
            return Err(failure.error)
        if amount.currency != document.currency:
            return err(ErrorCode.INVALID, f"payment in {amount.currency} on a {document.currency} "
                       f"{invoices.kind_label(kind)}: the currency must match")
        if amount.minor <= 0:
            return err(ErrorCode.INVALID, "amount: must be more than zero")
        refused = _check_payable(document, amount.minor)
        if refused:
            return refused
        now = ctx.now()
        payment = Payment(document_id=document.id or 0, amount_minor=amount.minor, currency=amount.currency,
                          method=data.method, reference=data.reference, paid_at=paid_at, created_at=now)
        session.add(payment)
        before_status = document.status
        document.paid_minor += amount.minor
        fully_paid = document.paid_minor == document.total_minor
        if kind is DocumentKind.INVOICE:
            # An overdue invoice stays overdue until it is paid in full.
            document.status = "paid" if fully_paid else (
                "overdue" if document.status == "overdue" else "partially_paid")
        else:
            document.status = "partially_paid" if not fully_paid else document.status
        document.updated_at = now
        document.version += 1
        session.add(document)
        session.flush()
        if kind is DocumentKind.PROFORMA and fully_paid:
            from praho_cli.services import proformas

            try:
                proformas.convert_locked(session, ctx, document)
            except PrahoFailure as failure:
                return Err(failure.error)
        public = _public(session, payment, document)
        audit.append(session, ts=now, actor=ctx.actor, action="payment.record", entity_type="payment",
                     entity_id=public["id"], before={"document_status": before_status}, after=public)
        return Ok(public)

    return idempotent(session, ctx, idempotency_key, "payments.record", params, work)


def list_payments(
    session: Session, invoice: str | None = None, proforma: str | None = None
) -> Result[Iterator[dict[str, Any]]]:
    stmt = select(Payment, BillingDocument).join(BillingDocument, col(BillingDocument.id) == col(Payment.document_id))
    for kind, ref in ((DocumentKind.INVOICE, invoice), (DocumentKind.PROFORMA, proforma)):
        if ref is not None:
            found = invoices.find_document(session, kind, ref)
            if isinstance(found, Err):
                return found
            stmt = stmt.where(col(Payment.document_id) == found.value.id)
    rows = session.execute(stmt.order_by(col(Payment.id)).execution_options(yield_per=1000))
    return Ok(_public(session, payment, document) for payment, document in rows)


def show_payment(session: Session, payment_id: str) -> Result[dict[str, Any]]:
    payment = session.get(Payment, int(payment_id)) if payment_id.strip().isdigit() else None
    if payment is None:
        return err(ErrorCode.NOT_FOUND, f"no payment {payment_id!r}")
    return Ok(_public(session, payment))
