"""Migrations build exactly the declared schema on both dialects, and come back down cleanly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from core.db import migrate
from core.db.database import Database
from core.db.search_index import include_name
from core.db.tables import metadata
from tests.integration.test_search_corpus import archive, ids_of, service

SEARCH_0002_INDEXES = {
    "ix_messages_media_kind_date",
    "ix_messages_date_deleted",
    "ix_messages_date_edited",
    "ix_messages_date_forwarded",
}


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


def _message_indexes(sync: Connection) -> set[str]:
    return {str(index["name"]) for index in inspect(sync).get_indexes("messages")}


async def _fold(db: Database, value: str) -> str:
    async with db.engine.connect() as conn:
        result = await conn.execute(text("SELECT tv_fold(:value)"), {"value": value})
        return str(result.scalar_one())


async def test_search_refinements_keep_messages_archived_before_them(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine, "0001")
        await archive(db)
        async with db.engine.connect() as conn:
            assert not await conn.run_sync(_message_indexes) & SEARCH_0002_INDEXES
        await migrate.upgrade(db.engine, "0002")
        search = service(db)
        assert set(await ids_of(search, "info")) == {2, 16}  # words inside a URL and an e-mail
        assert set(await ids_of(search, "أحمد")) == {9}
        assert set(await ids_of(search, "harbour is:edited")) == {18}
        async with db.engine.connect() as conn:
            assert await conn.run_sync(_message_indexes) >= SEARCH_0002_INDEXES
        if db.dialect == "postgresql":
            assert await _fold(db, "أَحْمَد") == "احمد"
        await migrate.downgrade(db.engine, "0001")
        async with db.engine.connect() as conn:
            assert not await conn.run_sync(_message_indexes) & SEARCH_0002_INDEXES
        if db.dialect == "postgresql":  # 0001's fold again, and its search column
            assert await _fold(db, "أَحْمَد") == "أَحْمَد"
        assert set(await ids_of(service(db), "telefono")) == {1}
        await migrate.upgrade(db.engine)
        assert set(await ids_of(service(db), "info")) == {2, 16}
    finally:
        await db.dispose()


async def _walk_index_definitions(db: Database) -> dict[str, str]:
    query = text(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'messages' "
        "AND indexname IN ('ix_messages_chat_id_date', 'ix_messages_sender_id_date', "
        "'ix_messages_date', 'ix_messages_date_deleted')"
    )
    async with db.engine.connect() as conn:
        return {row[0]: row[1] for row in await conn.execute(query)}


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"])
async def test_walk_indexes_carry_the_id_on_postgresql(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine)
        covering = await _walk_index_definitions(db)
        assert len(covering) == 4
        assert all(definition.endswith("INCLUDE (id)") for name, definition in covering.items()
                   if name != "ix_messages_date_deleted")  # fmt: skip
        assert "INCLUDE (id) WHERE (deleted_at IS NOT NULL)" in covering["ix_messages_date_deleted"]

        await migrate.downgrade(db.engine, "0007")
        plain = await _walk_index_definitions(db)
        assert len(plain) == 4
        assert not any("INCLUDE" in definition for definition in plain.values())
    finally:
        await db.dispose()


async def _media_index_condition(db: Database) -> str | None:
    """The has: index's WHERE clause as the database reports it (None: a full index)."""
    async with db.engine.connect() as conn:
        name = "'ix_messages_media_kind_date'"
        if db.dialect == "postgresql":
            query = f"SELECT indexdef FROM pg_indexes WHERE indexname = {name}"
        else:
            query = f"SELECT sql FROM sqlite_master WHERE name = {name}"
        definition = str((await conn.exec_driver_sql(query)).scalar_one())
    _, where, condition = definition.partition(" WHERE ")
    return condition.strip("() ") if where else None


async def test_the_media_index_leaves_out_messages_without_media(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine, "0008")
        await archive(db)
        before = {q: set(await ids_of(service(db), q)) for q in ("has:photo", "has:media")}
        assert before["has:photo"] and before["has:media"] > before["has:photo"]
        assert await _media_index_condition(db) is None

        await migrate.upgrade(db.engine, "0009")
        assert await _media_index_condition(db) == "media_kind IS NOT NULL"
        assert {q: set(await ids_of(service(db), q)) for q in before} == before

        await migrate.downgrade(db.engine, "0008")
        assert await _media_index_condition(db) is None
        assert {q: set(await ids_of(service(db), q)) for q in before} == before
    finally:
        await db.dispose()


def test_the_recorded_head_is_the_newest_migration() -> None:
    assert migrate.head_revision() == migrate.HEAD_REVISION


async def test_an_up_to_date_vault_starts_without_running_alembic(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from alembic import command

    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine)

        def refuse(*_: object, **__: object) -> None:
            raise AssertionError("alembic ran although the schema is at head")

        monkeypatch.setattr(command, "upgrade", refuse)
        await migrate.upgrade(db.engine)
        assert await migrate.current_revision(db.engine) == migrate.HEAD_REVISION
    finally:
        await db.dispose()
