"""Drift records: where a Virtualmin server and the ledger disagree, and how it was settled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from praho_cli.ledger.models.base import NEVER_REUSED, UTCDateTime, surrogate_id


class DriftRecord(SQLModel, table=True):
    __tablename__ = "drift_records"
    __table_args__ = (
        # "kind|server|domain" while the record is open (pending or ignored), NULL once resolved:
        # a rescan finds the open record by it, and two concurrent scans cannot both insert one
        # (NULLs are distinct on SQLite and PostgreSQL, so closed records never collide).
        UniqueConstraint("open_key"),
        Index("ix_drift_records_status_kind", "status", "kind"),
        NEVER_REUSED,
    )

    id: int | None = surrogate_id()
    kind: str = Field(max_length=30)
    domain: str | None = Field(default=None, max_length=253, index=True)
    server: str = Field(max_length=63)
    open_key: str | None = Field(default=None, max_length=400)
    # JSON objects: what the ledger says and what Virtualmin says (null when absent).
    ledger_state: str = Field(default="null", sa_column=Column(Text, nullable=False))
    virtualmin_state: str = Field(default="null", sa_column=Column(Text, nullable=False))
    status: str = Field(max_length=10)  # pending | resolved | ignored
    first_seen_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    seen_count: int = Field(default=1)
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    resolved_by: str | None = Field(default=None, max_length=100)
    # push | adopt | ignore | gone (a later scan no longer saw it)
    resolution: str | None = Field(default=None, max_length=10)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: int = Field(default=1)
