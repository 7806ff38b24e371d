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

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import audit
from praho_cli.ledger import payments as repo
from praho_cli.ledger import refunds as refund_repo
from praho_cli.ledger.document_list import balance_of
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument, Payment
from praho_cli.money import format_minor, parse_amount
from praho_cli.records import Field, RecordType
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing.documents.lookup import find_document, kind_label
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
        Field("voided_at", "string|null", "When it was voided (UTC); a voided payment no longer counts as paid.",
              table=False, format="date-time"),
        Field("void_reason", "string|null", "Why it was voided.", table=False),
    ),
)
MAX_REASON = 400


@dataclass(frozen=True)
class PaymentInput:
    amount: str
    invoice: str | None = None
    proforma: str | None = None
    method: str = "bank"
    reference: str | None = None
    paid_at: date | None = None
    force_reason: str | None = None  # --force --reason: a --paid-at in the future or before the issue date
    allow_duplicate_reference: bool = False


def _public(session: Session, payment: Payment, document: BillingDocument | None = None,
            balance: int | None = None) -> dict[str, Any]:
    """The ``payment`` record; ``balance``: the document's open balance when the caller read it
    (else read by :func:`balance_of`, so flush pending changes first)."""
    document = document or session.get(BillingDocument, payment.document_id)
    assert document is not None
    converted = None
    if document.kind == DocumentKind.PROFORMA.value and document.status == "converted":
        invoice = repo.invoice_of_proforma(session, document.id or 0)
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
        "balance_cents": balance if balance is not None else balance_of(session, document.id or 0),
        "invoice_number": converted,
        "created_at": iso(payment.created_at),
        "voided_at": iso(payment.voided_at),
        "void_reason": payment.void_reason,
    }


def open_balance_message(session: Session, document: BillingDocument) -> str:
    """"open balance 121.00 RON" (flush pending changes first)."""
    balance = balance_of(session, document.id or 0)
    return f"open balance {format_minor(balance, document.currency)} {document.currency}"


def _check_payable(session: Session, document: BillingDocument, amount_minor: int) -> None:
    label = f"{kind_label(DocumentKind(document.kind))} {document.number_text or document.id}"
    if document.status == "draft":
        raise fail(ErrorCode.INELIGIBLE, f"{label} is a draft: issue it before recording payments "
                   f"(open balance 0.00 {document.currency})", balance_cents=0)
    if document.status in ("cancelled", "converted"):
        raise fail(ErrorCode.INELIGIBLE, f"{label} is {document.status}: it takes no payments "
                   f"(open balance 0.00 {document.currency})", balance_cents=0)
    balance = balance_of(session, document.id or 0)
    if amount_minor > balance:
        raise fail(ErrorCode.INELIGIBLE, f"{label}: payment of {format_minor(amount_minor, document.currency)} "
                   f"{document.currency} exceeds the {open_balance_message(session, document)}",
                   balance_cents=balance, amount_cents=amount_minor)


def _paid_at_problem(document: BillingDocument, paid_at: date, today: date) -> str | None:
    """Why a --paid-at is not a day the money can have arrived on (None when it can)."""
    label = f"{kind_label(DocumentKind(document.kind))} {document.number_text or document.id}"
    if paid_at > today:
        return f"--paid-at {paid_at} is in the future (today is {today})"
    if document.issue_date is not None and paid_at < document.issue_date:
        return f"--paid-at {paid_at} is before {label} was issued ({document.issue_date})"
    return None


def _check_input(data: PaymentInput) -> None:
    if (data.invoice is None) == (data.proforma is None):
        raise fail(ErrorCode.INVALID, "give exactly one of --invoice or --proforma")
    if data.method not in METHODS:
        raise fail(ErrorCode.INVALID, f"method: must be one of {', '.join(METHODS)}, not {data.method!r}")
    if data.reference is not None and len(data.reference) > 200:
        raise fail(ErrorCode.INVALID, "reference: at most 200 characters")
    if data.force_reason is not None and not data.force_reason.strip():
        raise fail(ErrorCode.INVALID, "--force needs --reason: say why the day is right")
    if data.force_reason is not None and len(data.force_reason.strip()) > MAX_REASON:
        raise fail(ErrorCode.INVALID, f"reason: at most {MAX_REASON} characters")


