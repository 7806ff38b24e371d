"""Dunning queries: the overdue invoices, the action rows that guard every reminder, suspension and
unsuspension, and the per-account rows of a suspension."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from praho_cli.ledger import document_list
from praho_cli.ledger.models.billing import BillingDocument
from praho_cli.ledger.models.cron import DunningAccountAction, DunningAction


@dataclass(frozen=True)
class OverdueInvoice:
    id: int
    number: str
    customer_id: int
    due_date: date
    status: str
    balance_minor: int
    currency: str


def _overdue_of(row: dict[str, Any]) -> OverdueInvoice:
    return OverdueInvoice(int(row["id"]), str(row["number"] or row["id"]), int(row["customer_id"]),
                          date.fromisoformat(str(row["due_date"])[:10]), str(row["status"]),
                          int(row["balance_cents"]), str(row["currency"]))


def overdue_invoices(session: Session) -> list[OverdueInvoice]:
    """Invoices in ``overdue`` status with a due date, by id, with their balance as every list shows it
    (the invoice list's own query)."""
    rows = document_list.documents(session, document_list.DocumentQuery(kind="invoice", status="overdue"))
    return [_overdue_of(row) for row in rows if row["due_date"] is not None]


def action(session: Session, invoice_id: int, kind: str) -> DunningAction | None:
    stmt = select(DunningAction).where(col(DunningAction.invoice_id) == invoice_id, col(DunningAction.kind) == kind)
    return session.execute(stmt).scalars().first()


def account_action(session: Session, action_id: int, account_id: int) -> DunningAccountAction | None:
    stmt = select(DunningAccountAction).where(col(DunningAccountAction.action_id) == action_id,
                                              col(DunningAccountAction.account_id) == account_id)
    return session.execute(stmt).scalars().first()


def account_actions(session: Session, action_id: int, *, done: bool) -> list[DunningAccountAction]:
    """The account rows of an action that are done (``done``) or not yet done, by id."""
    status = col(DunningAccountAction.status)
    stmt = select(DunningAccountAction).where(col(DunningAccountAction.action_id) == action_id,
                                              status == "done" if done else status != "done")
    return list(session.execute(stmt.order_by(col(DunningAccountAction.id))).scalars())


def settled_suspensions(session: Session, settled: Sequence[str]) -> list[tuple[DunningAction, BillingDocument]]:
    """Each suspension whose invoice is now in one of the ``settled`` statuses, with the invoice."""
    stmt = (select(DunningAction, BillingDocument)
            .join(BillingDocument, col(BillingDocument.id) == DunningAction.invoice_id)
            .where(col(DunningAction.kind) == "suspension", col(BillingDocument.status).in_(settled)))
    return [(a, d) for a, d in session.execute(stmt).all()]
