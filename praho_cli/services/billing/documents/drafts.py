"""Drafts: create one, add and remove lines (each change reprices it), delete it.

A document is a draft (no number, editable, deletable) until it is issued; issued documents are
never deleted or edited, corrections are credit notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session

from praho_cli.billing.numbering import DocumentKind
from praho_cli.ledger import audit
from praho_cli.ledger import documents as ledger
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.money import normalize_currency
from praho_cli.result import ErrorCode, fail, returns_result
from praho_cli.services.billing import series as series_service
from praho_cli.services.billing.customers import find_customer
from praho_cli.services.billing.documents.detail import detail
from praho_cli.services.billing.documents.lines import MAX_LINES, AmountLimits, line_inputs, parse_line
from praho_cli.services.billing.documents.lookup import kind_label, lock_document
from praho_cli.services.billing.documents.pricing import reprice, rounding
from praho_cli.services.context import ServiceContext


@dataclass(frozen=True)
class DraftInput:
    customer: str
    currency: str | None = None
    tax_point: date | None = None
    due_days: int | None = None
    series: str | None = None
    lines: tuple[str, ...] = ()


@returns_result
def create_draft(session: Session, ctx: ServiceContext, kind: DocumentKind, data: DraftInput) -> dict[str, Any]:
    customer = find_customer(session, data.customer).unwrap()
    currency = normalize_currency(data.currency or customer.currency or ctx.default_currency)
    if data.due_days is not None and not 0 <= data.due_days <= 3650:
        raise fail(ErrorCode.INVALID, "--due-days must be between 0 and 3650")
    if len(data.lines) > MAX_LINES:
        raise fail(ErrorCode.INVALID, f"at most {MAX_LINES} lines")
    limits = AmountLimits.of(ctx, currency)
    lines = [parse_line(text, currency, kind, limits) for text in data.lines]
    series = series_service.series_for_new_document(session, ctx, kind, data.series).unwrap()
    now = ctx.now()
    document = BillingDocument(
        kind=kind.value, status="draft", series_id=series.id or 0, customer_id=customer.id or 0,
        currency=currency, tax_point=data.tax_point, due_days=data.due_days, rounding=rounding(ctx),
        created_at=now, updated_at=now,
    )
    session.add(document)
    session.flush()
    reprice(session, ctx, document, lines)
    public = detail(session, document)
    audit.append(session, ts=now, actor=ctx.actor, action=f"{kind.value}.create", entity_type=kind.value,
                 entity_id=public["id"], after=public)
    return public


def require_draft(document: BillingDocument, ref: str) -> None:
    if document.status != "draft":
        raise fail(ErrorCode.INELIGIBLE, f"{kind_label(DocumentKind(document.kind))} {document.number_text or ref} "
                   f"is {document.status}: only drafts can be changed (issued documents are corrected "
                   "by credit notes)")


def _editable(session: Session, kind: DocumentKind, ref: str) -> BillingDocument:
    document = lock_document(session, kind, ref)[0]
    require_draft(document, ref)
    return document


@returns_result
def add_line(session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str, line: str) -> dict[str, Any]:
    document = _editable(session, kind, ref)
    lines = line_inputs(session, document)
    if len(lines) >= MAX_LINES:
        raise fail(ErrorCode.INVALID, f"at most {MAX_LINES} lines")
    lines.append(parse_line(line, document.currency, kind, AmountLimits.of(ctx, document.currency)))
    reprice(session, ctx, document, lines)
    public = detail(session, document)
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action=f"{kind.value}.add_line", entity_type=kind.value,
                 entity_id=public["id"], after=public["lines"][-1])
    return public


@returns_result
def remove_line(session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str, position: int) -> dict[str, Any]:
    document = _editable(session, kind, ref)
    lines = line_inputs(session, document)
    if not 1 <= position <= len(lines):
        raise fail(ErrorCode.NOT_FOUND, f"no line {position} (the draft has {len(lines)})")
    removed = lines.pop(position - 1)
    reprice(session, ctx, document, lines)
    public = detail(session, document)
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action=f"{kind.value}.remove_line",
                 entity_type=kind.value, entity_id=public["id"],
                 before={"position": position, "description": removed.description})
    return public


@returns_result
def delete_draft(session: Session, ctx: ServiceContext, kind: DocumentKind, ref: str) -> dict[str, Any]:
    document = _editable(session, kind, ref)
    before = detail(session, document)
    ledger.delete_lines(session, document.id)
    session.delete(document)
    session.flush()
    audit.append(session, ts=ctx.now(), actor=ctx.actor, action=f"{kind.value}.delete", entity_type=kind.value,
                 entity_id=before["id"], before=before)
    return before
