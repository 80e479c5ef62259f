"""console users: the operator flag (who may set realms' limits in the console)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 08:00:00.000000

The operator runs the installation: like the `coursehost realm limits` command, they set any realm's
storage and registration limits from the Account tab. On an existing installation the owners of the
first realm (the one `coursehost serve` made) become operators; `coursehost user create --operator`
makes more.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('console_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.execute(
        "UPDATE console_user SET operator = true WHERE id IN (SELECT m.user_id FROM realm_membership m "
        "WHERE m.role = 'owner' AND m.realm_id = (SELECT min(id) FROM realm))")


def downgrade() -> None:
    with op.batch_alter_table('console_user', schema=None) as batch_op:
        batch_op.drop_column('operator')
