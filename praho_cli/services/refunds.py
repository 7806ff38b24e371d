"""Refunds: money given back against a paid invoice, each with its credit note.

The rule this module exists for: the refunds of an invoice that are pending or completed never add
up to more than what was paid for it, whatever runs at the same time. Every decision is taken with
the invoice, its payments and its refunds locked in the order of :mod:`praho_cli.ledger.refunds`.

A refund is a durable intent in two phases. The refund is committed ``pending`` (reserving its
amount) before any money moves; the configured refund command then moves the money; the outcome is
recorded in a second unit of work (``completed`` with its credit note, or ``failed``, which releases
the reservation). A crash or timeout in between leaves it pending, and `refunds reconcile` runs the
command again with the same idempotency key. The credit note is issued when the refund completes,
so a transfer that never happened leaves no fiscal document to be corrected again. Without a refund
command the money is returned outside praho and the refund completes in the first unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli import calendar
from praho_cli.billing.numbering import DocumentKind
from praho_cli.billing.rates import VatCategory
from praho_cli.billing.totals import PricedLine, compute_totals, negate
from praho_cli.ledger import audit
from praho_cli.ledger import refunds as repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.billing import BillingDocument, Payment
from praho_cli.ledger.models.refunds import Refund, RefundAllocation
from praho_cli.ledger.uow import read_session, run_in_transaction
from praho_cli.money import format_minor, parse_amount
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoFailure, Result, Retry, err
from praho_cli.services import invoices
from praho_cli.services.context import ServiceContext
from praho_cli.services.customers import find_customer
from praho_cli.services.idempotency import idempotent
from praho_cli.services.refund_command import CommandOutcome, run_refund_command
from praho_cli.services.refund_vat import CategoryRemainder, credit_lines

METHODS = ("original", "bank", "card", "cash", "other")
STATUSES = ("pending", "completed", "failed")
REFUNDABLE_STATUSES = ("issued", "partially_paid", "paid", "overdue", "partially_refunded", "refunded")
LEASE_GRACE_SECONDS = 30  # beyond the command timeout, before reconcile may take a refund over
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


@dataclass(frozen=True)
class CommandSettings:
    """The refund command as configured (empty command: refunds are settled outside praho)."""

    command: str
    timeout_seconds: float

    @classmethod
    def of(cls, ctx: ServiceContext) -> CommandSettings:
        return cls(str(ctx.setting("refunds.command") or "").strip(),
                   float(ctx.setting("refunds.command_timeout_seconds") or 60))


Runner = Callable[[str, dict[str, Any], str, str, float], CommandOutcome]


# --- reading ---------------------------------------------------------------------------------------
def _money(minor: int, currency: str) -> str:
    return f"{format_minor(minor, currency)} {currency}"


def _label(invoice: BillingDocument) -> str:
    return invoice.number_text or str(invoice.id)


def max_refundable(invoice: BillingDocument, money: repo.InvoiceMoney) -> int:
    return max(invoice.paid_minor - money.completed_minor - money.pending_minor, 0)


def _payment_states(session: Session, money: repo.InvoiceMoney) -> list[dict[str, Any]]:
    status_of = {r.id: r.status for r in money.refunds}
    refunded: dict[int, int] = {}
    pending: dict[int, int] = {}
    for alloc in repo.allocations_of(session, [r.id or 0 for r in money.refunds]):
        state = status_of.get(alloc.refund_id)
        if state == "completed":
            refunded[alloc.payment_id] = refunded.get(alloc.payment_id, 0) + alloc.amount_minor
        elif state == "pending":
            pending[alloc.payment_id] = pending.get(alloc.payment_id, 0) + alloc.amount_minor
    states = []
    for p in money.payments:
        done = refunded.get(p.id or 0, 0)
        status = "paid" if done == 0 else "refunded" if done >= p.amount_minor else "partially_refunded"
        states.append({"id": str(p.id), "amount_cents": p.amount_minor, "method": p.method, "refunded_cents": done,
                       "pending_cents": pending.get(p.id or 0, 0), "status": status})
    return states


def _credit_note_public(session: Session, note: BillingDocument | None, preview: Sequence[PricedLine] = (),
                        rounding: str = "half_up", tax_point: date | None = None) -> dict[str, Any] | None:
    if note is None and not preview:
        return None
    lines = invoices.priced_lines(session, note) if note is not None else list(preview)
    totals = compute_totals(lines, note.rounding if note is not None else rounding)
    point = note.tax_point if note is not None else tax_point
    return {
        "id": str(note.id) if note is not None else None,
        "number": note.number_text if note is not None else None,
        "issue_date": note.issue_date.isoformat() if note is not None and note.issue_date else None,
        "tax_point": point.isoformat() if point else None,
        "net_cents": totals.net_minor, "vat_cents": totals.vat_minor, "total_cents": totals.total_minor,
        "vat_breakdown": [{"vat_code": b.vat_code, "vat_rate": str(b.vat_rate), "base_cents": b.base_minor,
                           "vat_cents": b.vat_minor} for b in totals.breakdown],
    }


def _summary(refund: Refund, invoice_number: str | None, note_number: str | None) -> dict[str, Any]:
    return {
        "id": str(refund.id) if refund.id is not None else None,
        "invoice_number": invoice_number,
        "customer_id": str(refund.customer_id),
        "kind": refund.kind,
        "status": refund.status,
        "amount_cents": refund.amount_minor,
        "currency": refund.currency,
        "method": refund.method,
        "reason": refund.reason,
        "credit_note_number": note_number,
        "command_reference": refund.command_reference,
        "created_at": iso(refund.created_at),
        "completed_at": iso(refund.completed_at),
    }


def detail(session: Session, refund: Refund, *, allocations: Sequence[RefundAllocation] | None = None,
           preview: Sequence[PricedLine] = (), remaining: int | None = None) -> dict[str, Any]:
    invoice = session.get(BillingDocument, refund.invoice_id)
    assert invoice is not None  # a foreign key guarantees it
    note = session.get(BillingDocument, refund.credit_note_id) if refund.credit_note_id else None
    if remaining is None:
        remaining = max_refundable(invoice, repo.invoice_money(session, invoice, lock=False))
    if allocations is None:
        allocations = repo.allocations_of(session, [refund.id or 0])
    methods = {p.id: p.method for p in session.execute(
        select(Payment).where(col(Payment.id).in_([a.payment_id for a in allocations]))
    ).scalars()} if allocations else {}
    return {
        **_summary(refund, invoice.number_text, note.number_text if note else None),
        "invoice_id": str(invoice.id),
        "invoice_issue_date": invoice.issue_date.isoformat() if invoice.issue_date else None,
        "invoice_status": invoice.status,
        "remaining_cents": remaining,
        "settled_by": refund.settled_by,
        "idempotency_key": refund.idempotency_key,
        "failure_reason": refund.failure_reason,
        "attempts": refund.attempts,
        "allocations": [{"payment_id": str(a.payment_id), "amount_cents": a.amount_minor,
                         "method": methods.get(a.payment_id, "")} for a in allocations],
        "credit_note": _credit_note_public(session, note, preview, invoice.rounding, invoice.tax_point),
        "updated_at": iso(refund.updated_at),
    }


def show_refund(session: Session, ref: str) -> Result[dict[str, Any]]:
    refund = repo.get(session, int(ref)) if ref.strip().isdigit() else None
    if refund is None:
        return err(ErrorCode.NOT_FOUND, f"no refund {ref!r} (give its id; see `praho refunds list`)")
    return Ok(detail(session, refund))


def list_refunds(session: Session, flt: RefundFilter, zone: tzinfo) -> Result[Iterator[dict[str, Any]]]:
    """Refunds matching ``flt``; ``--from``/``--to`` are days in the business's time zone ``zone``."""
    invoice_id = customer_id = None
    if flt.status is not None and flt.status not in STATUSES:
        return err(ErrorCode.INVALID, f"status: must be one of {', '.join(STATUSES)}, not {flt.status!r}")
    if flt.created_from and flt.created_to and flt.created_from > flt.created_to:
        return err(ErrorCode.INVALID, "--from must not be after --to")
    if flt.invoice is not None:
        found = invoices.find_document(session, DocumentKind.INVOICE, flt.invoice)
        if isinstance(found, Err):
            return found
        invoice_id = found.value.id
    if flt.customer is not None:
        customer = find_customer(session, flt.customer)
        if isinstance(customer, Err):
            return customer
        customer_id = customer.value.id
    start, before = calendar.day_range(flt.created_from, flt.created_to, zone)
    rows = repo.iter_refunds(session, invoice_id=invoice_id, customer_id=customer_id, status=flt.status,
                             created_from=start, created_before=before)
    return Ok(_summary(refund, number, note) for refund, number, note in rows)


