"""ops: the request id that enqueued a job; an index for the jobs-per-kind metrics (expand-only)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 13:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only (rolling upgrades): a nullable column the previous release never reads or writes,
    # and an index; the previous release's processes keep working against this schema.
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_job_status_kind', ['status', 'kind'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_index('ix_job_status_kind')
        batch_op.drop_column('request_id')
