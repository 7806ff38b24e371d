"""Cron's runner: one entry point that runs the scheduled work under a run lock and records every run.

``run_cron`` takes the ``cron`` run lock (PostgreSQL advisory lock or SQLite lease), marks any run
still recorded as running as ``interrupted`` (it held this lock, so it is dead), then runs the tasks
(:mod:`praho_cli.services.cron.tasks`) in order, each in isolation: a task that fails, or raises, is
recorded and the next one still runs.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import cron as repo
from praho_cli.ledger.engine import Database
from praho_cli.ledger.models.cron import CronRun, CronTaskRun
from praho_cli.ledger.models.hosting import Server
from praho_cli.ledger.uow import transaction
from praho_cli.result import Err, ErrorCode, PrahoError, fail, returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.cron.records import TASKS, task_public
from praho_cli.services.cron.tasks import TASK_FUNCTIONS
from praho_cli.virtualmin.client import VirtualminClient

LOCK_NAME = "cron"


ClientProvider = Callable[[Server], VirtualminClient]
Notify = Callable[[dict[str, Any]], None]


@returns_result
def select_tasks(only: Sequence[str], skip: Sequence[str]) -> list[str]:
    for name in (*only, *skip):
        if name not in TASKS:
            raise fail(ErrorCode.INVALID, f"unknown task {name!r}; tasks: {', '.join(TASKS)}", field="task")
    chosen = [t for t in TASKS if (not only or t in only) and t not in skip]
    if not chosen:
        raise fail(ErrorCode.INVALID, "--only and --skip leave no task to run")
    return chosen


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


@returns_result
def run_cron(
    db: Database, ctx: ServiceContext, hooks: CronHooks, tasks: Sequence[str], *, wait_seconds: float = 0,
    lock_ttl_seconds: int = 300,
) -> CronReport:
    from praho_cli.ledger import locks

    with locks.acquire(db, LOCK_NAME, ctx.run_id, ttl_seconds=lock_ttl_seconds, wait_seconds=wait_seconds,
                       clock=ctx.now):
        run_pk, interrupted = transaction(db, lambda s: _start(s, ctx, tasks))
        if hooks.on_start is not None:
            hooks.on_start()
        rows = [_run_task(db, ctx, hooks, run_pk, task) for task in tasks]
        exit_code = 0 if all(r["status"] == "succeeded" for r in rows) else 6
        transaction(db, lambda s: _finish(s, ctx, run_pk, exit_code))
    return CronReport(ctx.run_id, exit_code, rows, interrupted)


def _start(session: Session, ctx: ServiceContext, tasks: Sequence[str]) -> tuple[int, list[str]]:
    now = ctx.now()
    # Whoever recorded these held the cron lock, which we hold now: they died mid-run (SIGKILL, OOM,
    # reboot). Recording that is what makes an interrupted run visible to `cron status`.
    dead = repo.running_runs(session)
    for run in dead:
        run.status, run.finished_at = "interrupted", now
        run.error = "the run ended without finishing (killed or crashed); a later run found it"
        session.add(run)
        repo.interrupt_tasks_of(session, run.id or 0, now)
    row = CronRun(run_id=ctx.run_id, status="running", pid=os.getpid(), host=socket.gethostname(), actor=ctx.actor,
                  tasks=",".join(tasks), started_at=now)
    session.add(row)
    session.flush()
    return row.id or 0, [r.run_id for r in dead]


def _finish(session: Session, ctx: ServiceContext, run_pk: int, exit_code: int) -> None:
    run = session.get(CronRun, run_pk)
    if run is not None:
        run.status = "succeeded" if exit_code == 0 else "failed"
        run.exit_code, run.finished_at = exit_code, ctx.now()
        session.add(run)


def _run_task(db: Database, ctx: ServiceContext, hooks: CronHooks, run_pk: int, task: str) -> dict[str, Any]:
    def begin(session: Session) -> int:
        row = CronTaskRun(cron_run_id=run_pk, task=task, status="running", started_at=ctx.now())
        session.add(row)
        session.flush()
        return row.id or 0

    task_pk = transaction(db, begin)
    counts: dict[str, Any] = {}
    failure: PrahoError | None
    try:
        # A task raises its failure; returns_result turns it into this task's outcome.
        outcome = returns_result(TASK_FUNCTIONS[task])(db, ctx, hooks)
    except Exception as exc:  # a bug in one task must not stop the others; the type says which
        failure = PrahoError(ErrorCode.INTERNAL, f"unexpected {type(exc).__name__} in {task}")
    else:
        if isinstance(outcome, Err):
            failure = outcome.error
        else:
            counts, failure = outcome.value

    def end(session: Session) -> dict[str, Any]:
        row = session.get(CronTaskRun, task_pk)
        assert row is not None
        row.status = "failed" if failure else "succeeded"
        row.counts_json = json.dumps(counts, sort_keys=True)
        row.error = failure.message[:1000] if failure else None
        row.finished_at = ctx.now()
        session.add(row)
        return task_public(row, ctx.run_id)

    return transaction(db, end)
