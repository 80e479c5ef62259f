"""immut: a content generation per course version, so content URLs can be cached as immutable (expand-only)

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 16:30:00
"""
import sqlalchemy as sa
from alembic import op

from coursehost.db.base import UTCDateTime

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Expand-only (rolling upgrades): a column with a server default and a nullable one; the previous
    # release never reads them (its writes leave the generation as it is: its URLs carry none).
    with op.batch_alter_table('course_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('content_generation', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('content_changed', UTCDateTime(), nullable=True))
    # The generation of an existing version began when its files were last written (the import, the
    # asset API: the latest of its files' record and its own last update).
    op.execute("UPDATE course_version SET content_changed = CASE"
               " WHEN (SELECT MAX(f.modified) FROM course_file f WHERE f.course_version_pk = course_version.pk)"
               " > updated"
               " THEN (SELECT MAX(f.modified) FROM course_file f WHERE f.course_version_pk = course_version.pk)"
               " ELSE updated END")


def downgrade() -> None:
    # Not in batch mode: on SQLite that copies course_version into a new table and drops the old one,
    # and with foreign keys on, the drop deletes every registration instance (and its run-time data)
    # that references a version. ALTER TABLE DROP COLUMN (SQLite >= 3.35) keeps the rows.
    op.drop_column('course_version', 'content_changed')
    op.drop_column('course_version', 'content_generation')
