"""Phase two of a refund: take its lease, run the refund command, record the outcome; and
`refunds reconcile`, which does the same for every pending refund no live process is working on."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import audit
from praho_cli.ledger import refunds as repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.uow import read_session, transaction
from praho_cli.result import ErrorCode, PrahoFailure, Retry, fail, returns_result
from praho_cli.services.billing.refunds.command import (
    LEASE_GRACE_SECONDS,
    CommandOutcome,
    CommandSettings,
    Runner,
    run_refund_command,
)
from praho_cli.services.billing.refunds.completion import complete, project_invoice
from praho_cli.services.billing.refunds.view import detail
from praho_cli.services.context import ServiceContext

STDERR_NOTE = "the command's stderr is in the error's details (--verbose)"


@dataclass(frozen=True)
class Attempt:
    """A refund after :func:`settle`, and the refund command's stderr if it ran and did not complete
    (its tail, secrets redacted; reported in an error's details, never stored)."""

    refund: dict[str, Any]
    stderr: str | None = None


@dataclass(frozen=True)
class Reconciled:
    """What `refunds reconcile` did: one row per pending refund, and the stderr of each refund
    command that ran and did not complete, by refund id."""

    rows: list[dict[str, Any]]
    stderr: dict[str, str] = field(default_factory=dict)


def _payload(public: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "invoice_id", "invoice_number", "invoice_issue_date", "customer_id", "kind", "amount_cents",
            "currency", "method", "reason", "idempotency_key", "allocations", "created_at")
    return {k: public[k] for k in keys}


def _claim(db: Database, ctx: ServiceContext, refund_id: int, settings: CommandSettings,
           ignore_lease: bool) -> dict[str, Any] | None:
    """Take the refund's lease (invoice lock first, per the lock order); None if not ours to run."""
    def work(session: Session) -> dict[str, Any] | None:
        peek = repo.get(session, refund_id)
        if peek is None:
            raise fail(ErrorCode.NOT_FOUND, f"no refund {refund_id}")
        repo.lock_invoice(session, peek.invoice_id)
        refund = repo.lock_refund(session, refund_id)
        assert refund is not None
        now = ctx.now()
        if refund.status != "pending":
            return None
        if not ignore_lease and refund.claimed_until is not None and refund.claimed_until >= now:
            return None
        refund.claimed_until = now + timedelta(seconds=settings.timeout_seconds + LEASE_GRACE_SECONDS)
        refund.updated_at = now
        refund.version += 1
        session.add(refund)
        session.flush()
        return detail(session, refund)

    return transaction(db, work)


def _record_outcome(db: Database, ctx: ServiceContext, refund_id: int, outcome: CommandOutcome) -> dict[str, Any]:
    def work(session: Session) -> dict[str, Any]:
        peek = repo.get(session, refund_id)
        if peek is None:
            raise fail(ErrorCode.NOT_FOUND, f"no refund {refund_id}")
        invoice = repo.lock_invoice(session, peek.invoice_id)
        assert invoice is not None
        money = repo.invoice_money(session, invoice, lock=True)
        refund = next(r for r in money.refunds if r.id == refund_id)
        if refund.status != "pending":  # settled meanwhile by another run: nothing to record twice
            return detail(session, refund)
        before = detail(session, refund)
        now = ctx.now()
        refund.attempts += 1
        if outcome.status == "completed":
            complete(session, ctx, invoice, refund, outcome.reference)
            refund.failure_reason = None
            project_invoice(session, ctx, invoice, refund_id)
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
        return after

    return transaction(db, work)


@returns_result
def settle(db: Database, ctx: ServiceContext, refund_id: int, runner: Runner | None = None,
           *, ignore_lease: bool = True) -> Attempt:
    """Run the refund command for a pending refund and record what happened.

    ``ignore_lease`` is for the creator, which holds the lease it took at phase one.
    """
    settings = CommandSettings.of(ctx)
    if not settings.command:
        raise fail(ErrorCode.CONFIG, f"refund {refund_id} is pending but refunds.command is not set: set it and "
                   "run `praho refunds reconcile`")
    public = _claim(db, ctx, refund_id, settings, ignore_lease)
    if public is None:
        with read_session(db) as session:
            current = repo.get(session, refund_id)
            assert current is not None
            return Attempt(detail(session, current))
    run = runner or run_refund_command
    outcome = run(settings.command, _payload(public), public["idempotency_key"], public["id"],
                  settings.timeout_seconds)
    return Attempt(_record_outcome(db, ctx, refund_id, outcome), outcome.stderr)


def outcome_error(public: dict[str, Any], stderr: str | None = None) -> PrahoFailure | None:
    """The error a create reports for a refund that is not completed (None if it is); the refund
    command's ``stderr`` goes into its details, and the message says so."""
    if public["status"] == "completed":
        return None
    note = f"; {STDERR_NOTE}" if stderr else ""
    details = {"refund_id": public["id"], "command_stderr": stderr} if stderr else {}
    if public["status"] == "failed":
        return fail(ErrorCode.REMOTE_FAILED, f"refund {public['id']} failed: {public['failure_reason']}; "
                    f"no money was moved and its amount is refundable again{note}", Retry.RETRIABLE, **details)
    return fail(ErrorCode.REMOTE_UNAVAILABLE, f"refund {public['id']} is pending: "
                f"{public['failure_reason'] or 'the refund command is still running'}; "
                f"run `praho refunds reconcile` to settle it{note}", Retry.UNKNOWN, **details)


@returns_result
def reconcile(db: Database, ctx: ServiceContext, *, ignore_leases: bool = False, limit: int = 1000,
              runner: Runner | None = None) -> Reconciled:
    """Re-run every pending refund no live process is working on, with its own idempotency key."""
    with read_session(db) as session:
        due = repo.pending_due(session, ctx.now(), ignore_leases=ignore_leases, limit=limit)
    report = Reconciled([])
    for refund_id, _invoice_id in due:
        attempt = settle(db, ctx, refund_id, runner, ignore_lease=ignore_leases).unwrap()
        public = attempt.refund
        if attempt.stderr and public["status"] != "completed":
            report.stderr[public["id"]] = attempt.stderr
        report.rows.append({"id": public["id"], "invoice_number": public["invoice_number"],
                            "amount_cents": public["amount_cents"], "currency": public["currency"],
                            "status": public["status"], "credit_note_number": public["credit_note_number"],
                            "command_reference": public["command_reference"],
                            "problem": public["failure_reason"] if public["status"] != "completed" else None})
    return report
