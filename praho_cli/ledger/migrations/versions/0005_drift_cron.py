"""Drift records, cron runs and tasks, dunning actions.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

from praho_cli.ledger.models.base import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cron_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=255), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('tasks', sa.String(length=200), nullable=False),
    sa.Column('exit_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cron_runs')),
    sa.UniqueConstraint('run_id', name=op.f('uq_cron_runs_run_id'))
    )
    op.create_index('ix_cron_runs_status', 'cron_runs', ['status'], unique=False)
    op.create_table('drift_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=True),
    sa.Column('server', sa.String(length=63), nullable=False),
    sa.Column('open_key', sa.String(length=400), nullable=True),
    sa.Column('ledger_state', sa.Text(), nullable=False),
    sa.Column('virtualmin_state', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('first_seen_at', UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', UTCDateTime(), nullable=False),
    sa.Column('seen_count', sa.Integer(), nullable=False),
    sa.Column('resolved_at', UTCDateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.Column('resolution', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_drift_records')),
    sa.UniqueConstraint('open_key', name=op.f('uq_drift_records_open_key'))
    )
    op.create_index(op.f('ix_drift_records_domain'), 'drift_records', ['domain'], unique=False)
    op.create_index('ix_drift_records_status_kind', 'drift_records', ['status', 'kind'], unique=False)
    op.create_table('cron_task_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cron_run_id', sa.Integer(), nullable=False),
    sa.Column('task', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('counts_json', sa.Text(), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('started_at', UTCDateTime(), nullable=False),
    sa.Column('finished_at', UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['cron_run_id'], ['cron_runs.id'], name=op.f('fk_cron_task_runs_cron_run_id_cron_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cron_task_runs')),
    sa.UniqueConstraint('cron_run_id', 'task', name=op.f('uq_cron_task_runs_cron_run_id_task'))
    )
    op.create_index('ix_cron_task_runs_task_status', 'cron_task_runs', ['task', 'status'], unique=False)
    op.create_table('dunning_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('days_overdue', sa.Integer(), nullable=False),
    sa.Column('detail', sa.String(length=1000), nullable=True),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_dunning_actions_customer_id_customers')),
    sa.ForeignKeyConstraint(['invoice_id'], ['billing_documents.id'], name=op.f('fk_dunning_actions_invoice_id_billing_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_actions')),
    sa.UniqueConstraint('invoice_id', 'kind', name=op.f('uq_dunning_actions_invoice_id_kind'))
    )
    op.create_index(op.f('ix_dunning_actions_customer_id'), 'dunning_actions', ['customer_id'], unique=False)
    op.create_table('dunning_account_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['dunning_actions.id'], name=op.f('fk_dunning_account_actions_action_id_dunning_actions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dunning_account_actions')),
    sa.UniqueConstraint('action_id', 'account_id', name=op.f('uq_dunning_account_actions_action_id_account_id'))
    )
    op.create_index(op.f('ix_dunning_account_actions_account_id'), 'dunning_account_actions', ['account_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_dunning_account_actions_account_id'), table_name='dunning_account_actions')
    op.drop_table('dunning_account_actions')
    op.drop_index(op.f('ix_dunning_actions_customer_id'), table_name='dunning_actions')
    op.drop_table('dunning_actions')
    op.drop_index('ix_cron_task_runs_task_status', table_name='cron_task_runs')
    op.drop_table('cron_task_runs')
    op.drop_index('ix_drift_records_status_kind', table_name='drift_records')
    op.drop_index(op.f('ix_drift_records_domain'), table_name='drift_records')
    op.drop_table('drift_records')
    op.drop_index('ix_cron_runs_status', table_name='cron_runs')
    op.drop_table('cron_runs')