# --- eligibility -----------------------------------------------------------------------------------
def _ineligible(invoice: BillingDocument, money: repo.InvoiceMoney) -> Err | None:
    label, currency = _label(invoice), invoice.currency
    if invoice.status not in REFUNDABLE_STATUSES:
        return err(ErrorCode.INELIGIBLE, f"Cannot refund invoice {label} in '{invoice.status}' status",
                   status=invoice.status, max_refundable_cents=0)
    if invoice.paid_minor <= 0:
        return err(ErrorCode.INELIGIBLE, f"Cannot refund invoice {label}: nothing was paid on it "
                   f"('{invoice.status}' status, remaining 0.00 {currency})", status=invoice.status,
                   max_refundable_cents=0)
    remaining = max_refundable(invoice, money)
    if remaining == 0:
        if money.completed_minor >= invoice.paid_minor:
            return err(ErrorCode.INELIGIBLE, f"Invoice {label} is already fully refunded: remaining "
                       f"{_money(0, currency)}", max_refundable_cents=0)
        return err(ErrorCode.INELIGIBLE, f"Invoice {label} has nothing left to refund: remaining "
                   f"{_money(0, currency)} (pending refunds reserve {_money(money.pending_minor, currency)})",
                   max_refundable_cents=0)
    return None


def eligibility(session: Session, ref: str) -> Result[dict[str, Any]]:
    found = invoices.find_document(session, DocumentKind.INVOICE, ref)
    if isinstance(found, Err):
        return found
    invoice = found.value
    money = repo.invoice_money(session, invoice, lock=False)
    problem = _ineligible(invoice, money)
    remaining = 0 if problem else max_refundable(invoice, money)
    reason = problem.error.message if problem else (
        f"up to {_money(remaining, invoice.currency)} can be refunded "
        f"(paid {_money(invoice.paid_minor, invoice.currency)}, refunded "
        f"{_money(money.completed_minor, invoice.currency)}, pending {_money(money.pending_minor, invoice.currency)})")
    return Ok({
        "invoice_number": _label(invoice), "invoice_status": invoice.status, "eligible": problem is None,
        "reason": reason, "currency": invoice.currency, "total_cents": invoice.total_minor,
        "paid_cents": invoice.paid_minor, "refunded_cents": money.completed_minor,
        "pending_cents": money.pending_minor, "max_refundable_cents": remaining,
        "payments": _payment_states(session, money),
    })


