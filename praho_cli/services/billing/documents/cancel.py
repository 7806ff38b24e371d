"""Cancelling an unpaid issued invoice with a full storno credit note."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.billing.totals import negate
from praho_cli.ledger import audit
from praho_cli.money import format_minor
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing.documents.credit_notes import issue_credit_note
from praho_cli.services.billing.documents.detail import customer_name, detail, series_code_of, summary
from praho_cli.services.billing.documents.lines import priced_lines
from praho_cli.services.billing.documents.lookup import lock_document
from praho_cli.services.context import ServiceContext
from praho_cli.services.idempotency import idempotent


@returns_result
def cancel_invoice(
    session: Session, ctx: ServiceContext, ref: str, reason: str | None = None, idempotency_key: str | None = None
) -> dict[str, Any]:
    """Cancel an unpaid issued invoice with a full storno credit note; returns the credit note."""
    invoice = lock_document(session, DocumentKind.INVOICE, ref)[0]

    def work() -> dict[str, Any]:
        label = invoice.number_text or ref
        if invoice.status == "draft":
            raise fail(ErrorCode.INELIGIBLE, f"invoice {label} is a draft: delete it instead")
        if invoice.status == "cancelled":
            raise fail(ErrorCode.INELIGIBLE, f"invoice {label} is already cancelled")
        if invoice.paid_minor != 0:
            raise fail(ErrorCode.INELIGIBLE, f"invoice {label} has payments of "
                       f"{format_minor(invoice.paid_minor, invoice.currency)} {invoice.currency}: "
                       "refund them instead of cancelling", paid_cents=invoice.paid_minor)
        before = summary(session, invoice, series_code_of(session, invoice.series_id), customer_name(session, invoice))
        text = reason or f"Storno of invoice {invoice.number_text} of {invoice.issue_date}"
        note = issue_credit_note(session, ctx, invoice, negate(priced_lines(session, invoice)), text)
        invoice.status = "cancelled"
        invoice.cancelled_at = invoice.updated_at = ctx.now()
        invoice.version += 1
        session.add(invoice)
        session.flush()
        public = detail(session, note)
        audit.append(session, ts=ctx.now(), actor=ctx.actor, action="invoice.cancel", entity_type="invoice",
                     entity_id=str(invoice.id), before=before,
                     after={**before, "status": "cancelled", "credit_note": note.number_text})
        audit.append(session, ts=ctx.now(), actor=ctx.actor, action="credit_note.issue",
                     entity_type="credit_note", entity_id=public["id"], after=public, proves=note)
        return public

    return idempotent(session, ctx, idempotency_key, "invoices.cancel", {"ref": ref, "reason": reason},
                      work).unwrap()
