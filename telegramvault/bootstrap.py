"""The composition root: settings -> logging -> database -> shared services, once per process."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import structlog

from core.api_retry_wrapper import APIRetryWrapper
from core.config_manager import ConfigManager
from core.config_settings import Settings
from core.db import migrate
from core.db.database import Database, DatabaseFloodRecorder
from core.db.index_merges import restore_merging
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.archiver.flood_progress import FloodWaitProgress

ALL_ROLES = ("bot", "archiver")


def alert_recipients(core: Core) -> list[int]:
    """Who receives alerts: every admin in private, and the alert chat when one is set."""
    bot = core.settings.bot
    return [*bot.admin_ids, *([bot.alert_chat_id] if bot.alert_chat_id else [])]


def roles_for(role: str) -> tuple[str, ...]:
    """The configuration roles a ``--role`` value needs (``all`` needs every one)."""
    return ALL_ROLES if role == "all" else (role,)


@dataclass
class Core:
    """What every role shares; handed down explicitly, never imported as a global."""

    config: ConfigManager
    settings: Settings
    logger: EnhancedLoggingSystem
    db: Database
    retry: APIRetryWrapper

    async def close(self) -> None:
        await self.db.dispose()


async def start_logging(config: ConfigManager) -> EnhancedLoggingSystem:
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    return logger


def open_database(settings: Settings) -> Database:
    url = settings.database.url
    if url.startswith("sqlite") and ":memory:" not in url:
        _sqlite_path(url).parent.mkdir(parents=True, exist_ok=True)
    return Database.from_url(
        url, pool_size=settings.database.pool_size, echo=settings.database.echo
    )


def _sqlite_path(url: str) -> Path:
    return Path(url.split(":///", 1)[1])


async def build_core(config: ConfigManager, *, apply_migrations: bool = True) -> Core:
    """Build the shared kernel from a loaded, validated configuration."""
    settings = config.settings
    logger = await start_logging(config)
    db = open_database(settings)
    if apply_migrations:
        await migrate.upgrade(db.engine, fts_language=settings.search.fts_language)
        await restore_merging(db)  # an import killed mid-way leaves the search indexes' merges off
    # Every flood wait is recorded in the vault and shown on the progress of the task that met it.
    flood_recorder = FloodWaitProgress(DatabaseFloodRecorder(db))
    retry = APIRetryWrapper(config, logger, flood_recorder=flood_recorder)
    structlog.get_logger(__name__).info(
        "core_ready", dialect=db.dialect, revision=migrate.HEAD_REVISION
    )
    return Core(config=config, settings=settings, logger=logger, db=db, retry=retry)