# --- the credit note -------------------------------------------------------------------------------
def _remainders(session: Session, invoice: BillingDocument) -> list[CategoryRemainder]:
    """Per VAT group of the invoice: its base and VAT minus what earlier credit notes took."""
    original = compute_totals(invoices.priced_lines(session, invoice), invoice.rounding)
    categories: dict[tuple[str, Decimal], VatCategory] = {}
    for line in original.lines:
        categories.setdefault((line.vat_code, line.vat_rate), line.category)
    base = {(b.vat_code, b.vat_rate): b.base_minor for b in original.breakdown}
    vat = {(b.vat_code, b.vat_rate): b.vat_minor for b in original.breakdown}
    notes = session.execute(select(BillingDocument).where(
        col(BillingDocument.corrects_id) == invoice.id, col(BillingDocument.kind) == DocumentKind.CREDIT_NOTE.value,
    ).order_by(col(BillingDocument.id))).scalars()
    for note in notes:
        for b in compute_totals(invoices.priced_lines(session, note), note.rounding).breakdown:
            key = (b.vat_code, b.vat_rate)
            if key in base:  # a rounding-difference line belongs to no category of the invoice
                base[key] += b.base_minor
                vat[key] += b.vat_minor
    return [CategoryRemainder(code, rate, categories[(code, rate)], base[(code, rate)], vat[(code, rate)])
            for (code, rate) in base]


