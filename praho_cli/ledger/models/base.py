"""Shared column types and the constraint naming convention (so SQLite and PostgreSQL agree)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on both backends (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, the JSON form of every timestamp."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


# Ids are never reused: a deleted row's id (the newest draft's, say) must not name another row in
# the audit trail. SQLite needs AUTOINCREMENT for that (a plain INTEGER PRIMARY KEY takes max + 1),
# PostgreSQL an identity column. Every table with a surrogate id uses both (migration 0006).
NEVER_REUSED = {"sqlite_autoincrement": True}


def surrogate_id() -> Any:
    """The ``id`` field of a table whose ids are never reused (pair it with ``NEVER_REUSED``)."""
    from sqlalchemy import Identity
    from sqlmodel import Field

    return Field(default=None, primary_key=True, sa_column_args=[Identity()])
