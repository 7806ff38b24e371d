"""Billing: document series and counters, VAT and FX rate tables, documents, lines, payments.

Revision ID: 0002
Revises: 0001
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from praho_cli.ledger.models.base import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The VAT table as shipped with this revision (Romania's history, EU standard rates for the OSS),
# frozen here so that upgrading an old ledger always seeds the same rows.
SEED_VAT_RATES = [
    ("RO", "standard", "19", "2017-01-01", "2025-07-31"),
    ("RO", "standard", "21", "2025-08-01", None),
    ("RO", "reduced", "9", "2017-01-01", "2025-07-31"),
    ("RO", "reduced", "11", "2025-08-01", None),
    ("RO", "reduced2", "5", "2017-01-01", "2025-07-31"),
    ("RO", "reduced2", "11", "2025-08-01", None),
    ("EE", "standard", "20", "2021-07-01", "2023-12-31"),
    ("EE", "standard", "22", "2024-01-01", "2025-06-30"),
    ("EE", "standard", "24", "2025-07-01", None),
    ("FI", "standard", "24", "2021-07-01", "2024-08-31"),
    ("FI", "standard", "25.5", "2024-09-01", None),
    ("LU", "standard", "17", "2021-07-01", "2022-12-31"),
    ("LU", "standard", "16", "2023-01-01", "2023-12-31"),
    ("LU", "standard", "17", "2024-01-01", None),
    ("SK", "standard", "20", "2021-07-01", "2024-12-31"),
    ("SK", "standard", "23", "2025-01-01", None),
] + [
    (country, "standard", rate, "2021-07-01", None)
    for country, rate in (
        ("AT", "20"), ("BE", "21"), ("BG", "20"), ("HR", "25"), ("CY", "19"), ("CZ", "21"), ("DK", "25"),
        ("FR", "20"), ("DE", "19"), ("GR", "24"), ("HU", "27"), ("IE", "23"), ("IT", "22"), ("LV", "21"),
        ("LT", "21"), ("MT", "18"), ("NL", "21"), ("PL", "23"), ("PT", "23"), ("SI", "22"), ("ES", "21"),
        ("SE", "25"),
    )
]


def upgrade() -> None:
    op.create_table('document_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('template', sa.String(length=100), nullable=False),
    sa.Column('yearly_reset', sa.Boolean(), nullable=False),
    sa.Column('start_number', sa.Integer(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_series')),
    sa.UniqueConstraint('code', name=op.f('uq_document_series_code'))
    )
    op.create_table('fx_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('rate', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=50), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fx_rates')),
    sa.UniqueConstraint('currency', 'day', name=op.f('uq_fx_rates_currency_day'))
    )
    vat_rates = op.create_table('vat_rates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('rate', sa.String(length=10), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vat_rates')),
    sa.UniqueConstraint('country', 'category', 'valid_from', name=op.f('uq_vat_rates_country_category_valid_from'))
    )
    op.create_table('billing_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('fiscal_year', sa.Integer(), nullable=True),
    sa.Column('number', sa.BigInteger(), nullable=True),
    sa.Column('number_text', sa.String(length=60), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('tax_point', sa.Date(), nullable=True),
    sa.Column('issue_date', sa.Date(), nullable=True),
    sa.Column('due_days', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('vat_regime', sa.String(length=20), nullable=True),
    sa.Column('vat_mention', sa.Text(), nullable=True),
    sa.Column('rounding', sa.String(length=10), nullable=False),
    sa.Column('net_minor', sa.BigInteger(), nullable=False),
    sa.Column('vat_minor', sa.BigInteger(), nullable=False),
    sa.Column('total_minor', sa.BigInteger(), nullable=False),
    sa.Column('paid_minor', sa.BigInteger(), nullable=False),
    sa.Column('fx_rate', sa.String(length=20), nullable=True),
    sa.Column('fx_day', sa.Date(), nullable=True),
    sa.Column('fx_source', sa.String(length=50), nullable=True),
    sa.Column('vat_ron_minor', sa.BigInteger(), nullable=True),
    sa.Column('seller_json', sa.Text(), nullable=True),
    sa.Column('customer_json', sa.Text(), nullable=True),
    sa.Column('corrects_id', sa.Integer(), nullable=True),
    sa.Column('proforma_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('issued_at', UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', UTCDateTime(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['corrects_id'], ['billing_documents.id'], name=op.f('fk_billing_documents_corrects_id_billing_documents')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_billing_documents_customer_id_customers')),
    sa.ForeignKeyConstraint(['proforma_id'], ['billing_documents.id'], name=op.f('fk_billing_documents_proforma_id_billing_documents')),
    sa.ForeignKeyConstraint(['series_id'], ['document_series.id'], name=op.f('fk_billing_documents_series_id_document_series')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_documents')),
    sa.UniqueConstraint('proforma_id', name=op.f('uq_billing_documents_proforma_id')),
    sa.UniqueConstraint('series_id', 'fiscal_year', 'number', name=op.f('uq_billing_documents_series_id_fiscal_year_number'))
    )
    op.create_index(op.f('ix_billing_documents_corrects_id'), 'billing_documents', ['corrects_id'], unique=False)
    op.create_index('ix_billing_documents_customer_id', 'billing_documents', ['customer_id'], unique=False)
    op.create_index('ix_billing_documents_kind_status_due', 'billing_documents', ['kind', 'status', 'due_date'], unique=False)
    op.create_index(op.f('ix_billing_documents_number_text'), 'billing_documents', ['number_text'], unique=False)
    op.create_table('series_counters',
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last_number', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['series_id'], ['document_series.id'], name=op.f('fk_series_counters_series_id_document_series')),
    sa.PrimaryKeyConstraint('series_id', 'year', name=op.f('pk_series_counters'))
    )
    op.create_table('document_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('quantity', sa.String(length=30), nullable=False),
    sa.Column('unit_price_minor', sa.BigInteger(), nullable=False),
    sa.Column('category', sa.String(length=20), nullable=False),
    sa.Column('vat_code', sa.String(length=4), nullable=False),
    sa.Column('vat_rate', sa.String(length=10), nullable=False),
    sa.Column('net_minor', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['billing_documents.id'], name=op.f('fk_document_lines_document_id_billing_documents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_lines')),
    sa.UniqueConstraint('document_id', 'position', name=op.f('uq_document_lines_document_id_position'))
    )
    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.Column('amount_minor', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('reference', sa.String(length=200), nullable=True),
    sa.Column('paid_at', sa.Date(), nullable=False),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['billing_documents.id'], name=op.f('fk_payments_document_id_billing_documents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payments'))
    )
    op.create_index(op.f('ix_payments_document_id'), 'payments', ['document_id'], unique=False)

    now = datetime.now(UTC)
    op.bulk_insert(vat_rates, [
        {
            "country": country, "category": category, "rate": rate,
            "valid_from": datetime.fromisoformat(start).date(),
            "valid_to": datetime.fromisoformat(end).date() if end else None,
            "created_at": now,
        }
        for country, category, rate, start, end in SEED_VAT_RATES
    ])


def downgrade() -> None:
    op.drop_table("payments")
    op.drop_table("document_lines")
    op.drop_table("series_counters")
    op.drop_table("billing_documents")
    op.drop_table("vat_rates")
    op.drop_table("fx_rates")
    op.drop_table("document_series")
