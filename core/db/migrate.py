"""Apply, revert and inspect schema migrations programmatically (CLI and start-up use this).

Alembic and its templates take ~10 MB of a process that imports them, and a running service
needs them only when its schema is behind: start-up reads the recorded revision with one query
and loads Alembic only when that is not ``HEAD_REVISION`` (kept equal to the newest migration by
a test).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_FTS_LANGUAGE = "simple"
HEAD_REVISION = "0009"
VERSION_TABLE = "alembic_version"


def alembic_config(connection: Connection | None = None, fts_language: str = "simple") -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["fts_language"] = fts_language
    return config


async def upgrade(
    engine: AsyncEngine, revision: str = "head", *, fts_language: str = DEFAULT_FTS_LANGUAGE
) -> None:
    """Bring the schema to ``revision`` in one transaction (nothing to load when it is there)."""
    if revision in ("head", HEAD_REVISION) and await current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: command.upgrade(alembic_config(sync, fts_language), revision)
        )


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database records (None before the first migration)."""
    async with engine.connect() as conn:
        return await conn.run_sync(_recorded_revision)


def _recorded_revision(sync: Connection) -> str | None:
    if not inspect(sync).has_table(VERSION_TABLE):
        return None
    value = sync.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return None if value is None else str(value)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def is_up_to_date(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
