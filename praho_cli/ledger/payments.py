"""Payment queries: locking a payment with its document, references, and the payment list.

Lock order (docs/refunds.md, :mod:`praho_cli.ledger.refunds`): the document first, then its payments.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli.ledger.document_list import balance_column
from praho_cli.ledger.models.billing import BillingDocument, Payment


def invoice_of_proforma(session: Session, proforma_id: int) -> BillingDocument | None:
    """The invoice a proforma was converted to."""
    stmt = select(BillingDocument).where(col(BillingDocument.proforma_id) == proforma_id)
    return session.execute(stmt).scalar_one_or_none()


def with_reference(session: Session, reference: str) -> Payment | None:
    """The oldest payment not voided that carries this reference."""
    stmt = select(Payment).where(col(Payment.reference) == reference, col(Payment.voided_at).is_(None))
    return session.execute(stmt.order_by(col(Payment.id)).limit(1)).scalar_one_or_none()


def lock_document(session: Session, document_id: int) -> BillingDocument:
    stmt = select(BillingDocument).where(col(BillingDocument.id) == document_id).with_for_update()
    return session.execute(stmt).scalar_one()


def lock_payment(session: Session, payment_id: int) -> Payment:
    stmt = select(Payment).where(col(Payment.id) == payment_id).with_for_update()
    return session.execute(stmt).scalar_one()


def iter_payments(session: Session, document_ids: list[int]) -> Iterator[tuple[Payment, BillingDocument, int]]:
    """(payment, its document, the document's open balance) rows, by payment id, streamed in batches;
    every payment, or those of ``document_ids`` (all of them must match) when given."""
    stmt = (select(Payment, BillingDocument, balance_column(col(Payment.document_id)))
            .join(BillingDocument, col(BillingDocument.id) == col(Payment.document_id)))
    for document_id in document_ids:
        stmt = stmt.where(col(Payment.document_id) == document_id)
    for payment, document, balance in session.execute(stmt.order_by(col(Payment.id)).execution_options(
            yield_per=1000)):
        yield payment, document, int(balance or 0)
