"""Alembic environment: the URL comes from the caller (coursehost.db.migrate), never from a file."""

from __future__ import annotations

from alembic import context

from coursehost.db import models  # noqa: F401  (registers every table)
from coursehost.db.base import Base
from coursehost.db.session import make_engine

config = context.config
connection = config.attributes.get("connection")


def _run(conn) -> None:
    context.configure(
        connection=conn,
        target_metadata=Base.metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()
