"""Optimistic locking: compare-and-set on a row's ``version`` column."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import update
from sqlmodel import Session, SQLModel

M = TypeVar("M", bound=SQLModel)


def update_if_version(session: Session, model: type[M], row_id: int, version: int, values: dict[str, Any]) -> M | None:
    """Apply ``values`` and bump ``version`` only if the row is still at ``version``.

    Returns the fresh row, or None when someone else changed it first (the caller reports a
    conflict, exit 5, instead of overwriting)."""
    table: Any = model
    done = session.execute(
        update(model)
        .where(table.id == row_id, table.version == version)
        .values(**values, version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return None
    session.expire_all()
    return session.get(model, row_id)