def _has_credit_notes(session: Session, invoice: BillingDocument) -> bool:
    return session.execute(select(col(BillingDocument.id)).where(
        col(BillingDocument.corrects_id) == invoice.id).limit(1)).first() is not None


def credit_note_lines(session: Session, invoice: BillingDocument, amount_minor: int) -> list[PricedLine]:
    label = f"Refund of invoice {_label(invoice)} of {invoice.issue_date}"
    if amount_minor == invoice.total_minor and not _has_credit_notes(session, invoice):
        # Everything back at once: a storno of every line, which cancels the invoice to the last unit.
        return negate(invoices.priced_lines(session, invoice))
    return credit_lines(_remainders(session, invoice), amount_minor, label, invoice.rounding)


# --- creating --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Decision:
    invoice: BillingDocument
    money: repo.InvoiceMoney
    amount_minor: int
    kind: str
    allocations: list[tuple[Payment, int]]


def _validate_input(data: RefundInput) -> Err | None:
    if data.full == (data.amount is not None):
        return err(ErrorCode.INVALID, "give exactly one of --full or --amount")
    if data.method not in METHODS:
        return err(ErrorCode.INVALID, f"method: must be one of {', '.join(METHODS)}, not {data.method!r}")
    if not data.reason.strip():
        return err(ErrorCode.INVALID, "reason: must not be empty (say why the money is given back)")
    if len(data.reason.strip()) > MAX_REASON:
        return err(ErrorCode.INVALID, f"reason: at most {MAX_REASON} characters")
    return None


def _seller_missing(ctx: ServiceContext) -> Err | None:
    """Checked before any money moves: the credit note issued when the refund completes must name
    the seller, and a refund whose money went back must never be stuck without its credit note."""
    try:
        invoices.require_seller(ctx)
    except PrahoFailure as failure:
        return Err(failure.error)
    return None


def _decide(session: Session, data: RefundInput, *, lock: bool) -> Result[_Decision]:
    found = invoices.find_document(session, DocumentKind.INVOICE, data.invoice, lock=lock)
    if isinstance(found, Err):
        return found
    invoice = found.value
    amount_minor = None
    if data.amount is not None:
        try:
            amount = parse_amount(data.amount, invoice.currency)
        except PrahoFailure as failure:
            return Err(failure.error)
        if amount.currency != invoice.currency:
            return err(ErrorCode.INVALID, f"refund in {amount.currency} of a {invoice.currency} invoice: "
                       "the currency must match")
        if amount.minor <= 0:
            return err(ErrorCode.INVALID, "amount: must be more than zero")
        amount_minor = amount.minor
    money = repo.invoice_money(session, invoice, lock=lock)
    problem = _ineligible(invoice, money)
    if problem:
        return problem
    remaining = max_refundable(invoice, money)
    if amount_minor is None:
        amount_minor = remaining
    elif amount_minor > remaining:
        return err(ErrorCode.INELIGIBLE, f"Cannot refund {_money(amount_minor, invoice.currency)} on invoice "
                   f"{_label(invoice)}: the maximum refundable is {_money(remaining, invoice.currency)} (paid "
                   f"{_money(invoice.paid_minor, invoice.currency)}, refunded or pending "
                   f"{_money(invoice.paid_minor - remaining, invoice.currency)})",
                   max_refundable_cents=remaining, amount_cents=amount_minor)
    kind = "full" if amount_minor == remaining else "partial"
    return Ok(_Decision(invoice, money, amount_minor, kind, _allocate(session, money, amount_minor)))


def _allocate(session: Session, money: repo.InvoiceMoney, amount_minor: int) -> list[tuple[Payment, int]]:
    """Give back the newest payments first; each payment's free part excludes earlier reservations."""
    reserving = {r.id for r in money.refunds if r.status in repo.RESERVING}
    taken: dict[int, int] = {}
    for alloc in repo.allocations_of(session, [r.id or 0 for r in money.refunds]):
        if alloc.refund_id in reserving:
            taken[alloc.payment_id] = taken.get(alloc.payment_id, 0) + alloc.amount_minor
    out = []
    left = amount_minor
    for payment in sorted(money.payments, key=lambda p: p.id or 0, reverse=True):
        free = payment.amount_minor - taken.get(payment.id or 0, 0)
        if left <= 0 or free <= 0:
            continue
        part = min(free, left)
        out.append((payment, part))
        left -= part
    return out


