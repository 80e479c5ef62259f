"""console users, realm memberships, sessions, sign-in links

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 05:15:53.662771

The console (issue 15): users (e-mail unique case-insensitively through email_key, an argon2 hash,
lock-out after failed sign-ins), their role per realm, server-side sessions (the token's digest,
never the token) and one-time sign-in links.
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('console_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('email_key', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('lockout_minutes', sa.Integer(), nullable=False),
    sa.Column('failed_signins', sa.Integer(), nullable=False),
    sa.Column('locked_until', coursehost.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_user')),
    sa.UniqueConstraint('email_key', name=op.f('uq_console_user_email_key'))
    )
    op.create_table('console_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('realm_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sa.String(length=64), nullable=False),
    sa.Column('created', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['realm_id'], ['realm.id'], name=op.f('fk_console_session_realm_id_realm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['console_user.id'], name=op.f('fk_console_session_user_id_console_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_session')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_console_session_token_digest'))
    )
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.create_index('ix_console_session_user', ['user_id', 'revoked'], unique=False)

    op.create_table('console_signin_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_digest', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used', coursehost.db.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['console_user.id'], name=op.f('fk_console_signin_link_user_id_console_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_signin_link')),
    sa.UniqueConstraint('token_digest', name=op.f('uq_console_signin_link_token_digest'))
    )
    with op.batch_alter_table('console_signin_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_signin_link_user_id'), ['user_id'], unique=False)

    op.create_table('realm_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('realm_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created', coursehost.db.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['realm_id'], ['realm.id'], name=op.f('fk_realm_membership_realm_id_realm'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['console_user.id'], name=op.f('fk_realm_membership_user_id_console_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_realm_membership')),
    sa.UniqueConstraint('user_id', 'realm_id', name='uq_realm_membership_user_realm')
    )
    with op.batch_alter_table('realm_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_realm_membership_realm_id'), ['realm_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('realm_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_realm_membership_realm_id'))

    op.drop_table('realm_membership')
    with op.batch_alter_table('console_signin_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_console_signin_link_user_id'))

    op.drop_table('console_signin_link')
    with op.batch_alter_table('console_session', schema=None) as batch_op:
        batch_op.drop_index('ix_console_session_user')

    op.drop_table('console_session')
    op.drop_table('console_user')
