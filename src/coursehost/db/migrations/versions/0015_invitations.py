"""invitations (public links) private ones sent by e-mail, and the people who registered through them

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-22 10:00:00.000000
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool) -> sa.Column:
    return sa.Column(name, coursehost.db.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('invitation',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.String(length=64), nullable=False),
    sa.Column('application_pk', sa.Integer(), nullable=False),
    sa.Column('course_pk', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.String(length=255), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('creating_user_email', sa.String(length=320), nullable=False),
    sa.Column('allow_launch', sa.Boolean(), nullable=False),
    sa.Column('allow_new_registrations', sa.Boolean(), nullable=False),
    sa.Column('registration_cap', sa.Integer(), nullable=False),
    _when('expiration_date', True),
    sa.Column('postback', sa.JSON(), nullable=False),
    sa.Column('email_subject', sa.Text(), nullable=True),
    sa.Column('email_body', sa.Text(), nullable=True),
    sa.Column('addresses', sa.JSON(), nullable=False),
    sa.Column('duplicate_option', sa.String(length=32), nullable=True),
    sa.Column('job_status', sa.String(length=16), nullable=True),
    sa.Column('job_processed', sa.Integer(), nullable=False),
    sa.Column('job_errors', sa.JSON(), nullable=False),
    _when('created', False), _when('updated', False),
    sa.ForeignKeyConstraint(['application_pk'], ['application.pk'],
                            name=op.f('fk_invitation_application_pk_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['course_pk'], ['course.pk'], name=op.f('fk_invitation_course_pk_course'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_invitation')),
    sa.UniqueConstraint('invitation_id', name=op.f('uq_invitation_invitation_id'))
    )
    with op.batch_alter_table('invitation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_application_pk'), ['application_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_course_pk'), ['course_pk'], unique=False)
        batch_op.create_index('ix_invitation_app_created', ['application_pk', 'created', 'pk'], unique=False)
        batch_op.create_index('ix_invitation_app_updated', ['application_pk', 'updated', 'pk'], unique=False)
    op.create_table('user_invitation',
    sa.Column('pk', sa.Integer(), nullable=False),
    sa.Column('invitation_pk', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('registration_id', sa.String(length=255), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=True),
    _when('created', False), _when('updated', False),
    sa.ForeignKeyConstraint(['invitation_pk'], ['invitation.pk'],
                            name=op.f('fk_user_invitation_invitation_pk_invitation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pk', name=op.f('pk_user_invitation')),
    sa.UniqueConstraint('invitation_pk', 'email', name=op.f('uq_user_invitation_invitation_pk')),
    sa.UniqueConstraint('token', name=op.f('uq_user_invitation_token'))
    )
    with op.batch_alter_table('user_invitation', schema=None) as batch_op:
        batch_op.create_index('ix_user_invitation_inv_created', ['invitation_pk', 'created', 'pk'], unique=False)


def downgrade() -> None:
    op.drop_table('user_invitation')
    op.drop_table('invitation')
