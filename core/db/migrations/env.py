"""Alembic environment: always runs on a connection handed in by core.db.migrate."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from core.db.search_index import include_name
from core.db.tables import metadata


def run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=include_name,  # type: ignore[arg-type]
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through 'telegramvault db upgrade' (core.db.migrate)")
run(connection)
