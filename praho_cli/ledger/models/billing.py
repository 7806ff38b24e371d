"""Billing tables: series and their counters, VAT and FX rates, documents, lines, payments.

Invoices, proformas and credit notes share one ``billing_documents`` table (``kind`` tells them
apart) so that lines, totals, snapshots and numbering are written once and the refunds work can
issue credit notes through the same path.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from praho_cli.ledger.models.base import NEVER_REUSED, UTCDateTime, surrogate_id


class DocumentSeries(SQLModel, table=True):
    __tablename__ = "document_series"
    __table_args__ = NEVER_REUSED

    id: int | None = surrogate_id()
    code: str = Field(max_length=16, unique=True)
    kind: str = Field(max_length=20)  # invoice | proforma | credit_note
    template: str = Field(max_length=100)
    yearly_reset: bool = Field(default=True)
    start_number: int = Field(default=1)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class SeriesCounter(SQLModel, table=True):
    """The last number given in one series and fiscal year. Locked and incremented inside the
    transaction that issues the document: a rollback gives the number back, so there is no gap."""

    __tablename__ = "series_counters"

    series_id: int = Field(
        sa_column=Column(Integer, ForeignKey("document_series.id"), primary_key=True)
    )
    year: int = Field(sa_column=Column(Integer, primary_key=True))  # 0: a series that never restarts
    last_number: int = Field(sa_column=Column(BigInteger, nullable=False))


class VatRateRow(SQLModel, table=True):
    __tablename__ = "vat_rates"
    __table_args__ = (UniqueConstraint("country", "category", "valid_from"), NEVER_REUSED)

    id: int | None = surrogate_id()
    country: str = Field(max_length=2)
    category: str = Field(max_length=20)
    rate: str = Field(max_length=10)  # a Decimal percent as text: exact on both backends
    valid_from: date = Field(sa_column=Column(Date, nullable=False))
    valid_to: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class FxRateRow(SQLModel, table=True):
    __tablename__ = "fx_rates"
    __table_args__ = (UniqueConstraint("currency", "day"), NEVER_REUSED)

    id: int | None = surrogate_id()
    currency: str = Field(max_length=3)
    day: date = Field(sa_column=Column(Date, nullable=False))
    rate: str = Field(max_length=20)  # RON per unit, Decimal as text
    source: str = Field(max_length=50)
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))


class BillingDocument(SQLModel, table=True):
    __tablename__ = "billing_documents"
    __table_args__ = (
        # The backstop of gapless numbering: even a bug cannot store one number twice.
        UniqueConstraint("series_id", "fiscal_year", "number"),
        # A number is unique across every series of a kind (two series with a "{number}" template
        # must not both issue "1"); drafts have none. Migration 0010 leaves it out of a ledger that
        # already holds such duplicates (series-audit names them).
        Index("uq_billing_documents_kind_number_text", "kind", "number_text", unique=True),
        # A proforma turns into at most one invoice, even under concurrent `convert`s.
        UniqueConstraint("proforma_id"),
        Index("ix_billing_documents_kind_status_due", "kind", "status", "due_date"),
        Index("ix_billing_documents_customer_id", "customer_id"),
        NEVER_REUSED,
    )

    id: int | None = surrogate_id()
    kind: str = Field(max_length=20)
    status: str = Field(max_length=20)
    series_id: int = Field(sa_column=Column(Integer, ForeignKey("document_series.id"), nullable=False))
    fiscal_year: int | None = Field(default=None)
    number: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    number_text: str | None = Field(default=None, max_length=60, index=True)
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customers.id"), nullable=False))
    currency: str = Field(max_length=3)
    tax_point: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    issue_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    due_days: int | None = Field(default=None)
    due_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    vat_regime: str | None = Field(default=None, max_length=20)
    vat_mention: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    rounding: str = Field(default="half_up", max_length=10)
    net_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    vat_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    total_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    paid_minor: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    fx_rate: str | None = Field(default=None, max_length=20)
    fx_day: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    fx_source: str | None = Field(default=None, max_length=50)
    vat_ron_minor: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    seller_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    customer_json: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # A credit note → the invoice it corrects; an invoice → the proforma it came from.
    corrects_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("billing_documents.id"), nullable=True, index=True)
    )
    proforma_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("billing_documents.id"), nullable=True)
    )
    reason: str | None = Field(default=None, max_length=500)
    issued_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    cancelled_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: int = Field(default=1)


class DocumentLine(SQLModel, table=True):
    __tablename__ = "document_lines"
    __table_args__ = (UniqueConstraint("document_id", "position"), NEVER_REUSED)

    id: int | None = surrogate_id()
    document_id: int = Field(
        sa_column=Column(Integer, ForeignKey("billing_documents.id", ondelete="CASCADE"), nullable=False)
    )
    position: int
    description: str = Field(max_length=500)
    quantity: str = Field(max_length=30)  # Decimal as text
    unit_price_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    category: str = Field(max_length=20)
    vat_code: str = Field(max_length=4)
    vat_rate: str = Field(max_length=10)
    net_minor: int = Field(sa_column=Column(BigInteger, nullable=False))


class Payment(SQLModel, table=True):
    __tablename__ = "payments"
    __table_args__ = NEVER_REUSED

    id: int | None = surrogate_id()
    document_id: int = Field(
        sa_column=Column(Integer, ForeignKey("billing_documents.id"), nullable=False, index=True)
    )
    amount_minor: int = Field(sa_column=Column(BigInteger, nullable=False))
    currency: str = Field(max_length=3)
    method: str = Field(max_length=10)
    reference: str | None = Field(default=None, max_length=200)
    paid_at: date = Field(sa_column=Column(Date, nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    # A mistyped payment is voided, never deleted: it stays listed, stops counting as paid.
    voided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime, nullable=True))
    void_reason: str | None = Field(default=None, max_length=400)
