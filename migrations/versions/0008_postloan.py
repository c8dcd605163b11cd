"""post-loan: repayments, paid amounts per instalment, overdue amounts, classification history and
upgrade proposals, nightly runs (the business date)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MONEY = sa.Numeric(precision=18, scale=2)


def upgrade() -> None:
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('overdue_principal', MONEY, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('overdue_interest', MONEY, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('closed_at', sa.Date(), nullable=True))
    with op.batch_alter_table('schedule_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_principal', MONEY, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('paid_interest', MONEY, nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('paid_at', sa.Date(), nullable=True))
    op.create_table(
        'repayment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('txn_id', sa.String(length=64), nullable=False),
        sa.Column('paid_at', sa.Date(), nullable=False),
        sa.Column('amount', MONEY, nullable=False),
        sa.Column('interest', MONEY, nullable=False),
        sa.Column('principal', MONEY, nullable=False),
        sa.Column('prepaid', MONEY, nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('recorded_by', sa.String(length=64), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['loan_id'], ['loan.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('txn_id'),
    )
    op.create_index('ix_repayment_loan_id', 'repayment', ['loan_id'], unique=False)
    op.create_table(
        'loan_classification',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('from_code', sa.String(length=16), nullable=False),
        sa.Column('to_code', sa.String(length=16), nullable=False),
        sa.Column('days_past_due', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(['loan_id'], ['loan.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_loan_classification_loan_as_of', 'loan_classification', ['loan_id', 'as_of'], unique=False)
    op.create_table(
        'classification_proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('from_code', sa.String(length=16), nullable=False),
        sa.Column('to_code', sa.String(length=16), nullable=False),
        sa.Column('days_past_due', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('decided_by', sa.String(length=64), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['loan_id'], ['loan.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_classification_proposal_loan_status', 'classification_proposal', ['loan_id', 'status'],
                    unique=False)
    op.create_table(
        'postloan_run',
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('as_of'),
    )


def downgrade() -> None:
    op.drop_table('postloan_run')
    op.drop_index('ix_classification_proposal_loan_status', table_name='classification_proposal')
    op.drop_table('classification_proposal')
    op.drop_index('ix_loan_classification_loan_as_of', table_name='loan_classification')
    op.drop_table('loan_classification')
    op.drop_index('ix_repayment_loan_id', table_name='repayment')
    op.drop_table('repayment')
    with op.batch_alter_table('schedule_line', schema=None) as batch_op:
        batch_op.drop_column('paid_at')
        batch_op.drop_column('paid_interest')
        batch_op.drop_column('paid_principal')
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('overdue_interest')
        batch_op.drop_column('overdue_principal')
