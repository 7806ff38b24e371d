"""Phase one of a refund (`refunds create`): decide under the invoice lock, reserve the amount, and
complete at once when no refund command is configured; and the same checks as a dry run."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import audit
from praho_cli.ledger import refunds as repo
from praho_cli.ledger.models.billing import BillingDocument, Payment
from praho_cli.ledger.models.refunds import Refund, RefundAllocation
from praho_cli.money import parse_amount
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing.documents.issuing import require_seller
from praho_cli.services.billing.documents.lookup import find_document
from praho_cli.services.billing.refunds.command import LEASE_GRACE_SECONDS, CommandSettings
from praho_cli.services.billing.refunds.completion import complete, project_invoice
from praho_cli.services.billing.refunds.credit_note import credit_note_lines
from praho_cli.services.billing.refunds.eligibility import label, max_refundable, money_text, refusal
from praho_cli.services.billing.refunds.records import MAX_REASON, METHODS, RefundInput
from praho_cli.services.billing.refunds.view import detail
from praho_cli.services.context import ServiceContext
from praho_cli.services.idempotency import idempotent


@dataclass(frozen=True)
class _Decision:
    invoice: BillingDocument
    money: repo.InvoiceMoney
    amount_minor: int
    kind: str
    allocations: list[tuple[Payment, int]]


def _check_input(data: RefundInput) -> None:
    if data.full == (data.amount is not None):
        raise fail(ErrorCode.INVALID, "give exactly one of --full or --amount")
    if data.method not in METHODS:
        raise fail(ErrorCode.INVALID, f"method: must be one of {', '.join(METHODS)}, not {data.method!r}")
    if not data.reason.strip():
        raise fail(ErrorCode.INVALID, "reason: must not be empty (say why the money is given back)")
    if len(data.reason.strip()) > MAX_REASON:
        raise fail(ErrorCode.INVALID, f"reason: at most {MAX_REASON} characters")


def _check_before_money_moves(data: RefundInput, ctx: ServiceContext) -> None:
    """The input, then the seller: the credit note issued when the refund completes must name the
    seller, and a refund whose money went back must never be stuck without its credit note."""
    _check_input(data)
    require_seller(ctx)


def _decide(session: Session, data: RefundInput, *, lock: bool) -> _Decision:
    invoice = find_document(session, DocumentKind.INVOICE, data.invoice, lock=lock).unwrap()
    amount_minor = None
    if data.amount is not None:
        amount = parse_amount(data.amount, invoice.currency)
        if amount.currency != invoice.currency:
            raise fail(ErrorCode.INVALID, f"refund in {amount.currency} of a {invoice.currency} invoice: "
                       "the currency must match")
        if amount.minor <= 0:
            raise fail(ErrorCode.INVALID, "amount: must be more than zero")
        amount_minor = amount.minor
    money = repo.invoice_money(session, invoice, lock=lock)
    problem = refusal(invoice, money)
    if problem:
        raise problem
    remaining = max_refundable(invoice, money)
    currency = invoice.currency
    if amount_minor is None:
        amount_minor = remaining
    elif amount_minor > remaining:
        raise fail(ErrorCode.INELIGIBLE, f"Cannot refund {money_text(amount_minor, currency)} on invoice "
                   f"{label(invoice)}: the maximum refundable is {money_text(remaining, currency)} (paid "
                   f"{money_text(invoice.paid_minor, currency)}, refunded or pending "
                   f"{money_text(invoice.paid_minor - remaining, currency)})",
                   max_refundable_cents=remaining, amount_cents=amount_minor)
    kind = "full" if amount_minor == remaining else "partial"
    return _Decision(invoice, money, amount_minor, kind, _allocate(session, money, amount_minor))


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


def _create_locked(session: Session, ctx: ServiceContext, data: RefundInput, key: str,
                   settings: CommandSettings) -> dict[str, Any]:
    d = _decide(session, data, lock=True)
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
                                                        remaining=max_refundable(d.invoice, d.money) - d.amount_minor),
                 proves=refund)
    if not by_command:
        complete(session, ctx, d.invoice, refund, None)
        project_invoice(session, ctx, d.invoice, refund.id or 0)
        audit.append(session, ts=now, actor=ctx.actor, action="refund.complete", entity_type="refund",
                     entity_id=str(refund.id), after=detail(session, refund, allocations=allocations))
    return detail(session, refund, allocations=allocations)


@returns_result
def create_refund(
    session: Session, ctx: ServiceContext, data: RefundInput, idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Phase one: record the refund (pending with a command, completed without) under the invoice lock.

    Returns the refund plus ``replayed`` (True when the idempotency key returned an earlier refund).
    """
    _check_before_money_moves(data, ctx)
    settings = CommandSettings.of(ctx)
    key = idempotency_key if idempotency_key is not None else f"praho-refund-{uuid.uuid4().hex}"
    params = {"invoice": data.invoice.strip(), "full": data.full,
              "amount": data.amount.strip() if data.amount else None, "method": data.method,
              "reason": data.reason.strip()}
    created: list[bool] = []

    def work() -> dict[str, Any]:
        created.append(True)
        return _create_locked(session, ctx, data, key, settings)

    stored = idempotent(session, ctx, idempotency_key, "refunds.create", params, work).unwrap()
    refund = repo.get(session, int(stored["id"]))
    if refund is None:  # pragma: no cover - the stored key commits with its refund
        raise fail(ErrorCode.INTERNAL, "idempotency key points to a missing refund")
    return {**detail(session, refund), "replayed": not created}


@returns_result
def plan_refund(session: Session, ctx: ServiceContext, data: RefundInput) -> dict[str, Any]:
    """What `refunds create` would do (--dry-run): the same checks and credit note, nothing written."""
    _check_before_money_moves(data, ctx)
    d = _decide(session, data, lock=False)
    now = ctx.now()
    settings = CommandSettings.of(ctx)
    refund = Refund(invoice_id=d.invoice.id or 0, customer_id=d.invoice.customer_id, kind=d.kind,
                    status="pending" if settings.command else "completed", amount_minor=d.amount_minor,
                    currency=d.invoice.currency, method=data.method, reason=data.reason.strip(),
                    idempotency_key="", settled_by="command" if settings.command else "outside",
                    created_at=now, updated_at=now)
    allocations = [RefundAllocation(refund_id=0, payment_id=p.id or 0, amount_minor=part) for p, part in d.allocations]
    lines = credit_note_lines(session, d.invoice, d.amount_minor)
    return detail(session, refund, allocations=allocations, preview=lines,
                  remaining=max_refundable(d.invoice, d.money) - d.amount_minor)
