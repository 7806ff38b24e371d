"""Reads of issued fiscal documents for their export (e-Factura): the document as frozen at issue,
its lines, the invoice a credit note corrects, and the customer's current row.

Only reads: nothing here writes or locks, so an export never changes a document.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.billing import BillingDocument, DocumentLine


@dataclass(frozen=True)
class FiscalDocument:
    document: BillingDocument
    lines: tuple[DocumentLine, ...]
    corrects: BillingDocument | None  # a credit note's invoice
    customer: Customer | None  # the current row (fields the snapshot taken at issue did not hold yet)


def find(session: Session, ref: str) -> BillingDocument | None:
    """A document by its number (``INV2026-000042``) or its ledger id (digits)."""
    text = ref.strip()
    stmt = select(BillingDocument).where(col(BillingDocument.number_text) == text)
    found = session.execute(stmt).scalars().first()
    if found is None and text.isdigit():
        found = session.get(BillingDocument, int(text))
    return found


def load(session: Session, document: BillingDocument) -> FiscalDocument:
    lines = session.execute(
        select(DocumentLine).where(col(DocumentLine.document_id) == document.id).order_by(col(DocumentLine.position))
    ).scalars().all()
    corrects = session.get(BillingDocument, document.corrects_id) if document.corrects_id else None
    customer = session.get(Customer, document.customer_id)
    return FiscalDocument(document, tuple(lines), corrects, customer)
