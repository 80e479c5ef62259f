"""The expand/contract rule (tests/migration_rules.py): this release's migrations only expand the schema
the previous release's processes use, and the check catches each way a migration could contract it."""

from __future__ import annotations

import shutil
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from coursehost.db.migrate import MIGRATIONS, head_revision
from tests.contract.server_process import fresh_database
from tests.databases import BACKENDS
from tests.migration_rules import ExpandOnly, check_expand_only, recording
from tests.previous_release import PREVIOUS_RELEASE_HEAD


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_migrations_of_this_release_only_expand(tmp_path, backend):
    url, cleanup = fresh_database(backend, tmp_path)
    try:
        found = check_expand_only(url, PREVIOUS_RELEASE_HEAD)
    finally:
        cleanup()
    assert {rev: whys for rev, whys in found.items() if whys} == {}
    assert (head_revision() in found) == (head_revision() != PREVIOUS_RELEASE_HEAD)  # every one up to the head


def _batch(change: Callable) -> Callable:
    def run(op: Operations) -> None:
        with op.batch_alter_table("learner") as batch:
            change(batch)
    return run


CONTRACTING = {
    "drops table learner": lambda op: op.drop_table("learner"),
    "renames table learner to pupil": lambda op: op.rename_table("learner", "pupil"),
    "drops column learner.score": _batch(lambda b: b.drop_column("score")),
    "renames column learner.name to full_name": _batch(lambda b: b.alter_column("name", new_column_name="full_name")),
    "changes the type of column learner.score": _batch(
        lambda b: b.alter_column("score", type_=sa.String(20), existing_type=sa.Integer())),
    "makes column learner.name NOT NULL": _batch(
        lambda b: b.alter_column("name", nullable=False, existing_type=sa.String(50))),
    "adds NOT NULL column learner.level without a server default": _batch(
        lambda b: b.add_column(sa.Column("level", sa.Integer(), nullable=False))),
    "runs SQL that contracts the schema: ALTER TABLE learner DROP COLUMN score":
        lambda op: op.execute("ALTER TABLE learner DROP COLUMN score"),
}


def _expanding(op: Operations) -> None:
    op.create_table("nonce", sa.Column("pk", sa.Integer(), primary_key=True), sa.Column("value", sa.String(64)))
    op.add_column("nonce", sa.Column("seen", sa.Integer(), nullable=False))  # a table of this release
    op.drop_column("nonce", "seen")
    op.add_column("learner", sa.Column("nickname", sa.String(50), nullable=True))
    op.add_column("learner", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_learner_name", "learner", ["name"])
    op.execute("UPDATE learner SET score = 0 WHERE score IS NULL")
    op.drop_table("nonce")


def _judge(migration: Callable[[Operations], None]) -> list[str]:
    """Run MIGRATION's operations for real on a small SQLite schema; the reasons the rule gives."""
    engine = sa.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE learner (pk INTEGER PRIMARY KEY, name VARCHAR(50), score INTEGER)")
        with recording() as seen:
            migration(Operations(MigrationContext.configure(conn)))
    engine.dispose()
    judge = ExpandOnly()
    return [why for op in seen if (why := judge.contracting(op)) is not None]


@pytest.mark.parametrize("reason", list(CONTRACTING))
def test_each_contracting_operation_is_refused(reason):
    whys = _judge(CONTRACTING[reason])
    assert len(whys) == 1 and whys[0].startswith(reason), whys


def test_expanding_operations_pass():
    assert _judge(_expanding) == []


FAKE = '''"""a deliberately contracting migration (test)

Revision ID: 0999
Revises: {head}
"""
import sqlalchemy as sa
from alembic import op

revision = "0999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("nonce", sa.Column("pk", sa.Integer(), primary_key=True))
    with op.batch_alter_table("registration") as batch:
        batch.add_column(sa.Column("shard", sa.Integer(), nullable=True))
        batch.drop_column("postback")


def downgrade() -> None:
    raise NotImplementedError
'''


def test_a_contracting_migration_file_fails_the_check(tmp_path):
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts, ignore=shutil.ignore_patterns("__pycache__"))
    (scripts / "versions" / "0999_contracting.py").write_text(FAKE.format(head=head_revision()))
    found = check_expand_only(f"sqlite:///{tmp_path / 'fake.db'}", PREVIOUS_RELEASE_HEAD, script_location=scripts)
    assert found["0999"] == ["drops column registration.postback"]
    assert {rev: whys for rev, whys in found.items() if rev != "0999" and whys} == {}
