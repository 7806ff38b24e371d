"""Hosting: servers, hosting accounts, provisioning jobs.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from praho_cli.ledger.models.base import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('servers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=63), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('ssh_host', sa.String(length=255), nullable=True),
    sa.Column('ssh_port', sa.Integer(), nullable=False),
    sa.Column('ssh_user', sa.String(length=64), nullable=True),
    sa.Column('ca_file', sa.String(length=500), nullable=True),
    sa.Column('pin_sha256', sa.String(length=64), nullable=True),
    sa.Column('known_hosts', sa.String(length=500), nullable=True),
    sa.Column('host_key_fingerprint', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=50), nullable=True),
    sa.Column('tags', sa.String(length=500), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('max_domains', sa.Integer(), nullable=False),
    sa.Column('max_disk_gb', sa.Integer(), nullable=True),
    sa.Column('current_domains', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('status_auto', sa.Boolean(), nullable=False),
    sa.Column('maintenance', sa.Boolean(), nullable=False),
    sa.Column('health', sa.String(length=20), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('last_check_at', UTCDateTime(), nullable=True),
    sa.Column('last_ok_at', UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('virtualmin_version', sa.String(length=50), nullable=True),
    sa.Column('webmin_version', sa.String(length=50), nullable=True),
    sa.Column('os', sa.String(length=200), nullable=True),
    sa.Column('load_1m', sa.Float(), nullable=True),
    sa.Column('memory_total_kib', sa.BigInteger(), nullable=True),
    sa.Column('memory_free_kib', sa.BigInteger(), nullable=True),
    sa.Column('disk_total_bytes', sa.BigInteger(), nullable=True),
    sa.Column('disk_free_bytes', sa.BigInteger(), nullable=True),
    sa.Column('disk_used_bytes', sa.BigInteger(), nullable=True),
    sa.Column('remote_domains', sa.Integer(), nullable=True),
    sa.Column('stats_synced_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_servers')),
    sa.UniqueConstraint('name', name=op.f('uq_servers_name'))
    )
    op.create_index(op.f('ix_servers_region'), 'servers', ['region'], unique=False)
    op.create_table('hosting_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('domain_unicode', sa.String(length=253), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('server_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('plan', sa.String(length=100), nullable=True),
    sa.Column('template', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('suspend_reason', sa.String(length=500), nullable=True),
    sa.Column('error_reason', sa.String(length=1000), nullable=True),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('pending_op', sa.String(length=20), nullable=True),
    sa.Column('holds_slot', sa.Boolean(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_hosting_accounts_customer_id_customers')),
    sa.ForeignKeyConstraint(['server_id'], ['servers.id'], name=op.f('fk_hosting_accounts_server_id_servers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hosting_accounts')),
    sa.UniqueConstraint('domain', name=op.f('uq_hosting_accounts_domain')),
    sa.UniqueConstraint('username', name=op.f('uq_hosting_accounts_username'))
    )
    op.create_index(op.f('ix_hosting_accounts_customer_id'), 'hosting_accounts', ['customer_id'], unique=False)
    op.create_index(op.f('ix_hosting_accounts_server_id'), 'hosting_accounts', ['server_id'], unique=False)
    op.create_index(op.f('ix_hosting_accounts_status'), 'hosting_accounts', ['status'], unique=False)
    op.create_table('provisioning_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('domain', sa.String(length=253), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('server_id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.String(length=1000), nullable=True),
    sa.Column('steps_json', sa.Text(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['hosting_accounts.id'], name=op.f('fk_provisioning_jobs_account_id_hosting_accounts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['server_id'], ['servers.id'], name=op.f('fk_provisioning_jobs_server_id_servers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_provisioning_jobs')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_provisioning_jobs_attempt_id'))
    )
    op.create_index(op.f('ix_provisioning_jobs_account_id'), 'provisioning_jobs', ['account_id'], unique=False)
    op.create_index(op.f('ix_provisioning_jobs_domain'), 'provisioning_jobs', ['domain'], unique=False)
    op.create_index(op.f('ix_provisioning_jobs_status'), 'provisioning_jobs', ['status'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_provisioning_jobs_status'), table_name='provisioning_jobs')
    op.drop_index(op.f('ix_provisioning_jobs_domain'), table_name='provisioning_jobs')
    op.drop_index(op.f('ix_provisioning_jobs_account_id'), table_name='provisioning_jobs')
    op.drop_table('provisioning_jobs')
    op.drop_index(op.f('ix_hosting_accounts_status'), table_name='hosting_accounts')
    op.drop_index(op.f('ix_hosting_accounts_server_id'), table_name='hosting_accounts')
    op.drop_index(op.f('ix_hosting_accounts_customer_id'), table_name='hosting_accounts')
    op.drop_table('hosting_accounts')
    op.drop_index(op.f('ix_servers_region'), table_name='servers')
    op.drop_table('servers')
