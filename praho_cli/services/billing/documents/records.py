"""The public records of billing documents beyond the list's ``document``: the detail shown by
``show``, ``create`` and ``issue``, and the overdue sweep's report."""

from __future__ import annotations

from praho_cli.records import Field, RecordType
from praho_cli.services.billing.document_list import DOCUMENT

_LINE_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "position": {"type": "integer"}, "description": {"type": "string"}, "quantity": {"type": "string"},
    "unit_price_cents": {"type": "integer"}, "category": {"type": "string"}, "vat_code": {"type": "string"},
    "vat_rate": {"type": "string"}, "net_cents": {"type": "integer"},
}}
_BREAKDOWN_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "vat_code": {"type": "string"}, "vat_rate": {"type": "string"}, "base_cents": {"type": "integer"},
    "vat_cents": {"type": "integer"},
}}
_PAYMENT_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "id": {"type": "string"}, "amount_cents": {"type": "integer"}, "method": {"type": "string"},
    "reference": {"type": ["string", "null"]}, "paid_at": {"type": "string", "format": "date"},
}}
_RELATED_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "relation": {"type": "string", "enum": ["corrects", "corrected_by", "converted_from", "converted_to"]},
    "id": {"type": "string"}, "kind": {"type": "string"}, "number": {"type": ["string", "null"]},
    "issue_date": {"type": ["string", "null"], "format": "date"}, "total_cents": {"type": "integer"},
}}

DOCUMENT_DETAIL = RecordType(
    name="document_detail",
    title="Billing document with lines",
    description="One document as shown by `invoices show`, `proformas show` and returned by create/issue.",
    fields=(
        *DOCUMENT.fields,
        Field("fiscal_year", "integer|null", "Fiscal year of the number (0 for series that never restart).",
              table=False),
        Field("due_days", "integer|null", "Days from issue to due date.", table=False),
        Field("vat_mention", "string|null", "Legal mention printed when no VAT is charged.", table=False),
        Field("fx_rate", "string|null", "Frozen RON per unit of the currency.", table=False),
        Field("fx_date", "string|null", "Day of the frozen rate.", table=False, format="date"),
        Field("fx_source", "string|null", "Source of the frozen rate.", table=False),
        Field("reason", "string|null", "Reason of a credit note.", table=False),
        Field("seller", "object|null", "Seller details frozen at issue.", table=False),
        Field("customer", "object|null", "Customer details frozen at issue.", table=False),
        Field("lines", "array", "Lines, in order.", table=False),
        Field("vat_breakdown", "array", "VAT per EN 16931 category and rate.", table=False),
        Field("payments", "array", "Payments received.", table=False),
        Field("related_documents", "array", "Credit notes, the corrected invoice, proforma ↔ invoice.",
              table=False),
        Field("issued_at", "string|null", "When it was issued (UTC).", table=False, format="date-time"),
        Field("cancelled_at", "string|null", "When it was cancelled (UTC).", table=False, format="date-time"),
        Field("created_at", "string", "When the draft was created (UTC).", table=False, format="date-time"),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
    ),
    extra_schema={"lines": {"items": _LINE_SCHEMA}, "vat_breakdown": {"items": _BREAKDOWN_SCHEMA},
                  "payments": {"items": _PAYMENT_SCHEMA}, "related_documents": {"items": _RELATED_SCHEMA}},
)

OVERDUE_RUN = RecordType(
    name="overdue_run",
    title="Overdue sweep",
    description="What `invoices mark-overdue` did.",
    fields=(
        Field("as_of", "string", "The date invoices were compared with (due before it = overdue).", format="date"),
        Field("marked", "integer", "Invoices moved to overdue by this run."),
        Field("already_overdue", "integer", "Invoices that were overdue before the run."),
        Field("invoices", "array", "Numbers of the invoices this run marked.", table=False),
    ),
    extra_schema={"invoices": {"items": {"type": "string"}}},
)
