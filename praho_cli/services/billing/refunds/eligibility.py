"""What can still be refunded on an invoice, and why an invoice cannot be refunded (`refunds eligibility`)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import refunds as repo
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.money import format_minor
from praho_cli.result import ErrorCode, PrahoFailure, fail, returns_result
from praho_cli.services.billing.documents.lookup import find_document

REFUNDABLE_STATUSES = ("issued", "partially_paid", "paid", "overdue", "partially_refunded", "refunded")


def money_text(minor: int, currency: str) -> str:
    return f"{format_minor(minor, currency)} {currency}"


def label(invoice: BillingDocument) -> str:
    return invoice.number_text or str(invoice.id)


def max_refundable(invoice: BillingDocument, money: repo.InvoiceMoney) -> int:
    """Paid minus what pending and completed refunds already give back."""
    return max(invoice.paid_minor - money.completed_minor - money.pending_minor, 0)


def refusal(invoice: BillingDocument, money: repo.InvoiceMoney) -> PrahoFailure | None:
    """Why no refund can be created on the invoice now (None when one can)."""
    name, currency = label(invoice), invoice.currency
    if invoice.status not in REFUNDABLE_STATUSES:
        return fail(ErrorCode.INELIGIBLE, f"Cannot refund invoice {name} in '{invoice.status}' status",
                    status=invoice.status, max_refundable_cents=0)
    if invoice.paid_minor <= 0:
        return fail(ErrorCode.INELIGIBLE, f"Cannot refund invoice {name}: nothing was paid on it "
                    f"('{invoice.status}' status, remaining 0.00 {currency})", status=invoice.status,
                    max_refundable_cents=0)
    remaining = max_refundable(invoice, money)
    if remaining == 0:
        if money.completed_minor >= invoice.paid_minor:
            return fail(ErrorCode.INELIGIBLE, f"Invoice {name} is already fully refunded: remaining "
                        f"{money_text(0, currency)}", max_refundable_cents=0)
        return fail(ErrorCode.INELIGIBLE, f"Invoice {name} has nothing left to refund: remaining "
                    f"{money_text(0, currency)} (pending refunds reserve {money_text(money.pending_minor, currency)})",
                    max_refundable_cents=0)
    return None


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


@returns_result
def eligibility(session: Session, ref: str) -> dict[str, Any]:
    invoice = find_document(session, DocumentKind.INVOICE, ref).unwrap()
    money = repo.invoice_money(session, invoice, lock=False)
    problem = refusal(invoice, money)
    remaining = 0 if problem else max_refundable(invoice, money)
    currency = invoice.currency
    reason = problem.error.message if problem else (
        f"up to {money_text(remaining, currency)} can be refunded "
        f"(paid {money_text(invoice.paid_minor, currency)}, refunded "
        f"{money_text(money.completed_minor, currency)}, pending {money_text(money.pending_minor, currency)})")
    return {
        "invoice_number": label(invoice), "invoice_status": invoice.status, "eligible": problem is None,
        "reason": reason, "currency": currency, "total_cents": invoice.total_minor,
        "paid_cents": invoice.paid_minor, "refunded_cents": money.completed_minor,
        "pending_cents": money.pending_minor, "max_refundable_cents": remaining,
        "payments": _payment_states(session, money),
    }
