"""Tables of the shared mechanisms: audit chain, run locks, idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Text
from sqlmodel import Field, SQLModel

from praho_cli.ledger.models.base import NEVER_REUSED, UTCDateTime, surrogate_id


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = NEVER_REUSED

    id: int | None = surrogate_id()
    seq: int = Field(sa_column=Column(BigInteger, nullable=False, unique=True))
    ts: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    actor: str = Field(max_length=200)
    action: str = Field(max_length=100, index=True)
    entity_type: str = Field(max_length=50)
    entity_id: str = Field(max_length=100)
    before_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    after_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    # "KIND:sha256" of the row this event created (ledger/proofs.py); null for other events.
    proof: str | None = Field(default=None, max_length=80)


class AuditHead(SQLModel, table=True):
    """One row: the last sequence number and hash. Appends lock it, which serializes the chain,
    and it lets `audit verify` notice events deleted from the end of the chain."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)


class RunLock(SQLModel, table=True):
    """A lease on SQLite (PostgreSQL uses advisory locks and records holders here too)."""

    __tablename__ = "run_locks"

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    pid: int
    host: str = Field(max_length=255)
    acquired_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    key: str = Field(primary_key=True, max_length=200)
    command: str = Field(max_length=100)
    params_hash: str = Field(max_length=64)
    result_json: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
