from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from praho_cli.ledger.models.base import NEVER_REUSED, UTCDateTime, surrogate_id


class Customer(SQLModel, table=True):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("email"), NEVER_REUSED)

    id: int | None = surrogate_id()
    kind: str = Field(max_length=20)  # company | individual
    name: str = Field(max_length=200, index=True)
    email: str = Field(max_length=254)  # stored lower-case
    country: str = Field(max_length=2)
    address: str | None = Field(default=None, max_length=500)
    city: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    county: str | None = Field(default=None, max_length=100)  # ISO 3166-2:RO (RO-CJ) for a Romanian address
    currency: str = Field(max_length=3)
    cui: str | None = Field(default=None, max_length=20, index=True)  # digits only, no RO prefix
    vat_payer: bool = Field(default=False)  # the CUI was given with RO: registered for VAT
    reg_com: str | None = Field(default=None, max_length=40)
    cnp: str | None = Field(default=None, max_length=13)
    vat_number: str | None = Field(default=None, max_length=20)  # EU VAT number with its country prefix
    created_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    updated_at: datetime = Field(sa_column=Column(UTCDateTime, nullable=False))
    version: int = Field(default=1)
