"""A document number is unique across every series of its kind: a unique index on
(kind, number_text).

Issued numbers are never changed, so a ledger that already holds one number in two series of a
kind cannot be repaired by a migration: there the index is left out (the upgrade says so, naming
the numbers), issuing still refuses a number another series of the kind has issued, `praho invoices
series-audit` reports the duplicates and `praho db check` the missing index.

Revision ID: 0010
Revises: 0009
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "uq_billing_documents_kind_number_text"


def upgrade() -> None:
    conn = op.get_bind()
    shared = conn.exec_driver_sql(
        "SELECT kind, number_text FROM billing_documents WHERE number_text IS NOT NULL "
        "GROUP BY kind, number_text HAVING COUNT(*) > 1 ORDER BY kind, number_text").all()
    if shared:
        logging.getLogger("alembic.runtime.migration").warning(
            "%s not created: numbers issued in more than one series of a kind: %s "
            "(see praho invoices series-audit)", INDEX,
            ", ".join(f"{kind} {text}" for kind, text in shared[:10]) + (" and more" if len(shared) > 10 else ""))
        return
    op.create_index(INDEX, "billing_documents", ["kind", "number_text"], unique=True)


def downgrade() -> None:
    conn = op.get_bind()
    if INDEX in {ix["name"] for ix in sa.inspect(conn).get_indexes("billing_documents")}:
        op.drop_index(INDEX, table_name="billing_documents")
