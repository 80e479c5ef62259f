"""xAPI credential and statement pipe ids are unique per application, not across the instance

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:10:00.000000

A global unique id let one application learn, from a 409, which ids another application uses
(issue 13, item 10). Rows already stored are unique globally, hence per application too.
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('xapi_credential', schema=None) as batch_op:
        batch_op.drop_constraint('uq_xapi_credential_id', type_='unique')
        batch_op.create_unique_constraint('uq_xapi_credential_app_id', ['application_pk', 'credential_id'])
    with op.batch_alter_table('statement_pipe', schema=None) as batch_op:
        batch_op.drop_constraint('uq_statement_pipe_id', type_='unique')
        batch_op.create_unique_constraint('uq_statement_pipe_app_id', ['application_pk', 'pipe_id'])


def downgrade() -> None:
    # Fails if two applications have come to use the same id; rename one of them first.
    with op.batch_alter_table('statement_pipe', schema=None) as batch_op:
        batch_op.drop_constraint('uq_statement_pipe_app_id', type_='unique')
        batch_op.create_unique_constraint('uq_statement_pipe_id', ['pipe_id'])
    with op.batch_alter_table('xapi_credential', schema=None) as batch_op:
        batch_op.drop_constraint('uq_xapi_credential_app_id', type_='unique')
        batch_op.create_unique_constraint('uq_xapi_credential_id', ['credential_id'])
