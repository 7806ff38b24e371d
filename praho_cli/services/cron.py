"""Cron: one entry point that runs the scheduled work under a run lock and records every run.

``run_cron`` takes the ``cron`` run lock (PostgreSQL advisory lock or SQLite lease), marks any run
still recorded as running as ``interrupted`` (it held this lock, so it is dead), then runs the tasks
in order, each in isolation: a task that fails, or raises, is recorded and the next one still runs.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.cron import CronRun, CronTaskRun
from praho_cli.ledger.models.hosting import Server
from praho_cli.ledger.uow import run_in_transaction
from praho_cli.records import Field, RecordType
from praho_cli.result import Err, ErrorCode, Ok, PrahoError, PrahoFailure, Result, err
from praho_cli.services.context import ServiceContext
from praho_cli.virtualmin.client import VirtualminClient

TASKS = ("servers-check", "jobs-resume", "invoices-overdue", "dunning", "drift-scan")
LOCK_NAME = "cron"

TASK_RUN = RecordType(
    name="cron_task",
    title="Cron task run",
    description="The outcome of one task of one `cron run`.",
    fields=(
        Field("run_id", "string", "The cron run."),
        Field("task", "string", "Task name.", enum=TASKS),
        Field("status", "string", "succeeded, failed, running or interrupted (the run was killed).",
              enum=("running", "succeeded", "failed", "interrupted")),
        Field("counts", "object", "What the task did (numbers per kind of work)."),
        Field("error", "string|null", "Why it failed."),
        Field("started_at", "string", "Start (UTC).", format="date-time"),
        Field("finished_at", "string|null", "End (UTC).", table=False, format="date-time"),
    ),
)

RUN = RecordType(
    name="cron_run",
    title="Cron run",
    description="One `cron run`: when, where, and its outcome.",
    fields=(
        Field("run_id", "string", "Run id (also in the JSON log lines)."),
        Field("status", "string", "running, succeeded, failed or interrupted.",
              enum=("running", "succeeded", "failed", "interrupted")),
        Field("exit_code", "integer|null", "Exit status of the run (0 or 6)."),
        Field("tasks", "array", "Tasks chosen for the run."),
        Field("host", "string", "Host that ran it.", table=False),
        Field("pid", "integer", "Process id.", table=False),
        Field("error", "string|null", "Why it did not finish.", table=False),
        Field("started_at", "string", "Start (UTC).", format="date-time"),
        Field("finished_at", "string|null", "End (UTC).", format="date-time"),
    ),
)

TASK_STATUS = RecordType(
    name="cron_task_status",
    title="Cron task status",
    description="Each task's latest run and latest success, for monitoring.",
    fields=(
        Field("task", "string", "Task name.", enum=TASKS),
        Field("last_status", "string|null", "Status of its latest run (null: never ran)."),
        Field("last_run_at", "string|null", "Start of its latest run (UTC).", format="date-time"),
        Field("last_success_at", "string|null", "End of its latest successful run (UTC).", format="date-time"),
        Field("age_hours", "number|null", "Hours since the latest success (null: never succeeded)."),
        Field("stale", "boolean", "No success within cron.max_age_hours (never, once cron has run)."),
        Field("last_error", "string|null", "Error of its latest run.", table=False),
    ),
)

ClientProvider = Callable[[Server], VirtualminClient]
Notify = Callable[[dict[str, Any]], None]


def select_tasks(only: Sequence[str], skip: Sequence[str]) -> Result[list[str]]:
    for name in (*only, *skip):
        if name not in TASKS:
            return err(ErrorCode.INVALID, f"unknown task {name!r}; tasks: {', '.join(TASKS)}", field="task")
    chosen = [t for t in TASKS if (not only or t in only) and t not in skip]
    if not chosen:
        return err(ErrorCode.INVALID, "--only and --skip leave no task to run")
    return Ok(chosen)


def task_public(row: CronTaskRun, run_id: str) -> dict[str, Any]:
    return {"run_id": run_id, "task": row.task, "status": row.status, "counts": json.loads(row.counts_json),
            "error": row.error, "started_at": iso(row.started_at), "finished_at": iso(row.finished_at)}


def run_public(row: CronRun) -> dict[str, Any]:
    return {"run_id": row.run_id, "status": row.status, "exit_code": row.exit_code,
            "tasks": [t for t in row.tasks.split(",") if t], "host": row.host, "pid": row.pid, "error": row.error,
            "started_at": iso(row.started_at), "finished_at": iso(row.finished_at)}


@dataclass(frozen=True)
class CronReport:
    run_id: str
    exit_code: int
    tasks: list[dict[str, Any]]
    interrupted: list[str]  # earlier runs found dead and recorded as interrupted

    @property
    def failed(self) -> list[str]:
        return [t["task"] for t in self.tasks if t["status"] != "succeeded"]


@dataclass(frozen=True)
class CronHooks:
    """What the tasks need from outside: Virtualmin clients, the reminder channel, a start callback."""

    clients: ClientProvider
    notify: Notify | None = None
    on_start: Callable[[], None] | None = None  # after the lock is taken (the start ping)


def run_cron(
    db: Database, ctx: ServiceContext, hooks: CronHooks, tasks: Sequence[str], *, wait_seconds: float = 0,
    lock_ttl_seconds: int = 300,
) -> Result[CronReport]:
    from praho_cli.ledger import locks

    with locks.acquire(db, LOCK_NAME, ctx.run_id, ttl_seconds=lock_ttl_seconds, wait_seconds=wait_seconds,
                       clock=ctx.now):
        started = run_in_transaction(db, lambda s: _start(s, ctx, tasks))
        if isinstance(started, Err):
            return started
        run_pk, interrupted = started.value
        if hooks.on_start is not None:
            hooks.on_start()
        rows = [_run_task(db, ctx, hooks, run_pk, task) for task in tasks]
        exit_code = 0 if all(r["status"] == "succeeded" for r in rows) else 6
        run_in_transaction(db, lambda s: _finish(s, ctx, run_pk, exit_code))
    return Ok(CronReport(ctx.run_id, exit_code, rows, interrupted))


def _start(session: Session, ctx: ServiceContext, tasks: Sequence[str]) -> Result[tuple[int, list[str]]]:
    now = ctx.now()
    # Whoever recorded these held the cron lock, which we hold now: they died mid-run (SIGKILL, OOM,
    # reboot). Recording that is what makes an interrupted run visible to `cron status`.
    dead = list(session.execute(select(CronRun).where(col(CronRun.status) == "running")).scalars())
    for run in dead:
        run.status, run.finished_at = "interrupted", now
        run.error = "the run ended without finishing (killed or crashed); a later run found it"
        session.add(run)
        session.execute(update(CronTaskRun).where(col(CronTaskRun.cron_run_id) == run.id,
                                                  col(CronTaskRun.status) == "running")
                        .values(status="interrupted", finished_at=now, error="interrupted with its run")
                        .execution_options(synchronize_session=False))
    row = CronRun(run_id=ctx.run_id, status="running", pid=os.getpid(), host=socket.gethostname(), actor=ctx.actor,
                  tasks=",".join(tasks), started_at=now)
    session.add(row)
    session.flush()
    return Ok((row.id or 0, [r.run_id for r in dead]))


def _finish(session: Session, ctx: ServiceContext, run_pk: int, exit_code: int) -> Result[None]:
    run = session.get(CronRun, run_pk)
    if run is not None:
        run.status = "succeeded" if exit_code == 0 else "failed"
        run.exit_code, run.finished_at = exit_code, ctx.now()
        session.add(run)
    return Ok(None)


def _run_task(db: Database, ctx: ServiceContext, hooks: CronHooks, run_pk: int, task: str) -> dict[str, Any]:
    def begin(session: Session) -> Result[int]:
        row = CronTaskRun(cron_run_id=run_pk, task=task, status="running", started_at=ctx.now())
        session.add(row)
        session.flush()
        return Ok(row.id or 0)

    task_pk = run_in_transaction(db, begin).unwrap()
    counts: dict[str, Any] = {}
    failure: PrahoError | None
    try:
        outcome = TASK_FUNCTIONS[task](db, ctx, hooks)
        if isinstance(outcome, Err):
            failure = outcome.error
        else:
            counts, failure = outcome.value
    except PrahoFailure as exc:
        failure = exc.error
    except Exception as exc:  # a bug in one task must not stop the others; the type says which
        failure = PrahoError(ErrorCode.INTERNAL, f"unexpected {type(exc).__name__} in {task}")

    def end(session: Session) -> Result[dict[str, Any]]:
        row = session.get(CronTaskRun, task_pk)
        assert row is not None
        row.status = "failed" if failure else "succeeded"
        row.counts_json = json.dumps(counts, sort_keys=True)
        row.error = failure.message[:1000] if failure else None
        row.finished_at = ctx.now()
        session.add(row)
        return Ok(task_public(row, ctx.run_id))

    return run_in_transaction(db, end).unwrap()


# --------------------------------------------------------------------------- tasks

TaskOutcome = Result[tuple[dict[str, Any], PrahoError | None]]


def _servers_check(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services.hosting import checks

    checked = checks.check_servers(db, ctx, hooks.clients, [], True)
    if isinstance(checked, Err):
        return checked
    failing = [r["server"] for r in checked.value if not r["ok"]]
    counts = {"servers": len(checked.value), "failing": len(failing)}
    problem = PrahoError(ErrorCode.PARTIAL, f"{len(failing)} server(s) failing: {', '.join(failing)}") if failing \
        else None
    return Ok((counts, problem))


def _jobs_resume(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services.hosting import provisioning

    listed = provisioning.resumable_jobs(db, ctx)  # unknown, or pending/running with its process gone
    if isinstance(listed, Err):
        return listed
    jobs = listed.value
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
    return Ok((counts, problem))


def _invoices_overdue(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services import invoices

    marked = run_in_transaction(db, lambda s: invoices.mark_overdue(s, ctx))
    if isinstance(marked, Err):
        return marked
    return Ok(({"marked": marked.value["marked"], "already_overdue": marked.value["already_overdue"]}, None))


def _dunning(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.services.billing import dunning

    ran = dunning.run_dunning(db, ctx, hooks.clients, hooks.notify)
    if isinstance(ran, Err):
        return ran
    return Ok((ran.value.counts(), dunning.failure_error(ran.value)))


def _drift_scan(db: Database, ctx: ServiceContext, hooks: CronHooks) -> TaskOutcome:
    from praho_cli.ledger import locks
    from praho_cli.services import drift

    with locks.acquire(db, "drift-scan", ctx.run_id, clock=ctx.now):
        scanned = drift.scan(db, ctx, hooks.clients)
    if isinstance(scanned, Err):
        return scanned
    report = scanned.value
    counts = {"servers": report.servers, "found": len(report.drifts), "new": report.new, "closed": report.closed,
              "unreachable": len(report.unreachable)}
    problem = PrahoError(ErrorCode.REMOTE_UNAVAILABLE, f"could not read {', '.join(report.unreachable)}") \
        if report.unreachable else None
    return Ok((counts, problem))


TASK_FUNCTIONS: dict[str, Callable[[Database, ServiceContext, CronHooks], TaskOutcome]] = {
    "servers-check": _servers_check,
    "jobs-resume": _jobs_resume,
    "invoices-overdue": _invoices_overdue,
    "dunning": _dunning,
    "drift-scan": _drift_scan,
}


# --------------------------------------------------------------------------- status


def task_status(session: Session, ctx: ServiceContext) -> Result[list[dict[str, Any]]]:
    """Each task's latest run and success. A task is stale when its last success is older than
    cron.max_age_hours, or when it never succeeded although cron has run; before cron's first run
    (a fresh install) nothing is stale yet."""
    max_age = timedelta(hours=int(ctx.setting("cron.max_age_hours") or 26))
    now = ctx.now()
    cron_has_run = session.execute(select(col(CronRun.id)).limit(1)).first() is not None
    rows = []
    for task in TASKS:
        latest = session.execute(select(CronTaskRun).where(col(CronTaskRun.task) == task)
                                 .order_by(col(CronTaskRun.started_at).desc(), col(CronTaskRun.id).desc())
                                 .limit(1)).scalars().first()
        success = session.execute(select(CronTaskRun).where(col(CronTaskRun.task) == task,
                                                            col(CronTaskRun.status) == "succeeded")
                                  .order_by(col(CronTaskRun.finished_at).desc()).limit(1)).scalars().first()
        done_at: datetime | None = success.finished_at if success else None
        age = round((now - done_at).total_seconds() / 3600, 2) if done_at else None
        rows.append({
            "task": task, "last_status": latest.status if latest else None,
            "last_run_at": iso(latest.started_at) if latest else None, "last_success_at": iso(done_at),
            "age_hours": age, "stale": (cron_has_run if done_at is None else now - done_at > max_age),
            "last_error": latest.error if latest else None,
        })
    return Ok(rows)


def list_runs(session: Session, limit: int) -> Result[list[dict[str, Any]]]:
    stmt = select(CronRun).order_by(col(CronRun.started_at).desc(), col(CronRun.id).desc()).limit(limit)
    return Ok([run_public(r) for r in session.execute(stmt).scalars()])


# --------------------------------------------------------------------------- crontab

MARKER = "# praho cron run"


def crontab_line(praho: Sequence[str], schedule: str, profile: str | None, config: str | None,
                 log_file: str, environment: Mapping[str, str] | None = None) -> str:
    """The crontab line: ``environment`` (assignments cron's bare environment lacks, never secrets),
    then praho's absolute command, the config file and profile it was installed with, and the log."""
    import shlex

    args = [*praho]
    if config:
        args += ["--config", config]
    if profile:
        args += ["--profile", profile]
    args += ["--no-input", "--log-format", "json", "cron", "run"]
    assignments = "".join(f"{name}={shlex.quote(value)} " for name, value in (environment or {}).items())
    return f"{schedule} {assignments}{shlex.join(args)} >>{shlex.quote(log_file)} 2>&1 {MARKER}"


def install_crontab(line: str, crontab: str = "crontab") -> Result[str]:
    """Add (or replace) praho's line in the current user's crontab; other lines stay as they are."""
    import subprocess

    try:
        current = subprocess.run([crontab, "-l"], capture_output=True, text=True, timeout=30, check=False)
    except OSError:
        return err(ErrorCode.CONFIG, f"{crontab} is not installed; add the line by hand (praho cron install --print)")
    existing = current.stdout if current.returncode == 0 else ""  # "no crontab for USER" exits 1
    kept = [ln for ln in existing.splitlines() if not ln.rstrip().endswith(MARKER)]
    new = "\n".join([*kept, line]) + "\n"
    written = subprocess.run([crontab, "-"], input=new, capture_output=True, text=True, timeout=30, check=False)
    if written.returncode != 0:
        return err(ErrorCode.CONFIG, f"{crontab} refused the new table: {written.stderr.strip()[:200]}")
    return Ok("replaced" if len(kept) != len(existing.splitlines()) else "added")