@returns_result
def record_payment(
    session: Session, ctx: ServiceContext, data: PaymentInput, idempotency_key: str | None = None
) -> dict[str, Any]:
    _check_input(data)
    kind = DocumentKind.INVOICE if data.invoice is not None else DocumentKind.PROFORMA
    ref = data.invoice if data.invoice is not None else data.proforma
    assert ref is not None
    paid_at = data.paid_at or ctx.today()
    params: dict[str, Any] = {"kind": kind.value, "ref": ref, "amount": data.amount.strip(), "method": data.method,
              "reference": data.reference, "paid_at": paid_at.isoformat()}
    # Only when given, so a key stored before these flags existed still replays.
    if data.force_reason is not None:
        params["force_reason"] = data.force_reason.strip()
    if data.allow_duplicate_reference:
        params["allow_duplicate_reference"] = True

    # Lock first, then look the key up (see billing.documents.issuing.issue_document).
    document = find_document(session, kind, ref, lock=True).unwrap()

    def work() -> dict[str, Any]:
        amount = parse_amount(data.amount, document.currency)
        if amount.currency != document.currency:
            raise fail(ErrorCode.INVALID, f"payment in {amount.currency} on a {document.currency} "
                       f"{kind_label(kind)}: the currency must match")
        if amount.minor <= 0:
            raise fail(ErrorCode.INVALID, "amount: must be more than zero")
        _check_payable(session, document, amount.minor)
        problem = _paid_at_problem(document, paid_at, ctx.today())
        if problem and data.force_reason is None:
            raise fail(ErrorCode.INVALID, f"{problem}; give the day the money arrived, or pass --force with "
                       "--reason if that day is right", paid_at=paid_at.isoformat())
        same = repo.with_reference(session, data.reference) if data.reference else None
        if same is not None and not data.allow_duplicate_reference:
            earlier = session.get(BillingDocument, same.document_id)
            assert earlier is not None
            raise fail(ErrorCode.CONFLICT, f"reference {data.reference!r} is already recorded on payment {same.id} "
                       f"({earlier.number_text or earlier.id}, {format_minor(same.amount_minor, same.currency)} "
                       f"{same.currency} on {same.paid_at}); pass --allow-duplicate-reference if this is "
                       "another payment", payment_id=str(same.id))
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
            from praho_cli.services.billing import proformas

            proformas.convert_locked(session, ctx, document)
            session.flush()
        public = _public(session, payment, document)
        extra: dict[str, Any] = {}
        if problem:
            extra["forced"] = {"problem": problem, "reason": (data.force_reason or "").strip()}
        if same is not None:
            extra["duplicate_reference_of"] = str(same.id)
        audit.append(session, ts=now, actor=ctx.actor, action="payment.record", entity_type="payment",
                     entity_id=public["id"], before={"document_status": before_status}, after={**public, **extra},
                     proves=payment)
        return {**public, **extra}

    return idempotent(session, ctx, idempotency_key, "payments.record", params, work).unwrap()


def _dependants(session: Session, payment: Payment, document: BillingDocument) -> str | None:
    """What relies on a payment, so that voiding it would leave the ledger inconsistent."""
    refund_ids = refund_repo.reserving_refunds_of_payment(session, payment.id or 0)
    if refund_ids:
        return f"refund {', '.join(str(i) for i in refund_ids)} gives it back"
    if document.kind == DocumentKind.PROFORMA.value and document.status == "converted":
        return f"proforma {document.number_text} was converted to an invoice"
    return None


def _status_after_void(document: BillingDocument, today: date) -> str:
    if document.kind == DocumentKind.PROFORMA.value:
        return "partially_paid" if document.paid_minor > 0 else "issued"
    if document.due_date is not None and document.due_date < today:
        return "overdue"
    return "partially_paid" if document.paid_minor > 0 else "issued"


@returns_result
def void_payment(session: Session, ctx: ServiceContext, payment_id: str, reason: str) -> dict[str, Any]:
    """Void a mistyped payment: it stays listed, stops counting as paid; refused when something relies on it."""
    reason = reason.strip()
    if not reason:
        raise fail(ErrorCode.INVALID, "reason: say why the payment is voided")
    if len(reason) > MAX_REASON:
        raise fail(ErrorCode.INVALID, f"reason: at most {MAX_REASON} characters")
    peek = session.get(Payment, int(payment_id)) if payment_id.strip().isdigit() else None
    if peek is None:
        raise fail(ErrorCode.NOT_FOUND, f"no payment {payment_id!r}")
    # Lock order of every payment and refund writer: the document first, then its payments.
    document = repo.lock_document(session, peek.document_id)
    payment = repo.lock_payment(session, peek.id or 0)
    if payment.voided_at is not None:
        raise fail(ErrorCode.INELIGIBLE, f"payment {payment.id} was already voided ({iso(payment.voided_at)}: "
                   f"{payment.void_reason})")
    depends = _dependants(session, payment, document)
    if depends:
        raise fail(ErrorCode.INELIGIBLE, f"payment {payment.id} cannot be voided: {depends}")
    before = _public(session, payment, document)
    now = ctx.now()
    payment.voided_at, payment.void_reason = now, reason
    document.paid_minor -= payment.amount_minor
    document.status = _status_after_void(document, ctx.today())
    document.updated_at = now
    document.version += 1
    session.add_all([payment, document])
    session.flush()
    public = _public(session, payment, document)
    audit.append(session, ts=now, actor=ctx.actor, action="payment.void", entity_type="payment",
                 entity_id=public["id"], before=before, after=public)
    return public


@returns_result
def list_payments(
    session: Session, invoice: str | None = None, proforma: str | None = None
) -> Iterator[dict[str, Any]]:
    document_ids = [find_document(session, kind, ref).unwrap().id or 0
                    for kind, ref in ((DocumentKind.INVOICE, invoice), (DocumentKind.PROFORMA, proforma))
                    if ref is not None]
    rows = repo.iter_payments(session, document_ids)
    return (_public(session, payment, document, balance) for payment, document, balance in rows)


@returns_result
def show_payment(session: Session, payment_id: str) -> dict[str, Any]:
    payment = session.get(Payment, int(payment_id)) if payment_id.strip().isdigit() else None
    if payment is None:
        raise fail(ErrorCode.NOT_FOUND, f"no payment {payment_id!r}")
    return _public(session, payment)