def _project_invoice(session: Session, ctx: ServiceContext, invoice: BillingDocument, refund_id: int) -> None:
    """Recompute the invoice's status from its payments and completed refunds (never incremented).

    The completed sum is read back from the ledger after the refund was marked completed, so no
    caller adds "this refund" to a sum that may already hold it. Only a fully paid invoice moves to
    partially_refunded / refunded: an invoice still owed money keeps its payment status, so the
    overdue sweep and payments keep working on it.
    """
    if invoice.paid_minor <= 0 or invoice.paid_minor != invoice.total_minor:
        return
    completed_minor = repo.invoice_money(session, invoice, lock=False).completed_minor
    status = ("paid" if completed_minor == 0 else "refunded" if completed_minor >= invoice.paid_minor
              else "partially_refunded")
    if status == invoice.status:
        return
    before = invoice.status
    invoice.status, invoice.updated_at = status, ctx.now()
    invoice.version += 1
    session.add(invoice)
    session.flush()
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action="invoice.refund_status", entity_type="invoice",
                 entity_id=str(invoice.id), before={"status": before, "number": invoice.number_text},
                 after={"status": status, "number": invoice.number_text, "refunded_cents": completed_minor,
                        "refund_id": str(refund_id)})


def _complete(session: Session, ctx: ServiceContext, invoice: BillingDocument, refund: Refund,
              reference: str | None) -> None:
    """Issue the credit note and mark the refund completed; the invoice is locked by the caller."""
    reason = f"Refund {refund.id}: {refund.reason} (invoice {_label(invoice)} of {invoice.issue_date})"
    note = invoices.issue_credit_note(session, ctx, invoice, credit_note_lines(session, invoice,
                                                                               refund.amount_minor), reason)
    if note.total_minor != -refund.amount_minor:  # pragma: no cover - credit_lines guarantees it
        raise PrahoFailure.of(ErrorCode.INTERNAL, f"credit note total {note.total_minor} does not match refund "
                              f"{refund.amount_minor}")
    now = ctx.now()
    refund.status, refund.credit_note_id, refund.command_reference = "completed", note.id, reference
    refund.completed_at = refund.updated_at = now
    refund.claimed_until = None
    refund.version += 1
    session.add(refund)
    session.flush()
    audit.append(session, ts=now, actor=ctx.actor, action="credit_note.issue", entity_type="credit_note",
                 entity_id=str(note.id), after=invoices.detail(session, note))


def _create_locked(session: Session, ctx: ServiceContext, data: RefundInput, key: str,
                   settings: CommandSettings) -> Result[dict[str, Any]]:
    decided = _decide(session, data, lock=True)
    if isinstance(decided, Err):
        return decided
    d = decided.value
    now = ctx.now()
    by_command = bool(settings.command)
    refund = Refund(
        invoice_id=d.invoice.id or 0, customer_id=d.invoice.customer_id, kind=d.kind, status="pending",
        amount_minor=d.amount_minor, currency=d.invoice.currency, method=data.method, reason=data.reason.strip(),
        idempotency_key=key, settled_by="command" if by_command else "outside",
        claimed_until=now + timedelta(seconds=settings.timeout_seconds + LEASE_GRACE_SECONDS) if by_command else None,
        created_at=now, updated_at=now,
    )
    session.add(refund)
    session.flush()
    allocations = [RefundAllocation(refund_id=refund.id or 0, payment_id=p.id or 0, amount_minor=part)
                   for p, part in d.allocations]
    session.add_all(allocations)
    session.flush()
    audit.append(session, ts=now, actor=ctx.actor, action="refund.create", entity_type="refund",
                 entity_id=str(refund.id), after=detail(session, refund, allocations=allocations,
                                                        remaining=max_refundable(d.invoice, d.money) - d.amount_minor))
    if not by_command:
        try:
            _complete(session, ctx, d.invoice, refund, None)
        except PrahoFailure as failure:
            return Err(failure.error)
        _project_invoice(session, ctx, d.invoice, refund.id or 0)
        audit.append(session, ts=now, actor=ctx.actor, action="refund.complete", entity_type="refund",
                     entity_id=str(refund.id), after=detail(session, refund, allocations=allocations))
    return Ok(detail(session, refund, allocations=allocations))


