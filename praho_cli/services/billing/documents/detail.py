"""The detail of one billing document (``show``, and the record ``create`` and ``issue`` return)."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.billing.totals import DocumentTotals, compute_totals
from praho_cli.ledger import document_list
from praho_cli.ledger import documents as ledger
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument, DocumentSeries
from praho_cli.result import returns_result
from praho_cli.services.billing.documents.lines import priced_lines
from praho_cli.services.billing.documents.lookup import get_document


def series_code_of(session: Session, series_id: int) -> str:
    series = session.get(DocumentSeries, series_id)
    return series.code if series else ""


def customer_name(session: Session, document: BillingDocument) -> str:
    if document.customer_json:
        return str(json.loads(document.customer_json).get("name", ""))
    customer = session.get(Customer, document.customer_id)
    return customer.name if customer else ""


def summary(session: Session, document: BillingDocument, series_code: str, customer_name: str) -> dict[str, Any]:
    """The document as listed (the ``document`` record); its balance by the lists' one expression."""
    session.flush()  # the balance is read from the row
    return {
        "id": str(document.id),
        "kind": document.kind,
        "number": document.number_text,
        "series": series_code,
        "status": document.status,
        "customer_id": str(document.customer_id),
        "customer_name": customer_name,
        "currency": document.currency,
        "tax_point": document.tax_point.isoformat() if document.tax_point else None,
        "issue_date": document.issue_date.isoformat() if document.issue_date else None,
        "due_date": document.due_date.isoformat() if document.due_date else None,
        "net_cents": document.net_minor,
        "vat_cents": document.vat_minor,
        "total_cents": document.total_minor,
        "paid_cents": document.paid_minor,
        "balance_cents": document_list.balance_of(session, document.id or 0),
        "vat_regime": document.vat_regime,
        "vat_ron_cents": document.vat_ron_minor,
    }


def _related(session: Session, document: BillingDocument, was_draft: bool = False) -> list[dict[str, Any]]:
    def ref(relation: str, other: BillingDocument) -> dict[str, Any]:
        return {"relation": relation, "id": str(other.id), "kind": other.kind, "number": other.number_text,
                "issue_date": other.issue_date.isoformat() if other.issue_date else None,
                "total_cents": other.total_minor}

    related = []
    if document.corrects_id:
        original = session.get(BillingDocument, document.corrects_id)
        if original:
            related.append(ref("corrects", original))
    if document.proforma_id:
        proforma = session.get(BillingDocument, document.proforma_id)
        if proforma:
            related.append(ref("converted_from", proforma))
    if was_draft:  # nothing corrects or converts a draft
        return related
    for other in ledger.corrected_by(session, document.id):
        related.append(ref("corrected_by", other))
    if document.kind == DocumentKind.PROFORMA.value:
        invoice = ledger.converted_invoice(session, document.id)
        if invoice:
            related.append(ref("converted_to", invoice))
    return related


def detail(
    session: Session, document: BillingDocument, totals: DocumentTotals | None = None, *,
    series: DocumentSeries | None = None, was_draft: bool = False,
) -> dict[str, Any]:
    """The full record. ``totals`` saves re-reading the lines when the caller has just priced them,
    ``series`` the series lookup; ``was_draft`` (the document is being issued in this transaction)
    skips what no draft can have: payments of its own, and documents that correct or convert it."""
    totals = totals or compute_totals(priced_lines(session, document), document.rounding)
    # An invoice converted from a proforma is paid by the payments recorded on the proforma.
    paid_by = ([] if was_draft else [document.id]) + ([document.proforma_id] if document.proforma_id else [])
    payments = ledger.payments_on(session, paid_by)
    series_code = series.code if series is not None else series_code_of(session, document.series_id)
    return {
        **summary(session, document, series_code, customer_name(session, document)),
        "fiscal_year": document.fiscal_year,
        "due_days": document.due_days,
        "vat_mention": document.vat_mention,
        "fx_rate": document.fx_rate,
        "fx_date": document.fx_day.isoformat() if document.fx_day else None,
        "fx_source": document.fx_source,
        "reason": document.reason,
        "seller": json.loads(document.seller_json) if document.seller_json else None,
        "customer": json.loads(document.customer_json) if document.customer_json else None,
        "lines": [
            {"position": i, "description": line.description, "quantity": str(line.quantity),
             "unit_price_cents": line.unit_price_minor, "category": line.category.value,
             "vat_code": line.vat_code, "vat_rate": str(line.vat_rate), "net_cents": line.net_minor}
            for i, line in enumerate(totals.lines, start=1)
        ],
        "vat_breakdown": [
            {"vat_code": b.vat_code, "vat_rate": str(b.vat_rate), "base_cents": b.base_minor,
             "vat_cents": b.vat_minor}
            for b in totals.breakdown
        ],
        "payments": [
            {"id": str(p.id), "amount_cents": p.amount_minor, "method": p.method, "reference": p.reference,
             "paid_at": p.paid_at.isoformat()}
            for p in payments
        ],
        "related_documents": _related(session, document, was_draft),
        "issued_at": iso(document.issued_at),
        "cancelled_at": iso(document.cancelled_at),
        "created_at": iso(document.created_at),
        "updated_at": iso(document.updated_at),
    }


@returns_result
def show_document(session: Session, kind: DocumentKind, ref: str) -> dict[str, Any]:
    return detail(session, get_document(session, kind, ref))
