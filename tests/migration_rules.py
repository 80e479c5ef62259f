"""The expand/contract rule, checked by running migrations and recording the Alembic operations they invoke.

A migration after the previous release's newest one (tests/previous_release.py) may only expand the
schema, so that the previous release's processes keep working while both releases run
(docs/ARCHITECTURE.md, "Migrations: expand, then contract"). It must not drop or rename a table or a
column, change a column's type, make a column NOT NULL, or add a NOT NULL column without a server default
(the old code's INSERTs do not name it). Tables and columns created by this release's own migrations are
not the previous release's: later migrations of the same release may still change them.

Every `op.*` and `batch_op.*` call reaches Alembic's one dispatch point, AbstractOperations.invoke, with
an operation object (AddColumnOp, DropTableOp, ...); `recording()` wraps it for the duration, so the
migrations really run (data steps and all) against a real database while their operations are noted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.operations import ops
from alembic.operations.base import AbstractOperations
from alembic.script import ScriptDirectory

from coursehost.db.migrate import MIGRATIONS, alembic_config

# Raw SQL (op.execute) that contracts the schema.
_CONTRACTING_SQL = re.compile(
    r"\bDROP\s+(TABLE|COLUMN)\b|\bRENAME\s+(TO|COLUMN)\b|\bALTER\s+COLUMN\s+\S+\s+(SET\s+DATA\s+)?TYPE\b"
    r"|\bALTER\s+COLUMN\s+\S+\s+SET\s+NOT\s+NULL\b", re.IGNORECASE)


@contextmanager
def recording() -> Iterator[list[ops.MigrateOperation]]:
    """Collect every Alembic operation invoked inside the block (op.* and batch_op.* alike)."""
    seen: list[ops.MigrateOperation] = []
    original = AbstractOperations.invoke

    def invoke(self, operation):
        seen.append(operation)
        return original(self, operation)

    AbstractOperations.invoke = invoke
    try:
        yield seen
    finally:
        AbstractOperations.invoke = original


class ExpandOnly:
    """Judges operations in order; remembers what this release created (which it may still change)."""

    def __init__(self) -> None:
        self.new_tables: set[str] = set()
        self.new_columns: set[tuple[str, str]] = set()

    def _ours(self, table: str, column: str | None = None) -> bool:
        return table in self.new_tables or (column is not None and (table, column) in self.new_columns)

    def contracting(self, op: ops.MigrateOperation) -> str | None:
        """Why OP breaks the previous release, or None when it only expands."""
        if isinstance(op, ops.CreateTableOp):
            self.new_tables.add(op.table_name)
        elif isinstance(op, ops.AddColumnOp):
            column = op.column
            self.new_columns.add((op.table_name, column.name))
            if not column.nullable and column.server_default is None and not self._ours(op.table_name):
                return (f"adds NOT NULL column {op.table_name}.{column.name} without a server default (the previous "
                        "release's INSERTs do not name it): make it nullable or give it a server_default")
        elif isinstance(op, ops.DropTableOp) and not self._ours(op.table_name):
            return f"drops table {op.table_name}"
        elif isinstance(op, ops.RenameTableOp) and not self._ours(op.table_name):
            return f"renames table {op.table_name} to {op.new_table_name}"
        elif isinstance(op, ops.DropColumnOp) and not self._ours(op.table_name, op.column_name):
            return f"drops column {op.table_name}.{op.column_name}"
        elif isinstance(op, ops.AlterColumnOp) and not self._ours(op.table_name, op.column_name):
            return self._altered(op)
        elif isinstance(op, ops.ExecuteSQLOp) and _CONTRACTING_SQL.search(str(op.sqltext)):
            return f"runs SQL that contracts the schema: {str(op.sqltext).strip()[:200]}"
        return None

    @staticmethod
    def _altered(op: ops.AlterColumnOp) -> str | None:
        where = f"{op.table_name}.{op.column_name}"
        if op.modify_name is not None:
            return f"renames column {where} to {op.modify_name}"
        if op.modify_type is not None:
            return f"changes the type of column {where} to {op.modify_type}"
        if op.modify_nullable is False:
            return f"makes column {where} NOT NULL"
        return None


def revisions_after(script: ScriptDirectory, since: str) -> list[str]:
    """The revisions above SINCE up to the head, oldest first."""
    return [s.revision for s in reversed(list(script.iterate_revisions("heads", since)))]


def check_expand_only(url: str, since: str, *, script_location: Path = MIGRATIONS) -> dict[str, list[str]]:
    """Migrate the empty database at URL to SINCE, then each later revision in turn while recording its
    operations; {revision: [why it contracts, ...]} for every revision after SINCE (empty lists: all fine)."""
    cfg = alembic_config(url)
    cfg.set_main_option("script_location", str(script_location))
    command.upgrade(cfg, since)
    judge, found = ExpandOnly(), {}
    for revision in revisions_after(ScriptDirectory.from_config(cfg), since):
        with recording() as seen:
            command.upgrade(cfg, revision)
        found[revision] = [why for op in seen if (why := judge.contracting(op)) is not None]
    return found
