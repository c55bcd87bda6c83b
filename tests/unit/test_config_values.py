"""Per-key rules: documented defaults, ranges, allowed values, patterns and the special checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config_manager import ConfigManager
from core.config_spec import KEY_BY_NAME, KEYS

VALID = {
    "SECRET_KEY": "q8Vd2LzN7pXw4mKc9RtY6bHs3JfGa5Ue1WnZ0ToP",
    "TELEGRAM_API_ID": "611335",
    "TELEGRAM_API_HASH": "d524b414d21f4d37f08684c1df41ac9c",
    "BOT_TOKEN": "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
    "BOT_ADMIN_IDS": "12",
}

# The documented defaults, written out independently of the spec so that a changed default is
# a deliberate change to this table too. Keys required or optional without default: None / ().
EXPECTED_DEFAULTS: dict[str, object] = {
    "DATA_DIR": Path("data"),
    "SECRET_KEY": None,
    "DATABASE_URL": "sqlite+aiosqlite:///data/vault.db",
    "DATABASE_POOL_SIZE": 5,
    "DATABASE_ECHO": False,
    "TELEGRAM_API_ID": None,
    "TELEGRAM_API_HASH": None,
    "TELEGRAM_ACCOUNT": "main",
    "TELEGRAM_SESSION_FILE": Path("data/telegramvault.session"),
    "TELEGRAM_SESSION_STRING": None,
    "TELEGRAM_PHONE": None,
    "TELEGRAM_PASSWORD": None,
    "TELEGRAM_DC_ID": None,
    "TELEGRAM_DC_ADDRESS": None,
    "TELEGRAM_DC_PORT": None,
    "TELEGRAM_TEST_SERVERS": False,
    "TELEGRAM_API_RETRY_MAX_ATTEMPTS": 3,
    "TELEGRAM_API_RETRY_DELAY_BASE": 2.0,
    "TELEGRAM_API_TIMEOUT": 30.0,
    "TELEGRAM_FLOOD_WAIT_MAX": 900.0,
    "ARCHIVE_BACKFILL_PAGE_SIZE": 100,
    "ARCHIVE_LIVE_BATCH_SIZE": 500,
    "ARCHIVE_LIVE_FLUSH_MS": 250,
    "ARCHIVE_ALL_DIALOGS": False,
    "ARCHIVE_EXCLUDE_CHATS": (),
    "BOT_TOKEN": None,
    "BOT_ADMIN_IDS": (),
    "BOT_ALERT_CHAT_ID": None,
    "BOT_API_SERVER": "https://api.telegram.org",
    "BOT_TIMEZONE": "UTC",
    "MEDIA_DIR": Path("data/media"),
    "MEDIA_RETRY_MAX_ATTEMPTS": 5,
    "MEDIA_RETRY_DELAY_BASE": 30,
    "MEDIA_DOWNLOAD_TIMEOUT": 300,
    "MEDIA_VALIDATION_ENABLED": True,
    "MEDIA_MAX_FILE_SIZE_MB": 200,
    "MEDIA_DOWNLOAD_TYPES": (
        "photo",
        "video",
        "document",
        "audio",
        "voice",
        "video_note",
        "sticker",
        "animation",
    ),
    "MEDIA_DOWNLOAD_CONCURRENCY": 3,
    "SEARCH_FTS_LANGUAGE": "simple",
    "SEARCH_FALLBACK_TO_ILIKE": True,
    "SEARCH_LOG_FAILURES": True,
    "SEARCH_PAGE_SIZE": 10,
    "SEARCH_RELEVANCE_CANDIDATES": 2000,
    "DETECTION_CACHE_SIZE": 1000,
    "DETECTION_VALIDATE_PATTERNS": True,
    "DETECTION_LOG_COMPILATION_ERRORS": True,
    "DETECTION_MAX_PATTERN_LENGTH": 2000,
    "USER_ENRICHMENT_TIMEOUT": 30,
    "USER_ENRICHMENT_BATCH_SIZE": 20,
    "USER_ENRICHMENT_MAX_RETRIES": 3,
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "text",
    "LOG_FILE": None,
    "LOG_MAX_SIZE_MB": 10,
    "LOG_BACKUP_COUNT": 5,
    "SCHEDULER_CATCHUP_MINUTES": 15,
    "SCHEDULER_MEDIA_RETRY_MINUTES": 10,
    "SCHEDULER_ENRICHMENT_HOURS": 24,
    "SCHEDULER_MAINTENANCE_HOURS": 24,
    "SCHEDULER_DIGEST_HOUR": 8,
    "HTTP_HOST": "127.0.0.1",
    "HTTP_PORT": 8080,
}


def loaded(**overrides: str) -> ConfigManager:
    config = ConfigManager(env_file=None, environ={**VALID, **overrides})
    config.load()
    return config


def setting(config: ConfigManager, key: str) -> object:
    spec = KEY_BY_NAME[key]
    return getattr(getattr(config.settings, spec.group), spec.attr)


def problem_of(config: ConfigManager, key: str) -> str | None:
    lines = [line for line in config.problems() if line.startswith(f"{key}: ")]
    return lines[0] if lines else None


def test_every_key_has_an_expected_default() -> None:
    assert list(EXPECTED_DEFAULTS) == [key.name for key in KEYS]


@pytest.mark.parametrize("key", list(EXPECTED_DEFAULTS))
def test_default_of_every_key(key: str) -> None:
    config = ConfigManager(env_file=None, environ={})
    config.load()
    value = setting(config, key)
    assert value == EXPECTED_DEFAULTS[key]
    assert type(value) is type(EXPECTED_DEFAULTS[key])


def test_defaults_inside_data_dir_follow_it() -> None:
    config = loaded(DATA_DIR="/var/lib/tv")
    assert config.settings.database.url == "sqlite+aiosqlite:////var/lib/tv/vault.db"
    assert config.settings.media.dir == Path("/var/lib/tv/media")
    assert config.settings.telegram.session_file == Path("/var/lib/tv/telegramvault.session")
    assert config.get_path("MEDIA_DIR") == Path("/var/lib/tv/media")


def test_configured_values_reach_typed_settings() -> None:
    config = loaded(
        TELEGRAM_API_RETRY_MAX_ATTEMPTS="4",
        TELEGRAM_API_RETRY_DELAY_BASE="0.5",
        TELEGRAM_FLOOD_WAIT_MAX="120",
        BOT_ALERT_CHAT_ID="-1001234567890",
        LOG_FILE="logs/vault.log",
        LOG_FORMAT="JSON",
        ARCHIVE_ALL_DIALOGS="yes",
    )
    settings = config.settings
    assert settings.telegram.api_retry_max_attempts == 4
    assert settings.telegram.api_retry_delay_base == 0.5
    assert settings.telegram.flood_wait_max == 120.0
    assert settings.telegram.api_id == 611335
    assert settings.bot.admin_ids == (12,)
    assert settings.bot.alert_chat_id == -1001234567890
    assert settings.logging.file == Path("logs/vault.log")
    assert settings.logging.format == "json"
    assert settings.archive.all_dialogs is True


@pytest.mark.parametrize(
    ("key", "value", "valid"),
    [
        ("MEDIA_RETRY_MAX_ATTEMPTS", "0", False),
        ("MEDIA_RETRY_MAX_ATTEMPTS", "1", True),
        ("MEDIA_RETRY_MAX_ATTEMPTS", "100", True),
        ("MEDIA_RETRY_MAX_ATTEMPTS", "101", False),
        ("MEDIA_MAX_FILE_SIZE_MB", "0", True),
        ("TELEGRAM_API_RETRY_MAX_ATTEMPTS", "21", False),
        ("TELEGRAM_API_RETRY_DELAY_BASE", "0", True),
        ("TELEGRAM_API_RETRY_DELAY_BASE", "-0.1", False),
        ("TELEGRAM_API_RETRY_DELAY_BASE", "nan", False),
        ("TELEGRAM_API_TIMEOUT", "0.5", False),
        ("TELEGRAM_FLOOD_WAIT_MAX", "86401", False),
        ("ARCHIVE_BACKFILL_PAGE_SIZE", "101", False),
        ("SEARCH_PAGE_SIZE", "50", True),
        ("SEARCH_PAGE_SIZE", "51", False),
        ("SEARCH_RELEVANCE_CANDIDATES", "99", False),
        ("USER_ENRICHMENT_MAX_RETRIES", "0", True),
        ("LOG_BACKUP_COUNT", "101", False),
        ("SCHEDULER_DIGEST_HOUR", "0", True),
        ("SCHEDULER_DIGEST_HOUR", "24", False),
        ("HTTP_PORT", "0", True),
        ("HTTP_PORT", "65536", False),
        ("TELEGRAM_API_ID", "0", False),
        ("MEDIA_DOWNLOAD_CONCURRENCY", "2.5", False),
    ],
)
def test_ranges(key: str, value: str, valid: bool) -> None:
    config = loaded(**{key: value})
    assert (problem_of(config, key) is None) is valid
    if not valid:
        assert setting(config, key) == EXPECTED_DEFAULTS[key]


@pytest.mark.parametrize(
    ("key", "value", "normalized"),
    [
        ("LOG_LEVEL", "debug", "DEBUG"),
        ("LOG_LEVEL", "Warning", "WARNING"),
        ("LOG_FORMAT", "Text", "text"),
        ("SEARCH_FTS_LANGUAGE", "Spanish", "spanish"),
        ("MEDIA_DOWNLOAD_TYPES", "Photo,,voice ", ("photo", "voice")),
        ("BOT_TIMEZONE", "Europe/Madrid", "Europe/Madrid"),
        ("BOT_API_SERVER", "http://localhost:8081", "http://localhost:8081"),
        ("TELEGRAM_PHONE", "+15551234567", "+15551234567"),
        ("BOT_ADMIN_IDS", "12, 34", (12, 34)),
    ],
)
def test_allowed_values_are_normalized(key: str, value: str, normalized: object) -> None:
    config = loaded(**{key: value})
    assert problem_of(config, key) is None
    assert setting(config, key) == normalized


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("LOG_LEVEL", "trace", "'trace' is not allowed"),
        ("LOG_FORMAT", "xml", "'xml' is not allowed; expected one of: json, text"),
        ("SEARCH_FTS_LANGUAGE", "klingon", "'klingon' is not allowed"),
        ("MEDIA_DOWNLOAD_TYPES", "photo,gif,reel", "'gif', 'reel' are not allowed"),
        ("BOT_ADMIN_IDS", "abc", "'abc' is not an integer"),
        ("BOT_ADMIN_IDS", "12, -5", "'-5' is not a positive user id"),
        ("BOT_ADMIN_IDS", " , ", "lists no user id"),
        ("BOT_API_SERVER", "ftp://example.org", "expected an http(s) URL"),
        ("BOT_API_SERVER", "api.telegram.org", "expected an http(s) URL"),
        ("BOT_TIMEZONE", "Europe/Atlantis", "'Europe/Atlantis' is not a known time zone"),
        ("TELEGRAM_API_HASH", "D524B414D21F4D37F08684C1DF41AC9", "has the wrong form"),
        ("BOT_TOKEN", "110201543-AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "has the wrong form"),
        ("TELEGRAM_DC_ADDRESS", "-bad host", "expected an IP address or host name"),
        ("ARCHIVE_EXCLUDE_CHATS", "-100, x1", "'x1' is not an integer"),
        ("DATABASE_ECHO", "maybe", "'maybe' is not valid; expected true or false"),
    ],
)
def test_rejected_values_name_the_key_and_the_offence(key: str, value: str, message: str) -> None:
    problem = problem_of(loaded(**{key: value}), key)
    assert problem is not None
    assert message in problem


@pytest.mark.parametrize(
    "value",
    [
        "change-me",
        "changeme",
        "secret",
        "your_secret_key",
        "your-secret-key",
        "change-me-to-a-random-string-of-at-least-32-characters",
        "your_secret_key_goes_here_please_0123456789",
        "x" * 40,
    ],
)
def test_placeholder_secret_keys_are_rejected(value: str) -> None:
    problem = problem_of(loaded(SECRET_KEY=value), "SECRET_KEY")
    assert problem is not None
    assert "placeholder" in problem
    assert value not in problem


def test_short_secret_key_is_rejected() -> None:
    problem = problem_of(loaded(SECRET_KEY="Zq81Kd0wP3x7aQ"), "SECRET_KEY")
    assert problem == (
        "SECRET_KEY: is too short (14 characters); expected a random string of at least 32 "
        "characters, not a placeholder"
    )


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("sqlite:///data/vault.db", "sqlite+aiosqlite:///data/vault.db"),
        ("sqlite:////var/lib/tv/vault.db", "sqlite+aiosqlite:////var/lib/tv/vault.db"),
        ("sqlite+aiosqlite:///:memory:", "sqlite+aiosqlite:///:memory:"),
        ("postgresql://u:pw@db:5432/vault", "postgresql+asyncpg://u:pw@db:5432/vault"),
        ("postgres://u:pw@db/vault", "postgresql+asyncpg://u:pw@db/vault"),
        ("POSTGRESQL://db/vault", "postgresql+asyncpg://db/vault"),
        ("postgresql+asyncpg://db/vault", "postgresql+asyncpg://db/vault"),
    ],
)
def test_database_url_is_normalized_to_async_drivers(url: str, normalized: str) -> None:
    config = loaded(DATABASE_URL=url)
    assert problem_of(config, "DATABASE_URL") is None
    assert config.settings.database.url == normalized
    assert config.get("DATABASE_URL") == normalized


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:pw-secret@db/vault", "scheme 'mysql' is not supported"),
        ("postgresql+psycopg2://u:pw-secret@db/vault", "scheme 'postgresql+psycopg2'"),
        ("u:pw-secret@db/vault", "the value is not supported"),
        ("sqlite://pw-secret", "needs three slashes"),
    ],
)
def test_unsupported_database_urls_are_clear_errors(url: str, message: str) -> None:
    config = loaded(DATABASE_URL=url)
    problem = problem_of(config, "DATABASE_URL")
    assert problem is not None
    assert message in problem
    assert "pw-secret" not in problem
    assert config.settings.database.url == "sqlite+aiosqlite:///data/vault.db"


def test_custom_data_centre_is_all_or_none() -> None:
    partial = loaded(TELEGRAM_DC_ID="2", TELEGRAM_DC_ADDRESS="149.154.167.40")
    assert partial.problems() == [
        "TELEGRAM_DC_*: set TELEGRAM_DC_ID, TELEGRAM_DC_ADDRESS, TELEGRAM_DC_PORT together or "
        "none of them; missing TELEGRAM_DC_PORT"
    ]
    telegram = partial.settings.telegram
    assert (telegram.dc_id, telegram.dc_address, telegram.dc_port) == (None, None, None)

    full = loaded(TELEGRAM_DC_ID="2", TELEGRAM_DC_ADDRESS="149.154.167.40", TELEGRAM_DC_PORT="443")
    assert full.problems() == []
    telegram = full.settings.telegram
    assert (telegram.dc_id, telegram.dc_address, telegram.dc_port) == (2, "149.154.167.40", 443)


def test_custom_data_centre_with_an_invalid_part_is_dropped_whole() -> None:
    config = loaded(TELEGRAM_DC_ID="2", TELEGRAM_DC_ADDRESS="10.0.0.1", TELEGRAM_DC_PORT="0")
    assert [line.split(":")[0] for line in config.problems()] == ["TELEGRAM_DC_PORT"]
    assert config.settings.telegram.dc_id is None
