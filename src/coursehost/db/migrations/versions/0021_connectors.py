"""content connectors

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 10:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('content_connector',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('application_pk', sa.Integer(), nullable=False),
    sa.Column('connector_id', sa.String(length=64), nullable=False),
    sa.Column('connector_type', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.String(length=2000), nullable=False),
    sa.Column('configuration', sa.JSON(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_pk'], ['application.pk'], name=op.f('fk_content_connector_application_pk_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_content_connector')),
    sa.UniqueConstraint('application_pk', 'connector_id', name=op.f('uq_content_connector_application_pk'))
    )
    with op.batch_alter_table('content_connector', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_content_connector_client_id'), ['client_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('content_connector', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_content_connector_client_id'))
    op.drop_table('content_connector')
