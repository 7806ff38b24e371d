"""Billing document and line queries: lookups by number or id, lines, the documents that correct or
convert another, payments shown on a document, the overdue sweep and frozen exchange rates."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import bindparam, delete, func, select
from sqlmodel import Session, col

from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.billing import BillingDocument, DocumentLine, DocumentSeries, Payment

_BY_NUMBER = select(BillingDocument).where(col(BillingDocument.kind) == bindparam("kind"),
                                           col(BillingDocument.number_text) == bindparam("ref"))
_BY_ID = select(BillingDocument).where(col(BillingDocument.kind) == bindparam("kind"),
                                       col(BillingDocument.id) == bindparam("ref_id"))


def _locked(stmt: Any) -> Any:
    return (stmt.add_columns(Customer, DocumentSeries)
            .join(Customer, Customer.id == BillingDocument.customer_id)
            .join(DocumentSeries, DocumentSeries.id == BillingDocument.series_id)
            .with_for_update(of=BillingDocument)
            .execution_options(populate_existing=True))


# Built once: a statement's construction costs more than its (cached) compilation.
_LOCKED_BY_NUMBER, _LOCKED_BY_ID = _locked(_BY_NUMBER), _locked(_BY_ID)


def _params(kind: str, *, number: str | None, id: int | None) -> dict[str, Any]:
    return {"kind": kind, "ref_id": id} if id is not None else {"kind": kind, "ref": number}


def get(session: Session, kind: str, *, number: str | None = None, id: int | None = None) -> BillingDocument | None:
    """The document of ``kind`` with this number or (given ``id``) this ledger id."""
    stmt = _BY_ID if id is not None else _BY_NUMBER
    return session.execute(stmt, _params(kind, number=number, id=id)).scalar_one_or_none()


def get_locked(
    session: Session, kind: str, *, number: str | None = None, id: int | None = None
) -> tuple[BillingDocument, Customer, DocumentSeries] | None:
    """The document, locked (FOR UPDATE, only its row) and read fresh, with its customer and series
    in the same round trip."""
    stmt = _LOCKED_BY_ID if id is not None else _LOCKED_BY_NUMBER
    row = session.execute(stmt, _params(kind, number=number, id=id)).first()
    return (row[0], row[1], row[2]) if row is not None else None


_LINES = DocumentLine.__table__  # type: ignore[attr-defined]
_LINES_OF = (
    select(_LINES.c.description, _LINES.c.quantity, _LINES.c.unit_price_minor, _LINES.c.category,
           _LINES.c.vat_code, _LINES.c.vat_rate, _LINES.c.net_minor)
    .where(_LINES.c.document_id == bindparam("document_id"))
    .order_by(_LINES.c.position)
)


def line_values(session: Session, document_id: int) -> Sequence[Any]:
    """The document's lines in order as plain rows: (description, quantity, unit_price_minor,
    category, vat_code, vat_rate, net_minor)."""
    return session.connection().execute(_LINES_OF, {"document_id": document_id}).all()


def lines(session: Session, document_id: int) -> list[DocumentLine]:
    return list(session.execute(
        select(DocumentLine).where(col(DocumentLine.document_id) == document_id).order_by(col(DocumentLine.position))
    ).scalars())


def delete_lines(session: Session, document_id: int | None) -> None:
    session.execute(delete(DocumentLine).where(col(DocumentLine.document_id) == document_id))


def corrected_by(session: Session, document_id: int | None) -> list[BillingDocument]:
    """The documents (credit notes) that correct this one, oldest first."""
    return list(session.execute(
        select(BillingDocument).where(col(BillingDocument.corrects_id) == document_id)
        .order_by(col(BillingDocument.id))
    ).scalars())


def converted_invoice(session: Session, proforma_id: int | None) -> BillingDocument | None:
    """The invoice a proforma was converted to."""
    return session.execute(
        select(BillingDocument).where(col(BillingDocument.proforma_id) == proforma_id)
    ).scalar_one_or_none()


def payments_on(session: Session, document_ids: Sequence[int | None]) -> list[Payment]:
    """The payments (not voided) recorded on these documents, oldest first."""
    if not document_ids:
        return []
    return list(session.execute(
        select(Payment).where(col(Payment.document_id).in_(document_ids), col(Payment.voided_at).is_(None))
        .order_by(col(Payment.id))
    ).scalars())


def due_before(session: Session, kind: str, statuses: Sequence[str], day: date) -> list[BillingDocument]:
    """Documents of ``kind`` in one of ``statuses`` due before ``day``, locked, by id."""
    return list(session.execute(
        select(BillingDocument).where(
            col(BillingDocument.kind) == kind, col(BillingDocument.status).in_(statuses),
            col(BillingDocument.due_date) < day,
        ).order_by(col(BillingDocument.id)).with_for_update()
    ).scalars())


def count_with_status(session: Session, kind: str, status: str) -> int:
    return int(session.execute(
        select(func.count()).select_from(BillingDocument).where(
            col(BillingDocument.kind) == kind, col(BillingDocument.status) == status)
    ).scalar_one())


def numbers_with_fx(session: Session, currency: str, day: date, limit: int) -> list[str]:
    """Numbers of the issued documents that froze the rate of ``currency`` on ``day``."""
    return [n or "" for n in session.execute(
        select(col(BillingDocument.number_text)).where(
            col(BillingDocument.currency) == currency, col(BillingDocument.fx_day) == day,
            col(BillingDocument.fx_rate).is_not(None),
        ).order_by(col(BillingDocument.id)).limit(limit)
    ).scalars()]
