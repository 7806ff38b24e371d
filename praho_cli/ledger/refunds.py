"""Refund queries, and the one lock order every refund transaction follows.

Lock order (documented in docs/refunds.md; every writer follows it, so two refund transactions can
never wait on each other in a cycle):

1. the invoice row (``billing_documents``),
2. its payments, then its refunds (id order),
3. the credit-note series counter (taken last by billing's numbering),
4. the audit head (taken by every audit append).

PostgreSQL takes these with ``SELECT … FOR UPDATE``. SQLAlchemy drops FOR UPDATE on SQLite, where
the unit of work's ``BEGIN IMMEDIATE`` already holds the database's single write lock for the whole
transaction, which is a stronger lock than all of the above together.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from praho_cli.ledger.models.billing import BillingDocument, Payment
from praho_cli.ledger.models.refunds import Refund, RefundAllocation

RESERVING = ("pending", "completed")  # a pending refund reserves its amount until it is settled


@dataclass(frozen=True)
class InvoiceMoney:
    """Everything a refund decision reads, taken under the invoice's lock."""

    payments: list[Payment]
    refunds: list[Refund]

    @property
    def completed_minor(self) -> int:
        return sum(r.amount_minor for r in self.refunds if r.status == "completed")

    @property
    def pending_minor(self) -> int:
        return sum(r.amount_minor for r in self.refunds if r.status == "pending")


def lock_invoice(session: Session, invoice_id: int) -> BillingDocument | None:
    stmt = select(BillingDocument).where(col(BillingDocument.id) == invoice_id).with_for_update()
    return session.execute(stmt).scalar_one_or_none()


def payment_document_ids(invoice: BillingDocument) -> list[int]:
    # An invoice converted from a proforma is paid by the payments recorded on the proforma.
    return [invoice.id or 0] + ([invoice.proforma_id] if invoice.proforma_id else [])


def invoice_money(session: Session, invoice: BillingDocument, *, lock: bool) -> InvoiceMoney:
    """The invoice's payments and refunds; with ``lock`` (steps 2 of the lock order) FOR UPDATE."""
    pay_stmt = select(Payment).where(
        col(Payment.document_id).in_(payment_document_ids(invoice)), col(Payment.voided_at).is_(None),
    ).order_by(col(Payment.id))
    ref_stmt = select(Refund).where(col(Refund.invoice_id) == invoice.id).order_by(col(Refund.id))
    if lock:
        pay_stmt, ref_stmt = pay_stmt.with_for_update(), ref_stmt.with_for_update()
    payments = list(session.execute(pay_stmt).scalars())
    refunds = list(session.execute(ref_stmt).scalars())
    return InvoiceMoney(payments, refunds)


def allocations_of(session: Session, refund_ids: list[int]) -> list[RefundAllocation]:
    if not refund_ids:
        return []
    stmt = select(RefundAllocation).where(
        col(RefundAllocation.refund_id).in_(refund_ids)
    ).order_by(col(RefundAllocation.refund_id), col(RefundAllocation.id))
    return list(session.execute(stmt).scalars())


def payment_methods(session: Session, payment_ids: list[int]) -> dict[int, str]:
    """Payment id → how it was paid."""
    if not payment_ids:
        return {}
    stmt = select(Payment).where(col(Payment.id).in_(payment_ids))
    return {p.id or 0: p.method for p in session.execute(stmt).scalars()}


def credit_notes_of(session: Session, invoice_id: int) -> list[BillingDocument]:
    """The credit notes that correct an invoice, oldest first."""
    stmt = select(BillingDocument).where(
        col(BillingDocument.corrects_id) == invoice_id, col(BillingDocument.kind) == "credit_note",
    ).order_by(col(BillingDocument.id))
    return list(session.execute(stmt).scalars())


def has_corrections(session: Session, invoice_id: int) -> bool:
    """Whether any document corrects this invoice."""
    stmt = select(col(BillingDocument.id)).where(col(BillingDocument.corrects_id) == invoice_id).limit(1)
    return session.execute(stmt).first() is not None


def reserving_refunds_of_payment(session: Session, payment_id: int) -> list[int]:
    """Ids of the pending or completed refunds that give back part of this payment."""
    stmt = (select(col(RefundAllocation.refund_id))
            .join(Refund, col(Refund.id) == col(RefundAllocation.refund_id))
            .where(col(RefundAllocation.payment_id) == payment_id, col(Refund.status).in_(RESERVING))
            .order_by(col(RefundAllocation.refund_id)))
    return [int(i) for i in session.execute(stmt).scalars().all()]


def get(session: Session, refund_id: int) -> Refund | None:
    return session.get(Refund, refund_id)


def lock_refund(session: Session, refund_id: int) -> Refund | None:
    return session.execute(select(Refund).where(col(Refund.id) == refund_id).with_for_update()).scalar_one_or_none()


def pending_due(session: Session, now: datetime, *, ignore_leases: bool, limit: int) -> list[tuple[int, int]]:
    """(refund id, invoice id) of pending refunds no live process is working on, oldest first."""
    stmt = select(col(Refund.id), col(Refund.invoice_id)).where(col(Refund.status) == "pending")
    if not ignore_leases:
        stmt = stmt.where(or_(col(Refund.claimed_until).is_(None), col(Refund.claimed_until) < now))
    rows = session.execute(stmt.order_by(col(Refund.id)).limit(limit)).all()
    return [(int(r[0]), int(r[1])) for r in rows]


def iter_refunds(
    session: Session, *, invoice_id: int | None = None, customer_id: int | None = None, status: str | None = None,
    created_from: datetime | None = None, created_before: datetime | None = None,
) -> Iterator[tuple[Any, ...]]:
    """(refund, invoice number, credit-note number) rows, streamed in batches."""
    invoice_t = aliased(BillingDocument)
    note_t = aliased(BillingDocument)
    stmt = (
        select(Refund, col(invoice_t.number_text), col(note_t.number_text))
        .join(invoice_t, col(invoice_t.id) == Refund.invoice_id)
        .outerjoin(note_t, and_(col(note_t.id) == Refund.credit_note_id))
        .order_by(col(Refund.id))
    )
    if invoice_id is not None:
        stmt = stmt.where(col(Refund.invoice_id) == invoice_id)
    if customer_id is not None:
        stmt = stmt.where(col(Refund.customer_id) == customer_id)
    if status is not None:
        stmt = stmt.where(col(Refund.status) == status)
    if created_from is not None:
        stmt = stmt.where(col(Refund.created_at) >= created_from)
    if created_before is not None:
        stmt = stmt.where(col(Refund.created_at) < created_before)
    for row in session.execute(stmt.execution_options(yield_per=1000)):
        yield tuple(row)
