"""Refunds: refund intents and their allocation to payments.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from praho_cli.ledger.models.base import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('credit_note_id', sa.Integer(), nullable=True),
    sa.Column('settled_by', sa.String(length=10), nullable=False),
    sa.Column('command_reference', sa.String(length=200), nullable=True),
    sa.Column('failure_reason', sa.String(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_until', UTCDateTime(), nullable=True),
    sa.Column('completed_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['credit_note_id'], ['billing_documents.id'], name=op.f('fk_refunds_credit_note_id_billing_documents')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_refunds_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['billing_documents.id'], name=op.f('fk_refunds_invoice_id_billing_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refunds')),
    sa.UniqueConstraint('credit_note_id', name=op.f('uq_refunds_credit_note_id')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_refunds_idempotency_key'))
    )
    op.create_index(op.f('ix_refunds_customer_id'), 'refunds', ['customer_id'], unique=False)
    op.create_index('ix_refunds_invoice_id_status', 'refunds', ['invoice_id', 'status'], unique=False)
    op.create_index('ix_refunds_status_claimed_until', 'refunds', ['status', 'claimed_until'], unique=False)
    op.create_table('refund_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_refund_allocations_payment_id_payments')),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_refund_allocations_refund_id_refunds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refund_allocations')),
    sa.UniqueConstraint('refund_id', 'payment_id', name=op.f('uq_refund_allocations_refund_id_payment_id'))
    )
    op.create_index(op.f('ix_refund_allocations_payment_id'), 'refund_allocations', ['payment_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_refund_allocations_payment_id'), table_name='refund_allocations')
    op.drop_table('refund_allocations')
    op.drop_index('ix_refunds_status_claimed_until', table_name='refunds')
    op.drop_index('ix_refunds_invoice_id_status', table_name='refunds')
    op.drop_index(op.f('ix_refunds_customer_id'), table_name='refunds')
    op.drop_table('refunds')
