"""launch_log_share: revocable, expiring read-only links to one launch's debug log (console)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('launch_log_share',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('share_id', sa.String(length=32), nullable=False),
    sa.Column('launch_pk', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.String(length=320), nullable=False),
    sa.Column('created', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked', coursehost.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['launch_pk'], ['launch.pk'], name=op.f('fk_launch_log_share_launch_pk_launch'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_launch_log_share')),
    sa.UniqueConstraint('share_id', name=op.f('uq_launch_log_share_share_id'))
    )
    with op.batch_alter_table('launch_log_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_launch_log_share_launch_pk'), ['launch_pk'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('launch_log_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_launch_log_share_launch_pk'))
    op.drop_table('launch_log_share')
