"""The overdue sweep: issued or partially paid invoices due before today become overdue."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import audit
from praho_cli.ledger import documents as ledger
from praho_cli.result import returns_result
from praho_cli.services.context import ServiceContext


@returns_result
def mark_overdue(session: Session, ctx: ServiceContext) -> dict[str, Any]:
    """Move every issued or partially paid invoice due before today to overdue. A rerun finds none."""
    today = ctx.today()
    due = ledger.due_before(session, DocumentKind.INVOICE.value, ("issued", "partially_paid"), today)
    already = ledger.count_with_status(session, DocumentKind.INVOICE.value, "overdue")
    now = ctx.now()
    for invoice in due:
        previous = invoice.status
        invoice.status, invoice.updated_at = "overdue", now
        invoice.version += 1
        session.add(invoice)
        audit.append(session, ts=now, actor=ctx.actor, action="invoice.overdue", entity_type="invoice",
                     entity_id=str(invoice.id), before={"status": previous, "number": invoice.number_text},
                     after={"status": "overdue", "number": invoice.number_text,
                            "due_date": invoice.due_date.isoformat() if invoice.due_date else None})
    session.flush()
    return {"as_of": today.isoformat(), "marked": len(due), "already_overdue": already,
            "invoices": [i.number_text for i in due]}
