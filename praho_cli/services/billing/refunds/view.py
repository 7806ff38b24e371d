"""One refund as shown (`refunds show`, and what create and reconcile return) and the refund list."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, tzinfo
from typing import Any

from sqlmodel import Session

from praho_cli import calendar
from praho_cli.billing.numbering import DocumentKind
from praho_cli.billing.totals import PricedLine, compute_totals
from praho_cli.ledger import refunds as repo
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.ledger.models.refunds import Refund, RefundAllocation
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing.customers import find_customer
from praho_cli.services.billing.documents.lines import priced_lines
from praho_cli.services.billing.documents.lookup import find_document
from praho_cli.services.billing.refunds.eligibility import max_refundable
from praho_cli.services.billing.refunds.records import STATUSES, RefundFilter


def _credit_note_public(session: Session, note: BillingDocument | None, preview: Sequence[PricedLine] = (),
                        rounding: str = "half_up", tax_point: date | None = None) -> dict[str, Any] | None:
    if note is None and not preview:
        return None
    lines = priced_lines(session, note) if note is not None else list(preview)
    totals = compute_totals(lines, note.rounding if note is not None else rounding)
    point = note.tax_point if note is not None else tax_point
    return {
        "id": str(note.id) if note is not None else None,
        "number": note.number_text if note is not None else None,
        "issue_date": note.issue_date.isoformat() if note is not None and note.issue_date else None,
        "tax_point": point.isoformat() if point else None,
        "net_cents": totals.net_minor, "vat_cents": totals.vat_minor, "total_cents": totals.total_minor,
        "vat_breakdown": [{"vat_code": b.vat_code, "vat_rate": str(b.vat_rate), "base_cents": b.base_minor,
                           "vat_cents": b.vat_minor} for b in totals.breakdown],
    }


def _summary(refund: Refund, invoice_number: str | None, note_number: str | None) -> dict[str, Any]:
    return {
        "id": str(refund.id) if refund.id is not None else None,
        "invoice_number": invoice_number,
        "customer_id": str(refund.customer_id),
        "kind": refund.kind,
        "status": refund.status,
        "amount_cents": refund.amount_minor,
        "currency": refund.currency,
        "method": refund.method,
        "reason": refund.reason,
        "credit_note_number": note_number,
        "command_reference": refund.command_reference,
        "created_at": iso(refund.created_at),
        "completed_at": iso(refund.completed_at),
    }


def detail(session: Session, refund: Refund, *, allocations: Sequence[RefundAllocation] | None = None,
           preview: Sequence[PricedLine] = (), remaining: int | None = None) -> dict[str, Any]:
    """The ``refund_detail`` record of a refund (``preview``: the credit note's lines of a dry run)."""
    invoice = session.get(BillingDocument, refund.invoice_id)
    assert invoice is not None  # a foreign key guarantees it
    note = session.get(BillingDocument, refund.credit_note_id) if refund.credit_note_id else None
    if remaining is None:
        remaining = max_refundable(invoice, repo.invoice_money(session, invoice, lock=False))
    if allocations is None:
        allocations = repo.allocations_of(session, [refund.id or 0])
    methods = repo.payment_methods(session, [a.payment_id for a in allocations])
    return {
        **_summary(refund, invoice.number_text, note.number_text if note else None),
        "invoice_id": str(invoice.id),
        "invoice_issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "invoice_status": invoice.status,
        "remaining_cents": remaining,
        "settled_by": refund.settled_by,
        "idempotency_key": refund.idempotency_key,
        "failure_reason": refund.failure_reason,
        "attempts": refund.attempts,
        "allocations": [{"payment_id": str(a.payment_id), "amount_cents": a.amount_minor,
                         "method": methods.get(a.payment_id, "")} for a in allocations],
        "credit_note": _credit_note_public(session, note, preview, invoice.rounding, invoice.tax_point),
        "updated_at": iso(refund.updated_at),
    }


@returns_result
def show_refund(session: Session, ref: str) -> dict[str, Any]:
    refund = repo.get(session, int(ref)) if ref.strip().isdigit() else None
    if refund is None:
        raise fail(ErrorCode.NOT_FOUND, f"no refund {ref!r} (give its id; see `praho refunds list`)")
    return detail(session, refund)


@returns_result
def list_refunds(session: Session, flt: RefundFilter, zone: tzinfo) -> Iterator[dict[str, Any]]:
    """Refunds matching ``flt``; ``--from``/``--to`` are days in the business's time zone ``zone``."""
    invoice_id = customer_id = None
    if flt.status is not None and flt.status not in STATUSES:
        raise fail(ErrorCode.INVALID, f"status: must be one of {', '.join(STATUSES)}, not {flt.status!r}")
    if flt.created_from and flt.created_to and flt.created_from > flt.created_to:
        raise fail(ErrorCode.INVALID, "--from must not be after --to")
    if flt.invoice is not None:
        invoice_id = find_document(session, DocumentKind.INVOICE, flt.invoice).unwrap().id
    if flt.customer is not None:
        customer_id = find_customer(session, flt.customer).unwrap().id
    start, before = calendar.day_range(flt.created_from, flt.created_to, zone)
    rows = repo.iter_refunds(session, invoice_id=invoice_id, customer_id=customer_id, status=flt.status,
                             created_from=start, created_before=before)
    return (_summary(refund, number, note) for refund, number, note in rows)
