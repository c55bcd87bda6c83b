"""Typed, frozen settings grouped by prefix, built from the resolved configuration values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.config_spec import GROUPS


@dataclass(frozen=True)
class CoreSettings:
    """Where data lives and the key that signs internal tokens."""

    data_dir: Path
    secret_key: str | None = field(repr=False)


@dataclass(frozen=True)
class DatabaseSettings:
    """The async SQLAlchemy URL (aiosqlite or asyncpg) and pool options."""

    url: str = field(repr=False)  # may hold a password
    pool_size: int
    echo: bool


@dataclass(frozen=True)
class TelegramSettings:
    """The archiver's user session, custom data centre, and Telegram API retry limits."""

    api_id: int | None
    api_hash: str | None = field(repr=False)
    account: str
    session_file: Path
    session_string: str | None = field(repr=False)
    phone: str | None = field(repr=False)
    password: str | None = field(repr=False)
    dc_id: int | None
    dc_address: str | None
    dc_port: int | None
    test_servers: bool
    api_retry_max_attempts: int
    api_retry_delay_base: float
    api_timeout: float
    flood_wait_max: float


@dataclass(frozen=True)
class ArchiveSettings:
    """How history is paged and live events are batched."""

    backfill_page_size: int
    live_batch_size: int
    live_flush_ms: int
    all_dialogs: bool
    exclude_chats: tuple[int, ...]


@dataclass(frozen=True)
class BotSettings:
    """The control bot: token, admins, alert destination, Bot API server, time zone."""

    token: str | None = field(repr=False)
    admin_ids: tuple[int, ...]
    alert_chat_id: int | None
    api_server: str
    timezone: str


@dataclass(frozen=True)
class MediaSettings:
    """Media storage, download limits and retries."""

    dir: Path
    retry_max_attempts: int
    retry_delay_base: int
    download_timeout: int
    validation_enabled: bool
    max_file_size_mb: int
    download_types: tuple[str, ...]
    download_concurrency: int


@dataclass(frozen=True)
class SearchSettings:
    """Full-text search language, fallback and paging."""

    fts_language: str
    fallback_to_ilike: bool
    log_failures: bool
    page_size: int
    relevance_candidates: int


@dataclass(frozen=True)
class DetectionSettings:
    """Watch-pattern compilation and caching."""

    cache_size: int
    validate_patterns: bool
    log_compilation_errors: bool
    max_pattern_length: int


@dataclass(frozen=True)
class EnrichmentSettings:
    """User-profile refresh limits."""

    timeout: int
    batch_size: int
    max_retries: int


@dataclass(frozen=True)
class LoggingSettings:
    """Log level, format and the optional rotated file."""

    level: str
    format: str
    file: Path | None
    max_size_mb: int
    backup_count: int


@dataclass(frozen=True)
class SchedulerSettings:
    """Intervals of the periodic jobs."""

    catchup_minutes: int
    media_retry_minutes: int
    enrichment_hours: int
    maintenance_hours: int
    digest_hour: int


@dataclass(frozen=True)
class HttpSettings:
    """The health/metrics endpoint; port 0 disables it."""

    host: str
    port: int


@dataclass(frozen=True)
class Settings:
    """Every setting, typed and grouped by prefix: ``settings.telegram.api_retry_max_attempts``."""

    core: CoreSettings
    database: DatabaseSettings
    telegram: TelegramSettings
    archive: ArchiveSettings
    bot: BotSettings
    media: MediaSettings
    search: SearchSettings
    detection: DetectionSettings
    enrichment: EnrichmentSettings
    logging: LoggingSettings
    scheduler: SchedulerSettings
    http: HttpSettings


_GROUP_CLASSES: dict[str, Callable[..., object]] = {
    "core": CoreSettings,
    "database": DatabaseSettings,
    "telegram": TelegramSettings,
    "archive": ArchiveSettings,
    "bot": BotSettings,
    "media": MediaSettings,
    "search": SearchSettings,
    "detection": DetectionSettings,
    "enrichment": EnrichmentSettings,
    "logging": LoggingSettings,
    "scheduler": SchedulerSettings,
    "http": HttpSettings,
}


def build_settings(values: Mapping[str, object]) -> Settings:
    """Group effective values (see ``resolve``) into the frozen settings dataclasses."""
    groups: dict[str, Any] = {}
    for group in GROUPS:
        fields = {key.attr: values[key.name] for key in group.keys}
        groups[group.name] = _GROUP_CLASSES[group.name](**fields)
    return Settings(**groups)
