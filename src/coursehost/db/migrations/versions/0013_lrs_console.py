"""the LRS tab: an activity provider allowed on every application of its realm, and a statement
pipe's count of statements forwarded

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-20 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('xapi_credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('all_endpoints', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('statement_pipe', schema=None) as batch_op:
        batch_op.add_column(sa.Column('statements_forwarded', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('xapi_credential', schema=None) as batch_op:
        batch_op.alter_column('all_endpoints', server_default=None)
    with op.batch_alter_table('statement_pipe', schema=None) as batch_op:
        batch_op.alter_column('statements_forwarded', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('statement_pipe', schema=None) as batch_op:
        batch_op.drop_column('statements_forwarded')
    with op.batch_alter_table('xapi_credential', schema=None) as batch_op:
        batch_op.drop_column('all_endpoints')
