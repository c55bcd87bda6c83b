"""Open the vault for a one-shot CLI command: settings, logging, database, no Telegram session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from core.config_manager import ConfigManager
from core.db import migrate
from core.db.database import Database
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import ConfigurationError
from services.detection.service import DetectionService
from services.search.service import SearchService
from telegramvault.bootstrap import open_database, start_logging

# A command that only reads or writes the vault needs these keys valid, nothing else.
VAULT_KEYS = (
    "DATA_DIR",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "SEARCH_FTS_LANGUAGE",
    "env file",
    "SECRET_KEY",
)


def require_vault_config(config: ConfigManager, keys: tuple[str, ...] = VAULT_KEYS) -> None:
    config.load()
    problems = [p for p in config.problems() if p.split(":", 1)[0] in keys]
    if problems:
        report = "\n".join(
            ["The configuration cannot open the vault:", *(f"  - {p}" for p in problems)]
        )
        raise ConfigurationError(report, problems)


@dataclass
class Vault:
    config: ConfigManager
    logger: EnhancedLoggingSystem
    db: Database

    def search(self) -> SearchService:
        return SearchService(self.db, self.config, self.logger)

    def detection(self) -> DetectionService:
        bot = self.config.settings.bot
        recipients = [*bot.admin_ids, *([bot.alert_chat_id] if bot.alert_chat_id else [])]
        return DetectionService(self.config, self.logger, db=self.db, recipients=recipients)


@asynccontextmanager
async def open_vault(config: ConfigManager) -> AsyncIterator[Vault]:
    """Migrated database plus logging; disposed on exit."""
    logger = await start_logging(config)
    db = open_database(config.settings)
    try:
        await migrate.upgrade(db.engine, fts_language=config.settings.search.fts_language)
        yield Vault(config, logger, db)
    finally:
        await db.dispose()
