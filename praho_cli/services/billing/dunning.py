"""Dunning: remind customers of overdue invoices, suspend their accounts, unsuspend them once paid.

Every effect is guarded by a row that is committed before the effect happens: ``dunning_actions``
is unique per (invoice, kind), ``dunning_account_actions`` per (action, account). A run killed half
way leaves ``pending`` rows, and the next run finishes exactly those, so an account is never
suspended twice and no reminder or suspension is lost. Protected accounts are suspended like any
other (protection only refuses deletion, and dunning never deletes).

Reminders are delivered at least once: the row is committed ``pending``, the reminder goes out (a
JSON line on stderr, and the ``dunning.reminder_command`` if configured, which receives
``PRAHO_IDEMPOTENCY_KEY`` so it can drop a repeat after a crash), then the row becomes ``done``.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import accounts as account_repo
from praho_cli.ledger import audit
from praho_cli.ledger import dunning as repo
from praho_cli.ledger.dunning import OverdueInvoice
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models import Customer
from praho_cli.ledger.models.cron import DunningAccountAction, DunningAction
from praho_cli.ledger.models.hosting import HostingAccount, Server
from praho_cli.ledger.uow import read_session, transaction
from praho_cli.result import Err, ErrorCode, PrahoError, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.virtualmin.client import VirtualminClient

ClientProvider = Callable[[Server], VirtualminClient]
Notify = Callable[[dict[str, Any]], None]
REASON_PREFIX = "dunning: invoice "
SETTLED = ("paid", "cancelled", "partially_refunded", "refunded")  # nothing more is owed


@dataclass
class DunningReport:
    as_of: str
    reminders: int = 0
    suspended_accounts: int = 0
    unsuspended_accounts: int = 0
    failures: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        return {"as_of": self.as_of, "reminders": self.reminders, "suspended_accounts": self.suspended_accounts,
                "unsuspended_accounts": self.unsuspended_accounts, "failed": len(self.failures)}


@dataclass(frozen=True)
class _Claimed:
    id: int
    run_id: str  # the run that first recorded it: another run's id means it was interrupted


def _claim_action(db: Database, ctx: ServiceContext, invoice: OverdueInvoice, kind: str,
                  days: int) -> _Claimed | None:
    """The action row for (invoice, kind), inserted pending if new; None when it is already done."""
    def work(session: Session) -> _Claimed | None:
        existing = repo.action(session, invoice.id, kind)
        if existing is not None:
            return None if existing.status == "done" else _Claimed(existing.id or 0, existing.run_id)
        now = ctx.now()
        row = DunningAction(invoice_id=invoice.id, customer_id=invoice.customer_id, kind=kind, status="pending",
                            days_overdue=days, run_id=ctx.run_id, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        claimed = _Claimed(row.id or 0, row.run_id)
        audit.append(session, ts=now, actor=ctx.actor, action=f"dunning.{kind}", entity_type="invoice",
                     entity_id=str(invoice.id), after={"invoice": invoice.number, "days_overdue": days})
        return claimed

    # A concurrent insert of the same (invoice, kind) fails the unique constraint; the unit of work
    # replays and then finds the row.
    return transaction(db, work)


def _set_action(db: Database, ctx: ServiceContext, action_id: int, status: str, detail: str | None) -> None:
    def work(session: Session) -> None:
        row = session.get(DunningAction, action_id)
        if row is not None:
            row.status, row.detail, row.updated_at = status, (detail or None) and detail[:1000], ctx.now()
            session.add(row)

    transaction(db, work)


@returns_result
def run_dunning(
    db: Database, ctx: ServiceContext, clients: ClientProvider, notify: Notify | None = None
) -> DunningReport:
    today = ctx.today()
    remind_after = int(ctx.setting("dunning.reminder_after_days") or 3)
    suspend_after = int(ctx.setting("dunning.suspend_after_days") or 15)
    report = DunningReport(as_of=today.isoformat())
    with read_session(db) as session:
        overdue = repo.overdue_invoices(session)
    for invoice in overdue:
        days = (today - invoice.due_date).days
        if days >= remind_after:
            _remind(db, ctx, invoice, days, notify, report)
        if days >= suspend_after:
            _suspend(db, ctx, clients, invoice, days, report)
    _unsuspend_paid(db, ctx, clients, today, suspend_after, report)
    return report


# --------------------------------------------------------------------------- reminders


def _remind(db: Database, ctx: ServiceContext, invoice: OverdueInvoice, days: int, notify: Notify | None,
            report: DunningReport) -> None:
    action = _claim_action(db, ctx, invoice, "reminder", days)
    if action is None:
        return
    with read_session(db) as session:
        customer = session.get(Customer, invoice.customer_id)
        name, email = (customer.name, customer.email) if customer else (None, None)
    payload = {
        "event": "dunning.reminder", "invoice_id": str(invoice.id), "invoice": invoice.number,
        "customer_id": str(invoice.customer_id), "customer_name": name, "customer_email": email,
        "due_date": invoice.due_date.isoformat(),
        "days_overdue": days, "balance_cents": invoice.balance_minor, "currency": invoice.currency,
        "idempotency_key": f"dunning-reminder-{invoice.id}",
    }
    if notify is not None:
        notify(payload)
    failure = _run_reminder_command(ctx, payload)
    if failure:
        report.failures.append(f"reminder for {invoice.number}: {failure}")
        _set_action(db, ctx, action.id, "failed", failure)
        return
    _set_action(db, ctx, action.id, "done", None)
    report.reminders += 1


def _run_reminder_command(ctx: ServiceContext, payload: dict[str, Any]) -> str | None:
    command = str(ctx.setting("dunning.reminder_command") or "").strip()
    if not command:
        return None
    timeout = int(ctx.setting("dunning.command_timeout_seconds") or 60)
    try:
        done = subprocess.run(
            shlex.split(command), input=json.dumps(payload), text=True, capture_output=True, timeout=timeout,
            env={**os.environ, "PRAHO_IDEMPOTENCY_KEY": payload["idempotency_key"]}, check=False,
        )
    except subprocess.TimeoutExpired:
        return f"reminder command timed out after {timeout} s"
    except OSError as exc:
        return f"reminder command could not start: {exc.strerror or type(exc).__name__}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [""])[-1][:200]
        return f"reminder command exited {done.returncode}" + (f": {last}" if last else "")
    return None


# --------------------------------------------------------------------------- suspension


def _targets(db: Database, ctx: ServiceContext, action_id: int, customer_id: int) -> list[tuple[int, int, str]]:
    """(account action id, account id, domain) still to do: every account action not done, after
    recording a pending one for each active account of the customer that has none."""
    def work(session: Session) -> list[tuple[int, int, str]]:
        now = ctx.now()
        for account in account_repo.iter_accounts(session, customer_id=customer_id, status="active"):
            if repo.account_action(session, action_id, account.id or 0) is None:
                session.add(DunningAccountAction(action_id=action_id, account_id=account.id or 0,
                                                 domain=account.domain, status="pending", created_at=now,
                                                 updated_at=now))
        session.flush()
        return [(r.id or 0, r.account_id, r.domain) for r in repo.account_actions(session, action_id, done=False)]

    return transaction(db, work)


def _set_account_action(db: Database, ctx: ServiceContext, row_id: int, status: str, error: str | None) -> None:
    def work(session: Session) -> None:
        row = session.get(DunningAccountAction, row_id)
        if row is not None:
            row.status, row.error, row.updated_at = status, error and error[:1000], ctx.now()
            session.add(row)

    transaction(db, work)


def _release_dead_claim(db: Database, ctx: ServiceContext, account_id: int, op: str) -> None:
    """Clear a claim left by a run that died between its remote call and recording the outcome.

    Only called for an account whose dunning row is still pending from an earlier run: that run held
    the cron lock, which this run holds now, so the claim's owner is gone. The remote call that
    follows is idempotent (an already disabled domain counts as done), so nothing happens twice.
    """
    def work(session: Session) -> None:
        account = session.get(HostingAccount, account_id)
        if account is not None and account.pending_op == op:
            account_repo.update_account_if_version(session, account_id, account.version, {"pending_op": None})

    transaction(db, work)


def _suspend(db: Database, ctx: ServiceContext, clients: ClientProvider, invoice: OverdueInvoice, days: int,
             report: DunningReport) -> None:
    from praho_cli.services.hosting import lifecycle

    action = _claim_action(db, ctx, invoice, "suspension", days)
    if action is None:
        return
    reason = f"{REASON_PREFIX}{invoice.number} overdue {days} days"
    failed = False
    for row_id, account_id, domain in _targets(db, ctx, action.id, invoice.customer_id):
        if action.run_id != ctx.run_id:
            _release_dead_claim(db, ctx, account_id, "suspend")
        with read_session(db) as session:
            account = session.get(HostingAccount, account_id)
            status = account.status if account else None
        if status is None or status not in ("active", "suspended"):
            _set_account_action(db, ctx, row_id, "done", f"account is {status or 'gone'}: nothing to suspend")
            continue
        result = lifecycle.suspend(db, ctx, clients, str(account_id), reason)
        if isinstance(result, Err):
            failed = True
            report.failures.append(f"suspend {domain}: {result.error.message}")
            _set_account_action(db, ctx, row_id, "failed", result.error.message)
            continue
        _set_account_action(db, ctx, row_id, "done", None)
        if status == "active":
            report.suspended_accounts += 1
    _set_action(db, ctx, action.id, "pending" if failed else "done", None)


# --------------------------------------------------------------------------- unsuspension


def _unsuspend_paid(db: Database, ctx: ServiceContext, clients: ClientProvider, today: date, suspend_after: int,
                    report: DunningReport) -> None:
    from praho_cli.services.hosting import lifecycle

    with read_session(db) as session:
        settled = [(a.id or 0, a.customer_id, OverdueInvoice(d.id or 0, d.number_text or str(d.id), d.customer_id,
                                                              d.due_date or today, d.status, 0, d.currency))
                   for a, d in repo.settled_suspensions(session, SETTLED)]
        still_overdue = {i.customer_id for i in repo.overdue_invoices(session)
                         if (today - i.due_date).days >= suspend_after}
    for suspension_id, customer_id, invoice in settled:
        if customer_id in still_overdue:
            continue  # another invoice keeps the accounts suspended
        action = _claim_action(db, ctx, invoice, "unsuspension", 0)
        if action is None:
            continue
        with read_session(db) as session:
            suspended = [(r.account_id, r.domain) for r in repo.account_actions(session, suspension_id, done=True)]
        failed = False
        prefix = f"{REASON_PREFIX}{invoice.number} "
        for account_id, domain in suspended:
            if action.run_id != ctx.run_id:
                _release_dead_claim(db, ctx, account_id, "unsuspend")
            with read_session(db) as session:
                account = session.get(HostingAccount, account_id)
                ours = (account is not None and account.status == "suspended"
                        and (account.suspend_reason or "").startswith(prefix))
            if not ours:
                continue  # gone, already active, or suspended since for another reason: leave it
            result = lifecycle.unsuspend(db, ctx, clients, str(account_id))
            if isinstance(result, Err):
                failed = True
                report.failures.append(f"unsuspend {domain}: {result.error.message}")
                continue
            report.unsuspended_accounts += 1
        _set_action(db, ctx, action.id, "pending" if failed else "done", None)


def failure_error(report: DunningReport) -> PrahoError | None:
    if not report.failures:
        return None
    return PrahoError(ErrorCode.PARTIAL, f"{len(report.failures)} dunning step(s) failed: "
                      + "; ".join(report.failures[:3]))
