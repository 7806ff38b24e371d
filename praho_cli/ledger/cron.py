"""Queries on cron runs and their task runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlmodel import Session, col

from praho_cli.ledger.models.cron import CronRun, CronTaskRun


def running_runs(session: Session) -> list[CronRun]:
    """The runs recorded as still running."""
    return list(session.execute(select(CronRun).where(col(CronRun.status) == "running")).scalars())


def interrupt_tasks_of(session: Session, run_pk: int, now: datetime) -> None:
    """Mark the running tasks of a dead run interrupted with it."""
    session.execute(update(CronTaskRun).where(col(CronTaskRun.cron_run_id) == run_pk,
                                              col(CronTaskRun.status) == "running")
                    .values(status="interrupted", finished_at=now, error="interrupted with its run")
                    .execution_options(synchronize_session=False))


def any_run(session: Session) -> bool:
    """Whether cron has ever run."""
    return session.execute(select(col(CronRun.id)).limit(1)).first() is not None


def latest_task_run(session: Session, task: str) -> CronTaskRun | None:
    return session.execute(select(CronTaskRun).where(col(CronTaskRun.task) == task)
                           .order_by(col(CronTaskRun.started_at).desc(), col(CronTaskRun.id).desc())
                           .limit(1)).scalars().first()


def latest_success(session: Session, task: str) -> CronTaskRun | None:
    return session.execute(select(CronTaskRun).where(col(CronTaskRun.task) == task,
                                                     col(CronTaskRun.status) == "succeeded")
                           .order_by(col(CronTaskRun.finished_at).desc()).limit(1)).scalars().first()


def recent_runs(session: Session, limit: int) -> list[CronRun]:
    stmt = select(CronRun).order_by(col(CronRun.started_at).desc(), col(CronRun.id).desc()).limit(limit)
    return list(session.execute(stmt).scalars())
