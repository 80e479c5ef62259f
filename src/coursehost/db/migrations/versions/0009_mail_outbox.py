"""the e-mail outbox (mail_message): messages queued in the caller's transaction, sent by a job

Revision ID: 0009
Revises: 0007
Create Date: 2026-12-10 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('mail_message',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('to_address', sa.String(length=320), nullable=False),
    sa.Column('reply_to', sa.String(length=320), nullable=True),
    sa.Column('subject', sa.String(length=500), nullable=False),
    sa.Column('text_body', sa.Text(), nullable=False),
    sa.Column('html_body', sa.Text(), nullable=True),
    sa.Column('template', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_via', sa.String(length=1000), nullable=True),
    sa.Column('created', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent', coursehost.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_mail_message')),
    sa.UniqueConstraint('token', name=op.f('uq_mail_message_token'))
    )
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mail_message_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_message_status'))
    op.drop_table('mail_message')
