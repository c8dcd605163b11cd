"""one-time passwords under dual control (a reset an admin asks for waits for a second person; the user then
replaces it at first sign-in), and post-loan signals and inspections: the loan's managing officer, risk signals (with the rule that fired
and its evidence) and the inspection lifecycle (due, raised as of a business date, done or recorded
off-site, with its SLA and escalation)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_change_required', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('pending_password_hash', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('pending_password_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pending_password_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('officer', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_loan_officer', ['officer'], unique=False)
    op.create_table(
        'risk_signal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('as_of', sa.Date(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('rule_id', sa.String(length=64), nullable=False),
        sa.Column('severity', sa.String(length=16), nullable=False),
        sa.Column('onsite', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False, server_default='open'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['loan_id'], ['loan.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('loan_id', 'code', 'as_of', name='uq_risk_signal_loan_code_as_of'),
    )
    op.create_index('ix_risk_signal_as_of_code', 'risk_signal', ['as_of', 'code'], unique=False)
    op.create_table(
        'loan_inspection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('loan_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('mode', sa.String(length=16), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('raised_on', sa.Date(), nullable=False),
        sa.Column('sla_due_on', sa.Date(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('officer', sa.String(length=64), nullable=True),
        sa.Column('signal_id', sa.Integer(), nullable=True),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('escalated_on', sa.Date(), nullable=True),
        sa.Column('escalated_to', sa.String(length=64), nullable=True),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['loan_id'], ['loan.id']),
        sa.ForeignKeyConstraint(['signal_id'], ['risk_signal.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('loan_id', 'kind', 'due_on', name='uq_loan_inspection_loan_kind_due'),
    )
    op.create_index('ix_loan_inspection_officer_status', 'loan_inspection', ['officer', 'status'], unique=False)
    op.create_index('ix_loan_inspection_loan_status', 'loan_inspection', ['loan_id', 'status'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_loan_inspection_loan_status', table_name='loan_inspection')
    op.drop_index('ix_loan_inspection_officer_status', table_name='loan_inspection')
    op.drop_table('loan_inspection')
    op.drop_index('ix_risk_signal_as_of_code', table_name='risk_signal')
    op.drop_table('risk_signal')
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_index('ix_loan_officer')
        batch_op.drop_column('officer')
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        for column in ('pending_password_at', 'pending_password_by', 'pending_password_hash',
                       'password_change_required'):
            batch_op.drop_column(column)
