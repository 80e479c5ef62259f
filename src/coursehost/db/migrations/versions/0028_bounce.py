"""bounce: when a sent message bounced, with the DSN's Status and Diagnostic-Code (expand-only)

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 16:30:00
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only (rolling upgrades): nullable columns the previous release never reads or writes. A
    # message it reads with the new status 'bounced' shows there as waiting, until it is upgraded too.
    with op.batch_alter_table('mail_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bounced', coursehost.db.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('bounce_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('bounce_diagnostic', sa.Text(), nullable=True))


def downgrade() -> None:
    # Not in batch mode: on SQLite a batch copies the table and drops the old one, which with foreign
    # keys on would touch the invitations that reference these messages. DROP COLUMN keeps the rows.
    for column in ('bounce_diagnostic', 'bounce_status', 'bounced'):
        op.drop_column('mail_message', column)
