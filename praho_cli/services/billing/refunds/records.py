"""The refund record types (`refunds create|list|show|eligibility|reconcile` output) and inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from praho_cli.records import Field, RecordType

METHODS = ("original", "bank", "card", "cash", "other")
STATUSES = ("pending", "completed", "failed")
MAX_REASON = 400

_ALLOCATION_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "payment_id": {"type": "string"}, "amount_cents": {"type": "integer"}, "method": {"type": "string"},
}}
_CREDIT_NOTE_SCHEMA = {"type": ["object", "null"], "additionalProperties": False, "properties": {
    "id": {"type": ["string", "null"]}, "number": {"type": ["string", "null"]},
    "issue_date": {"type": ["string", "null"], "format": "date"}, "tax_point": {"type": ["string", "null"]},
    "net_cents": {"type": "integer"}, "vat_cents": {"type": "integer"}, "total_cents": {"type": "integer"},
    "vat_breakdown": {"type": "array", "items": {"type": "object", "properties": {
        "vat_code": {"type": "string"}, "vat_rate": {"type": "string"}, "base_cents": {"type": "integer"},
        "vat_cents": {"type": "integer"}}}},
}}
_PAYMENT_STATE_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    "id": {"type": "string"}, "amount_cents": {"type": "integer"}, "method": {"type": "string"},
    "refunded_cents": {"type": "integer"}, "pending_cents": {"type": "integer"},
    "status": {"type": "string", "enum": ["paid", "partially_refunded", "refunded"]},
}}

REFUND = RecordType(
    name="refund",
    title="Refund",
    description="A refund as listed by `refunds list`.",
    fields=(
        Field("id", "string", "Ledger id of the refund."),
        Field("invoice_number", "string", "The refunded invoice."),
        Field("customer_id", "string", "Ledger id of the customer.", table=False),
        Field("kind", "string", "full (the whole refundable remainder) or partial.", enum=("full", "partial")),
        Field("status", "string", "pending (reserved, money not yet confirmed), completed or failed.",
              enum=STATUSES),
        Field("amount_cents", "integer", "Amount given back, VAT included, minor units.", money_currency="currency"),
        Field("currency", "string", "ISO 4217 code (always the invoice's)."),
        Field("method", "string", "How the money goes back.", enum=METHODS),
        Field("reason", "string", "Why the money is given back.", table=False),
        Field("credit_note_number", "string|null", "The credit note issued when the refund completed."),
        Field("command_reference", "string|null", "Reference returned by the refund command.", table=False),
        Field("created_at", "string", "When the refund was recorded (UTC).", format="date-time"),
        Field("completed_at", "string|null", "When it completed (UTC).", table=False, format="date-time"),
    ),
)

REFUND_DETAIL = RecordType(
    name="refund_detail",
    title="Refund with its credit note",
    description="One refund as shown by `refunds show` and returned by `refunds create`.",
    fields=(
        *REFUND.fields,
        Field("invoice_id", "string", "Ledger id of the invoice.", table=False),
        Field("invoice_issue_date", "string|null", "Issue date of the invoice.", table=False, format="date"),
        Field("invoice_status", "string", "The invoice's status now (paid, partially_refunded, refunded…).",
              table=False),
        Field("remaining_cents", "integer", "What can still be refunded on the invoice now.",
              money_currency="currency", table=False),
        Field("settled_by", "string", "command (the refund command moved the money) or outside (no command "
              "configured: returned outside praho).", enum=("command", "outside"), table=False),
        Field("idempotency_key", "string", "The key given to the refund command (the caller's, or generated).",
              table=False),
        Field("failure_reason", "string|null", "Why it failed, or why the last attempt left it pending.",
              table=False),
        Field("attempts", "integer", "How many times the refund command ran for it.", table=False),
        Field("allocations", "array", "Which payments it gives back (newest first).", table=False),
        Field("credit_note", "object|null", "The credit note (a preview with --dry-run).", table=False),
        Field("updated_at", "string", "Last change (UTC).", table=False, format="date-time"),
    ),
    extra_schema={"allocations": {"items": _ALLOCATION_SCHEMA}, "credit_note": _CREDIT_NOTE_SCHEMA},
)

REFUND_ELIGIBILITY = RecordType(
    name="refund_eligibility",
    title="Refund eligibility",
    description="Whether an invoice can be refunded, why, and how much (`refunds eligibility`).",
    fields=(
        Field("invoice_number", "string", "The invoice."),
        Field("invoice_status", "string", "Its status."),
        Field("eligible", "boolean", "Whether a refund can be created now."),
        Field("reason", "string", "Why (or why not)."),
        Field("currency", "string", "ISO 4217 code.", table=False),
        Field("total_cents", "integer", "Invoice total.", money_currency="currency", table=False),
        Field("paid_cents", "integer", "Paid on the invoice.", money_currency="currency"),
        Field("refunded_cents", "integer", "Completed refunds.", money_currency="currency"),
        Field("pending_cents", "integer", "Pending refunds (reserved).", money_currency="currency"),
        Field("max_refundable_cents", "integer", "Paid minus pending and completed refunds.",
              money_currency="currency"),
        Field("payments", "array", "Each payment and how much of it was given back.", table=False),
    ),
    extra_schema={"payments": {"items": _PAYMENT_STATE_SCHEMA}},
)

RECONCILE_ITEM = RecordType(
    name="refund_reconcile_item",
    title="Refund reconciliation",
    description="One pending refund that `refunds reconcile` tried to settle.",
    fields=(
        Field("id", "string", "Ledger id of the refund."),
        Field("invoice_number", "string", "The refunded invoice."),
        Field("amount_cents", "integer", "Amount, minor units.", money_currency="currency"),
        Field("currency", "string", "ISO 4217 code."),
        Field("status", "string", "Status after this run.", enum=STATUSES),
        Field("credit_note_number", "string|null", "Credit note issued when it completed."),
        Field("command_reference", "string|null", "Reference returned by the refund command.", table=False),
        Field("problem", "string|null", "Why it failed or is still pending."),
    ),
)


@dataclass(frozen=True)
class RefundInput:
    invoice: str
    reason: str
    full: bool = False
    amount: str | None = None
    method: str = "original"


@dataclass(frozen=True)
class RefundFilter:
    invoice: str | None = None
    customer: str | None = None
    status: str | None = None
    created_from: date | None = None
    created_to: date | None = None
