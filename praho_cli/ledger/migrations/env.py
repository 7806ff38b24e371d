"""Alembic environment: praho always hands in an open connection (see praho_cli.ledger.schema)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import praho_cli.ledger.models  # noqa: F401 - registers every table

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
