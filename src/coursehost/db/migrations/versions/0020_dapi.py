"""destination hash user info

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 10:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # the destination's own flag (UpdateDestinationHashUserInfo); new dispatches start with it
    with op.batch_alter_table('dispatch_destination', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash_user_info', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('dispatch_destination', schema=None) as batch_op:
        batch_op.drop_column('hash_user_info')
