"""Cron's state for monitoring: each task's latest run and success, and the latest runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from praho_cli.ledger import cron as repo
from praho_cli.ledger.models.base import iso
from praho_cli.result import returns_result
from praho_cli.services.context import ServiceContext
from praho_cli.services.cron.records import TASKS, run_public


@returns_result
def task_status(session: Session, ctx: ServiceContext) -> list[dict[str, Any]]:
    """Each task's latest run and success. A task is stale when its last success is older than
    cron.max_age_hours, or when it never succeeded although cron has run; before cron's first run
    (a fresh install) nothing is stale yet."""
    max_age = timedelta(hours=int(ctx.setting("cron.max_age_hours") or 26))
    now = ctx.now()
    cron_has_run = repo.any_run(session)
    rows = []
    for task in TASKS:
        latest = repo.latest_task_run(session, task)
        success = repo.latest_success(session, task)
        done_at: datetime | None = success.finished_at if success else None
        age = round((now - done_at).total_seconds() / 3600, 2) if done_at else None
        rows.append({
            "task": task, "last_status": latest.status if latest else None,
            "last_run_at": iso(latest.started_at) if latest else None, "last_success_at": iso(done_at),
            "age_hours": age, "stale": (cron_has_run if done_at is None else now - done_at > max_age),
            "last_error": latest.error if latest else None,
        })
    return rows


@returns_result
def list_runs(session: Session, limit: int) -> list[dict[str, Any]]:
    return [run_public(r) for r in repo.recent_runs(session, limit)]
