"""Cron runs, their tasks, and the dunning actions that must happen once per invoice."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from praho_cli.ledger.models.base import NEVER_REUSED, UTCDateTime, surrogate_id


class CronRun(SQLModel, table=True):
    __tablename__ = "cron_runs"
    __table_args__ = (UniqueConstraint("run_id"), Index("ix_cron_runs_status", "status"), NEVER_REUSED)

    id: int | None = surrogate_id()
    run_id: str = Field(max_length=32)
    # running | succeeded | failed | interrupted (a later run found it running without its lock)
    status: str = Field(max_length=12)
    pid: int = Field(default=0)
    host: str = Field(default="", max_length=255)
    actor: str = Field(default="", max_length=100)
    tasks: str = Field(default="", max_length=200)  # the tasks chosen, comma-separated
    exit_code: int | None = Field(default=None)
    error: str | None = Field(default=None, max_length=1000)
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class CronTaskRun(SQLModel, table=True):
    __tablename__ = "cron_task_runs"
    __table_args__ = (
        UniqueConstraint("cron_run_id", "task"),
        Index("ix_cron_task_runs_task_status", "task", "status"),
        NEVER_REUSED,
    )

    id: int | None = surrogate_id()
    cron_run_id: int = Field(sa_column=Column(Integer, ForeignKey("cron_runs.id"), nullable=False))
    task: str = Field(max_length=30)
    status: str = Field(max_length=12)  # running | succeeded | failed | interrupted
    counts_json: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    error: str | None = Field(default=None, max_length=1000)
    started_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))


class DunningAction(SQLModel, table=True):
    """One reminder, suspension or unsuspension for one invoice: the unique constraint is what makes
    a rerun (or a run after a crash) a no-op for the actions already taken."""

    __tablename__ = "dunning_actions"
    __table_args__ = (UniqueConstraint("invoice_id", "kind"), NEVER_REUSED)

    id: int | None = surrogate_id()
    invoice_id: int = Field(sa_column=Column(Integer, ForeignKey("billing_documents.id"), nullable=False))
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customers.id"), nullable=False, index=True))
    kind: str = Field(max_length=12)  # reminder | suspension | unsuspension
    status: str = Field(max_length=10)  # pending | done | failed
    days_overdue: int = Field(default=0)
    detail: str | None = Field(default=None, max_length=1000)
    run_id: str = Field(default="", max_length=32)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class DunningAccountAction(SQLModel, table=True):
    """An account suspended (or unsuspended) by a dunning action, recorded before the remote call."""

    __tablename__ = "dunning_account_actions"
    __table_args__ = (UniqueConstraint("action_id", "account_id"), NEVER_REUSED)

    id: int | None = surrogate_id()
    action_id: int = Field(sa_column=Column(Integer, ForeignKey("dunning_actions.id"), nullable=False))
    # No foreign key: `accounts delete` may remove the account; the record of what dunning did stays.
    account_id: int = Field(sa_column=Column(Integer, nullable=False, index=True))
    domain: str = Field(max_length=253)
    status: str = Field(max_length=10)  # pending | done | failed
    error: str | None = Field(default=None, max_length=1000)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