def create_refund(
    session: Session, ctx: ServiceContext, data: RefundInput, idempotency_key: str | None = None,
) -> Result[dict[str, Any]]:
    """Phase one: record the refund (pending with a command, completed without) under the invoice lock.

    Returns the refund plus ``replayed`` (True when the idempotency key returned an earlier refund).
    """
    problem = _validate_input(data) or _seller_missing(ctx)
    if problem:
        return problem
    settings = CommandSettings.of(ctx)
    key = idempotency_key if idempotency_key is not None else f"praho-refund-{uuid.uuid4().hex}"
    params = {"invoice": data.invoice.strip(), "full": data.full,
              "amount": data.amount.strip() if data.amount else None, "method": data.method,
              "reason": data.reason.strip()}
    created: list[bool] = []

    def work() -> Result[dict[str, Any]]:
        created.append(True)
        return _create_locked(session, ctx, data, key, settings)

    result = idempotent(session, ctx, idempotency_key, "refunds.create", params, work)
    if isinstance(result, Err):
        return result
    refund = repo.get(session, int(result.value["id"]))
    if refund is None:  # pragma: no cover - the stored key commits with its refund
        return err(ErrorCode.INTERNAL, "idempotency key points to a missing refund")
    return Ok({**detail(session, refund), "replayed": not created})


def plan_refund(session: Session, ctx: ServiceContext, data: RefundInput) -> Result[dict[str, Any]]:
    """What `refunds create` would do (--dry-run): the same checks and credit note, nothing written."""
    problem = _validate_input(data) or _seller_missing(ctx)
    if problem:
        return problem
    decided = _decide(session, data, lock=False)
    if isinstance(decided, Err):
        return decided
    d = decided.value
    now = ctx.now()
    settings = CommandSettings.of(ctx)
    refund = Refund(invoice_id=d.invoice.id or 0, customer_id=d.invoice.customer_id, kind=d.kind,
                    status="pending" if settings.command else "completed", amount_minor=d.amount_minor,
                    currency=d.invoice.currency, method=data.method, reason=data.reason.strip(),
                    idempotency_key="", settled_by="command" if settings.command else "outside",
                    created_at=now, updated_at=now)
    allocations = [RefundAllocation(refund_id=0, payment_id=p.id or 0, amount_minor=part) for p, part in d.allocations]
    lines = credit_note_lines(session, d.invoice, d.amount_minor)
    return Ok(detail(session, refund, allocations=allocations, preview=lines,
                     remaining=max_refundable(d.invoice, d.money) - d.amount_minor))


# --- phase two: the money, then the outcome --------------------------------------------------------
def _payload(public: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "invoice_id", "invoice_number", "invoice_issue_date", "customer_id", "kind", "amount_cents",
            "currency", "method", "reason", "idempotency_key", "allocations", "created_at")
    return {k: public[k] for k in keys}


def _claim(db: Database, ctx: ServiceContext, refund_id: int, settings: CommandSettings,
           ignore_lease: bool) -> Result[dict[str, Any] | None]:
    """Take the refund's lease (invoice lock first, per the lock order); None if not ours to run."""
    def work(session: Session) -> Result[dict[str, Any] | None]:
        peek = repo.get(session, refund_id)
        if peek is None:
            return err(ErrorCode.NOT_FOUND, f"no refund {refund_id}")
        repo.lock_invoice(session, peek.invoice_id)
        refund = repo.lock_refund(session, refund_id)
        assert refund is not None
        now = ctx.now()
        if refund.status != "pending":
            return Ok(None)
        if not ignore_lease and refund.claimed_until is not None and refund.claimed_until >= now:
            return Ok(None)
        refund.claimed_until = now + timedelta(seconds=settings.timeout_seconds + LEASE_GRACE_SECONDS)
        refund.updated_at = now
        refund.version += 1
        session.add(refund)
        session.flush()
        return Ok(detail(session, refund))

    return run_in_transaction(db, work)


