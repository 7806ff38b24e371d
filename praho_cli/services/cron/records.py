"""Cron's records: the tasks there are, and the public shape of a run, a task run and a task's status."""

from __future__ import annotations

import json
from typing import Any

from praho_cli.ledger.models.base import iso
from praho_cli.ledger.models.cron import CronRun, CronTaskRun
from praho_cli.records import Field, RecordType

TASKS = ("servers-check", "jobs-resume", "invoices-overdue", "dunning", "drift-scan")


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


def task_public(row: CronTaskRun, run_id: str) -> dict[str, Any]:
    return {"run_id": run_id, "task": row.task, "status": row.status, "counts": json.loads(row.counts_json),
            "error": row.error, "started_at": iso(row.started_at), "finished_at": iso(row.finished_at)}


def run_public(row: CronRun) -> dict[str, Any]:
    return {"run_id": row.run_id, "status": row.status, "exit_code": row.exit_code,
            "tasks": [t for t in row.tasks.split(",") if t], "host": row.host, "pid": row.pid, "error": row.error,
            "started_at": iso(row.started_at), "finished_at": iso(row.finished_at)}
