"""Payments can be voided: when and why (a voided payment stays listed and no longer counts as paid).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

from praho_cli.ledger.models.base import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("payments", sa.Column("voided_at", UTCDateTime(), nullable=True))
    op.add_column("payments", sa.Column("void_reason", sa.String(length=400), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payments") as batch:
        batch.drop_column("void_reason")
        batch.drop_column("voided_at")
