"""report facts: interactions and objectives per registration activity (filled from the run-time data)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 10:43:27.583205
"""
import json
from datetime import date

import sqlalchemy as sa
from alembic import op

# pure functions (no ORM models): they read the run-time JSON the way every later commit will
from coursehost.domain.reports.facts import interaction_fact, objective_fact
from coursehost.domain.standards import RuntimeFamily, family

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_interaction',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('application_pk', sa.Integer(), nullable=False),
    sa.Column('course_pk', sa.Integer(), nullable=False),
    sa.Column('registration_pk', sa.Integer(), nullable=False),
    sa.Column('instance_pk', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=1000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=1000), nullable=True),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=64), nullable=True),
    sa.Column('correct', sa.Boolean(), nullable=True),
    sa.Column('learner_response', sa.String(length=255), nullable=True),
    sa.Column('latency_seconds', sa.Float(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['application_pk'], ['application.pk'], name=op.f('fk_report_interaction_application_pk_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_pk'], ['course.pk'], name=op.f('fk_report_interaction_course_pk_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_pk'], ['registration_instance.pk'], name=op.f('fk_report_interaction_instance_pk_registration_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_pk'], ['registration.pk'], name=op.f('fk_report_interaction_registration_pk_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_report_interaction')),
    sa.UniqueConstraint('instance_pk', 'activity_id', 'position', name=op.f('uq_report_interaction_instance_pk'))
    )
    with op.batch_alter_table('report_interaction', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_interaction_application_pk'), ['application_pk'], unique=False)
        batch_op.create_index('ix_report_interaction_course', ['course_pk', 'day', 'interaction_id', 'learner_response', 'correct', 'latency_seconds'], unique=False)
        batch_op.create_index('ix_report_interaction_question', ['course_pk', 'interaction_id', 'pk'], unique=False)
        batch_op.create_index('ix_report_interaction_registration', ['registration_pk'], unique=False)

    op.create_table('report_objective',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('application_pk', sa.Integer(), nullable=False),
    sa.Column('course_pk', sa.Integer(), nullable=False),
    sa.Column('registration_pk', sa.Integer(), nullable=False),
    sa.Column('instance_pk', sa.Integer(), nullable=False),
    sa.Column('activity_id', sa.String(length=1000), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('objective_id', sa.String(length=255), nullable=False),
    sa.Column('success', sa.String(length=16), nullable=False),
    sa.Column('completion', sa.String(length=16), nullable=False),
    sa.Column('score_scaled', sa.Float(), nullable=True),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['application_pk'], ['application.pk'], name=op.f('fk_report_objective_application_pk_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_pk'], ['course.pk'], name=op.f('fk_report_objective_course_pk_course'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instance_pk'], ['registration_instance.pk'], name=op.f('fk_report_objective_instance_pk_registration_instance'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_pk'], ['registration.pk'], name=op.f('fk_report_objective_registration_pk_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_report_objective')),
    sa.UniqueConstraint('instance_pk', 'activity_id', 'position', name=op.f('uq_report_objective_instance_pk'))
    )
    with op.batch_alter_table('report_objective', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_objective_application_pk'), ['application_pk'], unique=False)
        batch_op.create_index('ix_report_objective_course', ['course_pk', 'day', 'objective_id', 'success'], unique=False)
        batch_op.create_index('ix_report_objective_registration', ['registration_pk'], unique=False)
    _backfill()


_STATES = sa.text("""
    SELECT s.pk, s.instance_pk, s.activity_id, s.runtime, s.last_access, s.updated,
           r.pk, r.application_pk, r.course_pk, v.learning_standard
    FROM activity_state s
    JOIN registration_instance i ON i.pk = s.instance_pk
    JOIN registration r ON r.pk = i.registration_pk
    JOIN course_version v ON v.pk = i.course_version_pk
    WHERE r.sandbox = :no AND s.pk > :last ORDER BY s.pk LIMIT 500""")


def _backfill() -> None:
    """Facts of every activity state already stored (sandbox registrations never count), in
    keyset batches; a fact's day is its activity's last access."""
    conn = op.get_bind()
    meta = sa.MetaData()
    tables = {name: sa.Table(name, meta, autoload_with=conn) for name in ("report_interaction", "report_objective")}
    last = 0
    while True:
        rows = conn.execute(_STATES, {"no": False, "last": last}).all()
        if not rows:
            return
        out: dict[str, list[dict]] = {"report_interaction": [], "report_objective": []}
        for pk, inst_pk, activity_id, runtime, last_access, updated, reg_pk, app_pk, course_pk, standard in rows:
            last = pk
            fam = family(standard)
            runtime = json.loads(runtime) if isinstance(runtime, str) else runtime
            if fam is None or not isinstance(runtime, dict):
                continue
            day = date.fromisoformat(str(last_access or updated)[:10])
            base = {"application_pk": app_pk, "course_pk": course_pk, "registration_pk": reg_pk,
                    "instance_pk": inst_pk, "activity_id": activity_id, "day": day}
            for key, table, make in (("interactions", "report_interaction", interaction_fact),
                                     ("objectives", "report_objective", objective_fact)):
                items = runtime.get(key) if isinstance(runtime.get(key), list) else []
                facts = (make(n, item, fam == RuntimeFamily.SCORM12) for n, item in enumerate(items))
                out[table] += [{**base, **vars(fact)} for fact in facts if fact is not None]
        for name, values in out.items():
            if values:
                conn.execute(tables[name].insert(), values)


def downgrade() -> None:
    with op.batch_alter_table('report_objective', schema=None) as batch_op:
        batch_op.drop_index('ix_report_objective_registration')
        batch_op.drop_index('ix_report_objective_course')
        batch_op.drop_index(batch_op.f('ix_report_objective_application_pk'))

    op.drop_table('report_objective')
    with op.batch_alter_table('report_interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_report_interaction_registration')
        batch_op.drop_index('ix_report_interaction_question')
        batch_op.drop_index('ix_report_interaction_course')
        batch_op.drop_index(batch_op.f('ix_report_interaction_application_pk'))

    op.drop_table('report_interaction')
