"""xsum: daily xAPI statement counts per course (verb, activity, activity and actor) for the reports

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 17:20:00
"""
import sqlalchemy as sa
from alembic import op

from coursehost.domain.lrs.statement_counts import rebuild

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None


def _counts(name: str, *keys: sa.Column) -> None:
    op.create_table(name,
    sa.Column('application_pk', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('course_id', sa.String(length=255), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    *keys,
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['application_pk'], ['application.pk'], name=op.f(f'fk_{name}_application_pk_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('application_pk', 'course_id', 'day', *(k.name for k in keys), name=op.f(f'pk_{name}'))
    )


def upgrade() -> None:
    # Expand-only: three new tables and an index. The previous release neither reads nor writes the
    # tables; statements it stores during a rolling upgrade are missing from the counts until
    # `coursehost reports rebuild` runs once every node is upgraded.
    _counts('report_xapi_verb_day', sa.Column('verb_id', sa.Text(), nullable=False))
    _counts('report_xapi_activity_day', sa.Column('activity_id', sa.Text(), nullable=False))
    _counts('report_xapi_actor_day', sa.Column('activity_id', sa.Text(), nullable=False),
            sa.Column('actor_key', sa.Text(), nullable=False))
    with op.batch_alter_table('report_xapi_verb_day', schema=None) as batch_op:
        batch_op.create_index('ix_report_xapi_verb_day_app_day', ['application_pk', 'day', 'verb_id', 'n'], unique=False)
    with op.batch_alter_table('report_xapi_activity_day', schema=None) as batch_op:
        batch_op.create_index('ix_report_xapi_activity_day_app_day', ['application_pk', 'day', 'activity_id', 'n'], unique=False)
    with op.batch_alter_table('report_xapi_actor_day', schema=None) as batch_op:
        batch_op.create_index('ix_report_xapi_actor_day_app_day', ['application_pk', 'day', 'activity_id', 'actor_key', 'n'], unique=False)
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.create_index('ix_registration_app_xapi', ['application_pk', 'xapi_registration_id'], unique=False)
    # Backfill from the statements stored so far (the same SQL as `coursehost reports rebuild`).
    rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_registration_app_xapi', table_name='registration')  # (no batch: never a table copy)
    for name in ('report_xapi_actor_day', 'report_xapi_activity_day', 'report_xapi_verb_day'):
        op.drop_table(name)
