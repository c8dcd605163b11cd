"""test runs: a designer's test-run instances are marked, so that their tasks stay with the designer
and monitoring can leave them out

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_test', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index('ix_process_instance_is_test', ['is_test'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_is_test')
        batch_op.drop_column('is_test')
