"""What completing a refund writes: its credit note, its completed status, and the invoice's status
recomputed from its payments and completed refunds. The caller holds the invoice's lock."""

from __future__ import annotations

from sqlmodel import Session

from praho_cli.ledger import audit
from praho_cli.ledger import refunds as repo
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.ledger.models.refunds import Refund
from praho_cli.result import ErrorCode, fail
from praho_cli.services.billing.documents.credit_notes import issue_credit_note
from praho_cli.services.billing.documents.detail import detail as document_detail
from praho_cli.services.billing.refunds.credit_note import credit_note_lines
from praho_cli.services.billing.refunds.eligibility import label
from praho_cli.services.context import ServiceContext


def complete(session: Session, ctx: ServiceContext, invoice: BillingDocument, refund: Refund,
             reference: str | None) -> None:
    """Issue the credit note and mark the refund completed."""
    reason = f"Refund {refund.id}: {refund.reason} (invoice {label(invoice)} of {invoice.issue_date})"
    note = issue_credit_note(session, ctx, invoice, credit_note_lines(session, invoice,
                                                                               refund.amount_minor), reason)
    if note.total_minor != -refund.amount_minor:  # pragma: no cover - credit_lines guarantees it
        raise fail(ErrorCode.INTERNAL, f"credit note total {note.total_minor} does not match refund "
                   f"{refund.amount_minor}")
    now = ctx.now()
    refund.status, refund.credit_note_id, refund.command_reference = "completed", note.id, reference
    refund.completed_at = refund.updated_at = now
    refund.claimed_until = None
    refund.version += 1
    session.add(refund)
    session.flush()
    audit.append(session, ts=now, actor=ctx.actor, action="credit_note.issue", entity_type="credit_note",
                 entity_id=str(note.id), after=document_detail(session, note), proves=note)


def project_invoice(session: Session, ctx: ServiceContext, invoice: BillingDocument, refund_id: int) -> None:
    """Recompute the invoice's status from its payments and completed refunds (never incremented).

    The completed sum is read back from the ledger after the refund was marked completed, so no
    caller adds "this refund" to a sum that may already hold it. Only a fully paid invoice moves to
    partially_refunded / refunded: an invoice still owed money keeps its payment status, so the
    overdue sweep and payments keep working on it.
    """
    if invoice.paid_minor <= 0 or invoice.paid_minor != invoice.total_minor:
        return
    completed_minor = repo.invoice_money(session, invoice, lock=False).completed_minor
    status = ("paid" if completed_minor == 0 else "refunded" if completed_minor >= invoice.paid_minor
              else "partially_refunded")
    if status == invoice.status:
        return
    before = invoice.status
    invoice.status, invoice.updated_at = status, ctx.now()
    invoice.version += 1
    session.add(invoice)
    session.flush()
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action="invoice.refund_status", entity_type="invoice",
                 entity_id=str(invoice.id), before={"status": before, "number": invoice.number_text},
                 after={"status": status, "number": invoice.number_text, "refunded_cents": completed_minor,
                        "refund_id": str(refund_id)})
