"""Proformas: offers to pay that are not fiscal documents.

They are numbered in their own (proforma) series, never in a fiscal one. Converting a proforma —
explicitly, or by paying it in full — issues the fiscal invoice exactly once: the proforma row is
locked first, and a unique constraint on ``billing_documents.proforma_id`` backs that up.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import audit
from praho_cli.ledger import documents as ledger
from praho_cli.ledger.models.billing import BillingDocument, DocumentLine
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing import series as series_service
from praho_cli.services.billing.documents.detail import detail
from praho_cli.services.billing.documents.issuing import issue_locked
from praho_cli.services.billing.documents.lookup import lock_document
from praho_cli.services.context import ServiceContext

KIND = DocumentKind.PROFORMA


def converted_invoice(session: Session, proforma: BillingDocument) -> BillingDocument | None:
    return ledger.converted_invoice(session, proforma.id)


def convert_locked(session: Session, ctx: ServiceContext, proforma: BillingDocument) -> BillingDocument:
    """Issue the invoice of a proforma the caller has locked; a converted proforma returns its invoice."""
    existing = converted_invoice(session, proforma)
    if existing is not None:
        return existing
    label = proforma.number_text or str(proforma.id)
    if proforma.status not in ("issued", "partially_paid"):
        raise fail(ErrorCode.INELIGIBLE, f"proforma {label} is {proforma.status}: only an issued "
                   "proforma can be converted")
    series = series_service.series_for_new_document(session, ctx, DocumentKind.INVOICE, None).unwrap()
    now = ctx.now()
    invoice = BillingDocument(
        kind=DocumentKind.INVOICE.value, status="draft", series_id=series.id or 0,
        customer_id=proforma.customer_id, currency=proforma.currency, tax_point=proforma.tax_point,
        due_days=proforma.due_days, rounding=proforma.rounding, proforma_id=proforma.id,
        created_at=now, updated_at=now,
    )
    session.add(invoice)
    session.flush()
    for line in ledger.lines(session, proforma.id or 0):
        session.add(DocumentLine(
            document_id=invoice.id or 0, position=line.position, description=line.description,
            quantity=line.quantity, unit_price_minor=line.unit_price_minor, category=line.category,
            vat_code=line.vat_code, vat_rate=line.vat_rate, net_minor=line.net_minor,
        ))
    session.flush()
    issue_locked(session, ctx, invoice)
    # Money paid on the proforma pays the invoice (the payment rows stay on the proforma).
    if proforma.paid_minor:
        if proforma.paid_minor > invoice.total_minor:
            raise fail(ErrorCode.CONFLICT, f"proforma {label} was paid more than the invoice total "
                       "at its tax point; correct the proforma's tax point first")
        invoice.paid_minor = proforma.paid_minor
        invoice.status = "paid" if invoice.paid_minor == invoice.total_minor else "partially_paid"
    proforma.status, proforma.updated_at = "converted", now
    proforma.version += 1
    session.add_all([invoice, proforma])
    session.flush()
    public = detail(session, invoice)
    audit.append(session, ts=now, actor=ctx.actor, action="proforma.convert", entity_type="proforma",
                 entity_id=str(proforma.id), after={"invoice": invoice.number_text, "status": "converted"})
    audit.append(session, ts=now, actor=ctx.actor, action="invoice.issue", entity_type="invoice",
                 entity_id=public["id"], after=public, proves=invoice)
    return invoice


@returns_result
def convert(session: Session, ctx: ServiceContext, ref: str) -> dict[str, Any]:
    """Issue the invoice of a proforma; converting it again returns the same invoice."""
    invoice = convert_locked(session, ctx, lock_document(session, KIND, ref)[0])
    return detail(session, invoice)


@returns_result
def cancel(session: Session, ctx: ServiceContext, ref: str) -> dict[str, Any]:
    """A proforma is not fiscal: cancelling only marks it (it keeps its number, nothing is deleted)."""
    proforma = lock_document(session, KIND, ref)[0]
    label = proforma.number_text or ref
    if proforma.status == "draft":
        raise fail(ErrorCode.INELIGIBLE, f"proforma {label} is a draft: delete it instead")
    if proforma.status in ("cancelled", "converted"):
        raise fail(ErrorCode.INELIGIBLE, f"proforma {label} is already {proforma.status}")
    if proforma.paid_minor:
        raise fail(ErrorCode.INELIGIBLE, f"proforma {label} has payments; convert it or refund them first")
    before = proforma.status
    proforma.status = "cancelled"
    proforma.cancelled_at = proforma.updated_at = ctx.now()
    proforma.version += 1
    session.add(proforma)
    session.flush()
    public = detail(session, proforma)
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action="proforma.cancel", entity_type="proforma",
                 entity_id=public["id"], before={"status": before}, after={"status": "cancelled"})
    return public

