"""external LMS configurations, the course each sends from, and the result changes to deliver

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-21 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, coursehost.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('lms_configuration',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.String(length=64), nullable=False),
    sa.Column('realm_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('contact_email', sa.String(length=320), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('properties', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    _when('error_since', True), _when('created', False), _when('updated', False),
    sa.ForeignKeyConstraint(['realm_id'], ['realm.id'], name=op.f('fk_lms_configuration_realm_id_realm'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_lms_configuration')),
    sa.UniqueConstraint('config_id', name=op.f('uq_lms_configuration_config_id'))
    )
    with op.batch_alter_table('lms_configuration', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_configuration_realm_id'), ['realm_id'], unique=False)
    op.create_table('lms_course_link',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('course_pk', sa.Integer(), nullable=False),
    sa.Column('configuration_pk', sa.Integer(), nullable=False),
    _when('created', False),
    sa.ForeignKeyConstraint(['course_pk'], ['course.pk'], name=op.f('fk_lms_course_link_course_pk_course'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['configuration_pk'], ['lms_configuration.pk'],
                            name=op.f('fk_lms_course_link_configuration_pk_lms_configuration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_lms_course_link')),
    sa.UniqueConstraint('course_pk', name=op.f('uq_lms_course_link_course_pk'))
    )
    with op.batch_alter_table('lms_course_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lms_course_link_configuration_pk'), ['configuration_pk'], unique=False)
    op.create_table('lms_result',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('configuration_pk', sa.Integer(), nullable=False),
    sa.Column('registration_pk', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('verb', sa.String(length=16), nullable=False),
    sa.Column('completion', sa.String(length=16), nullable=False),
    sa.Column('success', sa.String(length=16), nullable=False),
    sa.Column('score_scaled', sa.Float(), nullable=True),
    sa.Column('total_seconds', sa.Float(), nullable=False),
    _when('occurred', False),
    sa.Column('statement_id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    _when('delivered', True),
    sa.ForeignKeyConstraint(['configuration_pk'], ['lms_configuration.pk'],
                            name=op.f('fk_lms_result_configuration_pk_lms_configuration'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_pk'], ['registration.pk'],
                            name=op.f('fk_lms_result_registration_pk_registration'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_lms_result')),
    sa.UniqueConstraint('configuration_pk', 'registration_pk', 'seq',
                        name=op.f('uq_lms_result_configuration_pk'))
    )
    with op.batch_alter_table('lms_result', schema=None) as batch_op:
        batch_op.create_index('ix_lms_result_config_status', ['configuration_pk', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_lms_result_registration_pk'), ['registration_pk'], unique=False)


def downgrade() -> None:
    op.drop_table('lms_result')
    op.drop_table('lms_course_link')
    op.drop_table('lms_configuration')
