"""post-loan risk signals' feeds: provider events (court enforcement, tax arrears, a new overdue at the credit
bureau, a blacklist hit, deposit balance snapshots) per customer, imported from the providers' files or
written by an adapter; the guarantor's ID number beside the guarantor's name on the application, so a
guarantor's own overdue loan can be found

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'provider_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('observed_on', sa.Date(), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('reference', sa.String(length=64), nullable=False, server_default=''),
        sa.Column('amount', sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column('detail', sa.String(length=200), nullable=False, server_default=''),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customer.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('customer_id', 'kind', 'observed_on', 'source', name='uq_provider_event'),
    )
    op.create_index('ix_provider_event_observed_on', 'provider_event', ['observed_on'], unique=False)
    op.create_index('ix_provider_event_recorded_at', 'provider_event', ['recorded_at'], unique=False)
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('guarantor_id_number', sa.String(length=18), nullable=True))
        batch_op.create_index('ix_application_guarantor_id_number', ['guarantor_id_number'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_guarantor_id_number')
        batch_op.drop_column('guarantor_id_number')
    op.drop_index('ix_provider_event_recorded_at', table_name='provider_event')
    op.drop_index('ix_provider_event_observed_on', table_name='provider_event')
    op.drop_table('provider_event')
