"""The billing document list: its public record, its filter, and the one way to list documents.

Every output format and both backends list through :func:`list_documents`, which streams the rows
of :func:`praho_cli.ledger.document_list.documents`. This module and that one stay clear of the
models (SQLModel), whose import would cost more than reading a large list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import document_list as ledger
from praho_cli.ledger.document_list import OPEN_STATUSES
from praho_cli.records import Field, RecordType, Rows
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing import customer_ref

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from praho_cli.services.context import ServiceContext

INVOICE_STATUSES = (
    "draft", "issued", "partially_paid", "paid", "overdue", "cancelled", "partially_refunded", "refunded",
)
PROFORMA_STATUSES = ("draft", "issued", "partially_paid", "converted", "cancelled")
CREDIT_NOTE_STATUSES = ("issued",)  # a credit note is issued by billing and never changes

DOCUMENT = RecordType(
    name="document",
    title="Billing document",
    description="An invoice, proforma or credit note as listed (`invoices list`, `proformas list`).",
    fields=(
        Field("id", "string", "Ledger id (drafts have no number: use the id)."),
        Field("kind", "string", "Document kind.", enum=tuple(k.value for k in DocumentKind), table=False),
        Field("number", "string|null", "Document number, e.g. INV2026-000042; null for drafts."),
        Field("series", "string", "Series code."),
        Field("status", "string", "Lifecycle status.", enum=tuple(dict.fromkeys(INVOICE_STATUSES + PROFORMA_STATUSES))),
        Field("customer_id", "string", "Ledger id of the customer.", table=False),
        Field("customer_name", "string", "Customer name."),
        Field("currency", "string", "ISO 4217 currency of every amount of the document."),
        Field("tax_point", "string|null", "Date of supply, which chooses the VAT rates.", format="date", table=False),
        Field("issue_date", "string|null", "Issue date; null for drafts.", format="date"),
        Field("due_date", "string|null", "Payment due date; null for drafts.", format="date"),
        Field("net_cents", "integer", "Total without VAT, minor units.", money_currency="currency"),
        Field("vat_cents", "integer", "Total VAT, minor units.", table=False, money_currency="currency"),
        Field("total_cents", "integer", "Total with VAT, minor units.", money_currency="currency"),
        Field("paid_cents", "integer", "Payments received, minor units.", table=False, money_currency="currency"),
        Field("balance_cents", "integer", "Still to be paid, minor units.", money_currency="currency"),
        Field("vat_regime", "string|null", "domestic, reverse_charge, oss, out_of_scope or not_registered.",
              table=False),
        Field("vat_ron_cents", "integer|null", "Total VAT in RON (bani) at the frozen rate; non-RON documents.",
              table=False),
    ),
)



@dataclass(frozen=True)
class DocumentFilter:
    status: str | None = None
    customer: str | None = None
    series: str | None = None
    currency: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    due_from: date | None = None
    due_to: date | None = None
    overdue: bool = False


def statuses_of(kind: DocumentKind) -> tuple[str, ...]:
    if kind is DocumentKind.CREDIT_NOTE:
        return CREDIT_NOTE_STATUSES
    return PROFORMA_STATUSES if kind is DocumentKind.PROFORMA else INVOICE_STATUSES


def check_status(kind: DocumentKind, status: str | None) -> None:
    if status and status not in statuses_of(kind):
        raise fail(ErrorCode.INVALID, f"status: must be one of {', '.join(statuses_of(kind))}, not {status!r}")


@returns_result
def list_documents(conn: Connection | Session, ctx: ServiceContext, kind: DocumentKind, flt: DocumentFilter) -> Rows:
    """The documents of ``kind`` that ``flt`` selects, ordered by id, streamed as rows of the
    ``document`` record (one query; rows fetched in batches, nothing held in memory)."""
    check_status(kind, flt.status)
    customer_id = None
    if flt.customer:
        ref = customer_ref.parse(flt.customer)
        customer_id = ledger.customer_id(conn, id=ref.id, email=ref.email)
        if customer_id is None:
            raise customer_ref.not_found(ref)
    query = ledger.DocumentQuery(
        kind=kind.value, status=flt.status or None, customer_id=customer_id, series=flt.series or None,
        currency=flt.currency.strip().upper() if flt.currency else None,
        issued_from=flt.issued_from, issued_to=flt.issued_to, due_from=flt.due_from, due_to=flt.due_to,
        overdue_before=ctx.today() if flt.overdue else None,
    )
    return ledger.documents(conn, query)


__all__ = ["CREDIT_NOTE_STATUSES", "DOCUMENT", "INVOICE_STATUSES", "OPEN_STATUSES", "PROFORMA_STATUSES",
           "DocumentFilter", "check_status", "list_documents", "statuses_of"]
