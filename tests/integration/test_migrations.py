"""Migrations build exactly the declared schema on both dialects, and come back down cleanly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from core.db import migrate
from core.db.database import Database
from core.db.search_index import include_name
from core.db.tables import metadata


def _schema_diff(sync: Connection) -> list[Any]:
    def include_object(obj: Any, name: str | None, type_: str, *_: Any) -> bool:
        # The PostgreSQL search column and expression indexes are created by raw DDL on purpose.
        return name not in {"search_vector", "ix_messages_search_vector", "ix_messages_text_trgm"}

    context = MigrationContext.configure(
        sync,
        opts={"include_name": include_name, "include_object": include_object,
              "compare_type": False},
    )  # fmt: skip
    return list(compare_metadata(context, metadata))


def _table_names(sync: Connection) -> set[str]:
    return set(inspect(sync).get_table_names())


async def test_upgrade_to_head_matches_the_declared_schema(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        assert await migrate.current_revision(db.engine) is None
        await migrate.upgrade(db.engine)
        assert await migrate.is_up_to_date(db.engine)
        async with db.engine.connect() as conn:
            diff = await conn.run_sync(_schema_diff)
            tables = await conn.run_sync(_table_names)
        assert diff == []
        assert set(metadata.tables) <= tables
    finally:
        await db.dispose()


async def test_downgrade_to_base_removes_everything(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine)
        await migrate.downgrade(db.engine, "base")
        async with db.engine.connect() as conn:
            tables = await conn.run_sync(_table_names)
        assert tables <= {"alembic_version"}
        await migrate.upgrade(db.engine)  # and up again: the downgrade left nothing behind
        assert await migrate.is_up_to_date(db.engine)
    finally:
        await db.dispose()


async def test_search_language_is_recorded(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine, fts_language="spanish")
        async with db.reader() as uow:
            rows: Mapping[str, Any] = dict(
                (await uow.connection.exec_driver_sql("SELECT key, value FROM vault_meta")).all()
            )
        assert rows["fts_language"] == "spanish"
    finally:
        await db.dispose()
