"""shared state of many processes: failed-authentication windows and LRS OAuth nonces (expand-only)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 13:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('auth_failure_window',
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('window_start', sa.Float(), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'kind', 'name', name=op.f('pk_auth_failure_window'))
    )
    with op.batch_alter_table('auth_failure_window', schema=None) as batch_op:
        batch_op.create_index('ix_auth_failure_window_start', ['window_start'], unique=False)

    op.create_table('lrs_oauth_nonce',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('consumer_key', sa.String(length=255), nullable=False),
    sa.Column('timestamp', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=255), nullable=False),
    sa.Column('expires', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_lrs_oauth_nonce')),
    sa.UniqueConstraint('consumer_key', 'timestamp', 'nonce', name=op.f('uq_lrs_oauth_nonce_consumer_key'))
    )
    with op.batch_alter_table('lrs_oauth_nonce', schema=None) as batch_op:
        batch_op.create_index('ix_lrs_oauth_nonce_expires', ['expires'], unique=False)


def downgrade() -> None:
    op.drop_table('lrs_oauth_nonce')
    op.drop_table('auth_failure_window')
