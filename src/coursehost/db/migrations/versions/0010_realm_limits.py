"""realm limits: storage, registrations (resettable or not), and linked realms sharing them

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-10 10:00:00.000000

registrations_used starts at the realm's registrations that exist (sandbox ones excepted): what
was created before the limits existed counts once, like anything created after.
"""
import sqlalchemy as sa
from alembic import op

import coursehost.db.base

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('realm', schema=None) as batch_op:
        batch_op.add_column(sa.Column('storage_limit_bytes', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('registration_limit', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('registrations_resettable', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('registrations_used', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('registrations_reset', coursehost.db.base.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('limits_realm_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_realm_limits_realm_id'), ['limits_realm_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_realm_limits_realm_id_realm'), 'realm', ['limits_realm_id'],
                                    ['id'], ondelete='SET NULL')
    op.execute(
        "UPDATE realm SET registrations_used = (SELECT count(*) FROM registration r "
        "JOIN application a ON a.pk = r.application_pk WHERE a.realm_id = realm.id AND r.sandbox = false)"
    )
    with op.batch_alter_table('realm', schema=None) as batch_op:
        batch_op.alter_column('registrations_resettable', server_default=None)
        batch_op.alter_column('registrations_used', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('realm', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_realm_limits_realm_id_realm'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_realm_limits_realm_id'))
        batch_op.drop_column('limits_realm_id')
        batch_op.drop_column('registrations_reset')
        batch_op.drop_column('registrations_used')
        batch_op.drop_column('registrations_resettable')
        batch_op.drop_column('registration_limit')
        batch_op.drop_column('storage_limit_bytes')
