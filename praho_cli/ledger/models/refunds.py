"""Refunds: money returned against a paid invoice, and which payments each refund gives back.

A refund is a durable intent: it is committed ``pending`` (reserving its amount) before any money
moves, then settled ``completed`` (with its credit note) or ``failed``. ``claimed_until`` is the
lease of the process currently running the refund command, so that `refunds reconcile` leaves a
refund alone while its creator may still be moving the money.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

from praho_cli.ledger.models.base import NEVER_REUSED, UTCDateTime, surrogate_id


class Refund(SQLModel, table=True):
    __tablename__ = "refunds"
    __table_args__ = (
        # The refund command gets this key, so a gateway that deduplicates on it pays at most once;
        # unique so that two concurrent creators with the same key cannot both insert.
        UniqueConstraint("idempotency_key"),
        UniqueConstraint("credit_note_id"),
        Index("ix_refunds_invoice_id_status", "invoice_id", "status"),
        Index("ix_refunds_status_claimed_until", "status", "claimed_until"),
        NEVER_REUSED,
    )

    id: int | None = surrogate_id()
    invoice_id: int = Field(sa_column=Column(Integer, ForeignKey("billing_documents.id"), nullable=False))
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customers.id"), nullable=False, index=True))
    kind: str = Field(max_length=10)  # full | partial
    status: str = Field(max_length=10)  # pending | completed | failed
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    method: str = Field(max_length=10)
    reason: str = Field(max_length=500)
    idempotency_key: str = Field(max_length=200)
    credit_note_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("billing_documents.id"), nullable=True)
    )
    settled_by: str = Field(max_length=10)  # command | outside (no refund command configured)
    command_reference: str | None = Field(default=None, max_length=200)
    failure_reason: str | None = Field(default=None, max_length=500)
    attempts: int = Field(default=0)
    claimed_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    completed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: int = Field(default=1)


class RefundAllocation(SQLModel, table=True):
    """The part of one refund that gives back one payment (newest payments are given back first)."""

    __tablename__ = "refund_allocations"
    __table_args__ = (UniqueConstraint("refund_id", "payment_id"), NEVER_REUSED)

    id: int | None = surrogate_id()
    refund_id: int = Field(sa_column=Column(Integer, ForeignKey("refunds.id"), nullable=False))
    payment_id: int = Field(sa_column=Column(Integer, ForeignKey("payments.id"), nullable=False, index=True))
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
