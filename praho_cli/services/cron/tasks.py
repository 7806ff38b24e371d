"""The tasks of a cron run, each a function of (database, context, hooks) returning what it did
(counts per kind of work) and the problem that fails it, if any."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from praho_cli.ledger.engine import Database
from praho_cli.ledger.uow import run_in_transaction
from praho_cli.result import Err, ErrorCode, PrahoError
from praho_cli.services.context import ServiceContext
from praho_cli.services.cron.records import TASKS

if TYPE_CHECKING:
    from praho_cli.services.cron.runner import CronHooks

__all__ = ["TASKS", "TASK_FUNCTIONS"]  # TASKS: the names, in order

TaskOutcome = tuple[dict[str, Any], PrahoError | None]  # what it did, and the problem that fails it


def _servers_check(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services.hosting import checks

    checked = checks.check_servers(db, ctx, hooks.clients, [], True).unwrap()
    failing = [r["server"] for r in checked if not r["ok"]]
    counts = {"servers": len(checked), "failing": len(failing)}
    problem = PrahoError(ErrorCode.PARTIAL, f"{len(failing)} server(s) failing: {', '.join(failing)}") if failing \
        else None
    return counts, problem


def _jobs_resume(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services.hosting import provisioning

    jobs = provisioning.resumable_jobs(db, ctx).unwrap()  # unknown, or pending/running with its process gone
    counts = {"jobs": len(jobs), "succeeded": 0, "failed": 0, "waiting": 0, "errors": 0}
    errors: list[str] = []
    for ref in jobs:
        resumed = provisioning.resume_job(db, ctx, hooks.clients, ref)
        if isinstance(resumed, Err) and resumed.error.details.get("retry_after"):
            counts["waiting"] += 1  # absent so far, and a create may still be running: a later run settles it
        elif isinstance(resumed, Err):
            counts["errors"] += 1
            errors.append(f"job {ref}: {resumed.error.message}")
        elif resumed.value["status"] == "succeeded":
            counts["succeeded"] += 1
        else:
            counts["failed"] += 1
    problem = PrahoError(ErrorCode.PARTIAL, "; ".join(errors[:3])) if errors else None
    return counts, problem


def _invoices_overdue(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services.billing.documents import overdue

    marked = run_in_transaction(db, lambda s: overdue.mark_overdue(s, ctx)).unwrap()
    return {"marked": marked["marked"], "already_overdue": marked["already_overdue"]}, None


def _dunning(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services.billing import dunning

    ran = dunning.run_dunning(db, ctx, hooks.clients, hooks.notify).unwrap()
    return ran.counts(), dunning.failure_error(ran)


def _drift_scan(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.ledger import locks
    from praho_cli.services.drift.scan import scan

    with locks.acquire(db, "drift-scan", ctx.run_id, clock=ctx.now):
        report = scan(db, ctx, hooks.clients).unwrap()
    counts = {"servers": report.servers, "found": len(report.drifts), "new": report.new, "closed": report.closed,
              "unreachable": len(report.unreachable)}
    problem = PrahoError(ErrorCode.REMOTE_UNAVAILABLE, f"could not read {', '.join(report.unreachable)}") \
        if report.unreachable else None
    return counts, problem


TASK_FUNCTIONS: dict[str, Callable[[Database, ServiceContext, CronHooks], TaskOutcome]] = {
    "servers-check": _servers_check,
    "jobs-resume": _jobs_resume,
    "invoices-overdue": _invoices_overdue,
    "dunning": _dunning,
    "drift-scan": _drift_scan,
}
