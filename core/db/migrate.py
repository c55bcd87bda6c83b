"""Apply, revert and inspect schema migrations programmatically (CLI and start-up use this)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
DEFAULT_FTS_LANGUAGE = "simple"


def alembic_config(connection: Connection | None = None, fts_language: str = "simple") -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["fts_language"] = fts_language
    return config


async def upgrade(
    engine: AsyncEngine, revision: str = "head", *, fts_language: str = DEFAULT_FTS_LANGUAGE
) -> None:
    """Bring the schema to ``revision`` in one transaction."""
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync: command.upgrade(alembic_config(sync, fts_language), revision)
        )


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def is_up_to_date(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()