def _record_outcome(
    db: Database, ctx: ServiceContext, refund_id: int, outcome: CommandOutcome
) -> Result[dict[str, Any]]:
    def work(session: Session) -> Result[dict[str, Any]]:
        peek = repo.get(session, refund_id)
        if peek is None:
            return err(ErrorCode.NOT_FOUND, f"no refund {refund_id}")
        invoice = repo.lock_invoice(session, peek.invoice_id)
        assert invoice is not None
        money = repo.invoice_money(session, invoice, lock=True)
        refund = next(r for r in money.refunds if r.id == refund_id)
        if refund.status != "pending":  # settled meanwhile by another run: nothing to record twice
            return Ok(detail(session, refund))
        before = detail(session, refund)
        now = ctx.now()
        refund.attempts += 1
        if outcome.status == "completed":
            try:
                _complete(session, ctx, invoice, refund, outcome.reference)
            except PrahoFailure as failure:
                return Err(failure.error)
            refund.failure_reason = None
            _project_invoice(session, ctx, invoice, refund_id)
            action = "refund.complete"
        elif outcome.status == "failed":
            refund.status, refund.failure_reason = "failed", outcome.problem
            refund.command_reference = outcome.reference
            refund.claimed_until = None
            action = "refund.fail"
        else:
            refund.failure_reason = outcome.problem
            refund.claimed_until = None
            action = "refund.attempt"
        refund.updated_at = now
        refund.version += 1
        session.add(refund)
        session.flush()
        after = detail(session, refund)
        audit.append(session, ts=now, actor=ctx.actor, action=action, entity_type="refund",
                     entity_id=str(refund_id), before=before, after=after)
        return Ok(after)

    return run_in_transaction(db, work)


def settle(db: Database, ctx: ServiceContext, refund_id: int, runner: Runner | None = None,
           *, ignore_lease: bool = True) -> Result[dict[str, Any]]:
    """Run the refund command for a pending refund and record what happened.

    ``ignore_lease`` is for the creator, which holds the lease it took at phase one.
    """
    settings = CommandSettings.of(ctx)
    if not settings.command:
        return err(ErrorCode.CONFIG, f"refund {refund_id} is pending but refunds.command is not set: set it and "
                   "run `praho refunds reconcile`")
    claimed = _claim(db, ctx, refund_id, settings, ignore_lease)
    if isinstance(claimed, Err):
        return claimed
    if claimed.value is None:
        with read_session(db) as session:
            current = repo.get(session, refund_id)
            assert current is not None
            return Ok(detail(session, current))
    public = claimed.value
    run = runner or run_refund_command
    outcome = run(settings.command, _payload(public), public["idempotency_key"], public["id"],
                  settings.timeout_seconds)
    return _record_outcome(db, ctx, refund_id, outcome)


def outcome_error(public: dict[str, Any]) -> PrahoFailure | None:
    """The error a create or reconcile reports for a refund that is not completed (None if it is)."""
    if public["status"] == "completed":
        return None
    if public["status"] == "failed":
        return PrahoFailure.of(ErrorCode.REMOTE_FAILED, f"refund {public['id']} failed: {public['failure_reason']}; "
                               "no money was moved and its amount is refundable again", Retry.RETRIABLE)
    return PrahoFailure.of(ErrorCode.REMOTE_UNAVAILABLE, f"refund {public['id']} is pending: "
                           f"{public['failure_reason'] or 'the refund command is still running'}; "
                           "run `praho refunds reconcile` to settle it", Retry.UNKNOWN)


def reconcile(db: Database, ctx: ServiceContext, *, ignore_leases: bool = False, limit: int = 1000,
              runner: Runner | None = None) -> Result[list[dict[str, Any]]]:
    """Re-run every pending refund no live process is working on, with its own idempotency key."""
    with read_session(db) as session:
        due = repo.pending_due(session, ctx.now(), ignore_leases=ignore_leases, limit=limit)
    report = []
    for refund_id, _invoice_id in due:
        settled = settle(db, ctx, refund_id, runner, ignore_lease=ignore_leases)
        if isinstance(settled, Err):
            return settled
        public = settled.value
        report.append({"id": public["id"], "invoice_number": public["invoice_number"],
                       "amount_cents": public["amount_cents"], "currency": public["currency"],
                       "status": public["status"], "credit_note_number": public["credit_note_number"],
                       "command_reference": public["command_reference"],
                       "problem": public["failure_reason"] if public["status"] != "completed" else None})
    return Ok(report)
