"""ConfigManager: sources and precedence, problems per role, getters, settings, masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config_manager import ConfigManager, mask_secret, mask_url_password
from core.config_spec import KEYS, env_example
from core.errors import ConfigurationError

SECRET_KEY = "q8Vd2LzN7pXw4mKc9RtY6bHs3JfGa5Ue1WnZ0ToP"
API_HASH = "d524b414d21f4d37f08684c1df41ac9c"
BOT_TOKEN = "110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SESSION_STRING = "1BVtsOKABu2xBWk0dP8tCgZqR7mWfN3kLpYv9sHdJ4c="
PHONE = "+15551234567"
PASSWORD = "correct-horse-battery"
DB_PASSWORD = "s3cr%40t-pw"

VALID = {
    "SECRET_KEY": SECRET_KEY,
    "TELEGRAM_API_ID": "611335",
    "TELEGRAM_API_HASH": API_HASH,
    "BOT_TOKEN": BOT_TOKEN,
    "BOT_ADMIN_IDS": "12, 34",
}
BOT_ONLY = {key: VALID[key] for key in ("SECRET_KEY", "BOT_TOKEN", "BOT_ADMIN_IDS")}
REQUIRED = ["SECRET_KEY", "TELEGRAM_API_ID", "TELEGRAM_API_HASH", "BOT_TOKEN", "BOT_ADMIN_IDS"]


def loaded(environ: dict[str, str], env_file: Path | None = None) -> ConfigManager:
    config = ConfigManager(env_file=env_file, environ=environ)
    config.load()
    return config


def keys_with_problems(config: ConfigManager, roles: tuple[str, ...] = ("bot", "archiver")) -> list:
    return [line.split(":", 1)[0] for line in config.problems(roles)]


# -- sources and precedence ---------------------------------------------------------------------


def test_valid_configuration_loads_true_without_problems() -> None:
    config = ConfigManager(env_file=None, environ=VALID)
    assert config.load() is True
    assert config.problems() == []
    assert config.report() == "Configuration is valid for: bot, archiver."
    config.require_valid()


def test_environment_beats_env_file_and_sources_are_told(tmp_path: Path) -> None:
    env_file = tmp_path / "vault.env"
    env_file.write_text("MEDIA_RETRY_MAX_ATTEMPTS=7\nSEARCH_PAGE_SIZE=20\n", encoding="utf-8")
    config = loaded({**VALID, "MEDIA_RETRY_MAX_ATTEMPTS": "9"}, env_file)

    assert config.get_int("MEDIA_RETRY_MAX_ATTEMPTS") == 9
    assert config.get_int("SEARCH_PAGE_SIZE") == 20
    sources = {entry.key: entry.source for entry in config.describe()}
    assert sources["MEDIA_RETRY_MAX_ATTEMPTS"] == "env"
    assert sources["SEARCH_PAGE_SIZE"] == ".env file"
    assert sources["LOG_LEVEL"] == "default"


def test_env_file_alone_can_configure_everything(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in VALID.items()), encoding="utf-8")
    config = ConfigManager(env_file=env_file, environ={})
    assert config.load() is True
    assert config.settings.bot.admin_ids == (12, 34)


def test_blank_environment_value_does_not_hide_the_file_value(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_LEVEL=debug\n", encoding="utf-8")
    config = loaded({**VALID, "LOG_LEVEL": "  "}, env_file)
    assert config.get("LOG_LEVEL") == "DEBUG"


def test_env_file_values_are_not_interpolated(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TELEGRAM_PASSWORD=pa${HOME}ss\n", encoding="utf-8")
    assert loaded(VALID, env_file).get("TELEGRAM_PASSWORD") == "pa${HOME}ss"


def test_missing_default_env_file_is_fine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = ConfigManager(environ=VALID)
    assert config.load() is True


def test_default_env_file_in_working_directory_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("HTTP_PORT=9090\n", encoding="utf-8")
    config = ConfigManager(environ=VALID)
    config.load()
    assert config.get_int("HTTP_PORT") == 9090


def test_explicit_env_file_that_does_not_exist_is_a_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.env"
    config = ConfigManager(env_file=missing, environ=VALID)
    assert config.load() is False
    assert config.problems() == [f"env file: {missing} does not exist; expected an existing file"]
    assert config.get_int("MEDIA_RETRY_MAX_ATTEMPTS") == 5


def test_reload_reads_the_sources_again(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("HTTP_PORT=1000\n", encoding="utf-8")
    config = loaded(VALID, env_file)
    first = config.settings
    env_file.write_text("HTTP_PORT=2000\n", encoding="utf-8")
    config.load()
    assert (first.http.port, config.settings.http.port) == (1000, 2000)


# -- problems, reports, roles -------------------------------------------------------------------


def test_empty_environment_lists_every_required_key() -> None:
    config = ConfigManager(env_file=None, environ={})
    assert config.load() is False
    assert keys_with_problems(config) == REQUIRED
    report = config.report()
    assert report.startswith("Configuration has 5 problem(s) for bot, archiver:")
    assert all(f"  - {key}: required for" in report for key in REQUIRED)


def test_every_kind_of_problem_is_reported_at_once(tmp_path: Path) -> None:
    environ = {
        "SECRET_KEY": "change-me",
        "TELEGRAM_API_ID": "abc",
        "BOT_TOKEN": "not-a-token",
        "BOT_ADMIN_IDS": "12, abc",
        "MEDIA_RETRY_MAX_ATTEMPTS": "0",
        "LOG_LEVEL": "verbose",
        "DATABASE_URL": "mysql://root:hunter2@db/vault",
        "TELEGRAM_DC_ID": "2",
        "BOT_TIMEZONE": "Mars/Olympus",
        "DATABASE_ECHO": "maybe",
    }
    config = loaded(environ, tmp_path / "missing.env")
    assert keys_with_problems(config) == [
        "env file",
        "SECRET_KEY",
        "DATABASE_URL",
        "DATABASE_ECHO",
        "TELEGRAM_API_ID",
        "TELEGRAM_API_HASH",
        "BOT_TOKEN",
        "BOT_ADMIN_IDS",
        "BOT_TIMEZONE",
        "MEDIA_RETRY_MAX_ATTEMPTS",
        "LOG_LEVEL",
        "TELEGRAM_DC_*",
    ]
    report = config.report()
    for expected in (
        "SECRET_KEY: is a placeholder",
        "TELEGRAM_API_ID: 'abc' is not valid; expected an integer >= 1",
        "TELEGRAM_API_HASH: required for the archiver but not set",
        "BOT_ADMIN_IDS: 'abc' is not an integer",
        "MEDIA_RETRY_MAX_ATTEMPTS: 0 is out of range; expected an integer in 1..100",
        "LOG_LEVEL: 'verbose' is not allowed; expected one of: DEBUG, INFO",
        "DATABASE_URL: scheme 'mysql' is not supported",
        "missing TELEGRAM_DC_ADDRESS, TELEGRAM_DC_PORT",
        "BOT_TIMEZONE: 'Mars/Olympus' is not a known time zone",
        "DATABASE_ECHO: 'maybe' is not valid; expected true or false",
    ):
        assert expected in report
    assert "hunter2" not in report
    assert "not-a-token" not in report


def test_invalid_values_fall_back_to_defaults_in_settings() -> None:
    environ = {**VALID, "MEDIA_RETRY_MAX_ATTEMPTS": "0", "LOG_LEVEL": "verbose", "HTTP_PORT": "x"}
    config = loaded(environ)
    settings = config.settings
    assert (settings.media.retry_max_attempts, settings.logging.level) == (5, "INFO")
    assert settings.http.port == 8080
    assert config.get_int("MEDIA_RETRY_MAX_ATTEMPTS") == 5
    assert config.get_int("MEDIA_RETRY_MAX_ATTEMPTS", default=3) == 3


def test_bot_role_does_not_need_archiver_keys() -> None:
    config = ConfigManager(env_file=None, environ=BOT_ONLY)
    assert config.load() is False  # not valid for every role
    assert config.problems(("bot",)) == []
    assert config.problems("bot") == []
    config.require_valid(roles=("bot",))
    assert keys_with_problems(config, ("archiver",)) == ["TELEGRAM_API_ID", "TELEGRAM_API_HASH"]


def test_archiver_role_does_not_need_bot_keys() -> None:
    environ = {k: VALID[k] for k in ("SECRET_KEY", "TELEGRAM_API_ID", "TELEGRAM_API_HASH")}
    config = loaded(environ)
    assert config.problems(("archiver",)) == []
    assert keys_with_problems(config, ("bot",)) == ["BOT_TOKEN", "BOT_ADMIN_IDS"]


def test_secret_key_is_required_by_every_role() -> None:
    config = loaded({k: v for k, v in VALID.items() if k != "SECRET_KEY"})
    assert keys_with_problems(config, ("bot",)) == ["SECRET_KEY"]
    assert keys_with_problems(config, ("archiver",)) == ["SECRET_KEY"]


def test_invalid_value_blocks_every_role_even_if_only_one_needs_the_key() -> None:
    config = loaded({**BOT_ONLY, "TELEGRAM_API_HASH": "xyz"})
    assert keys_with_problems(config, ("bot",)) == ["TELEGRAM_API_HASH"]


def test_require_valid_raises_configuration_error_with_every_problem() -> None:
    config = loaded(BOT_ONLY)
    with pytest.raises(ConfigurationError) as caught:
        config.require_valid()
    assert caught.value.problems == config.problems()
    assert caught.value.report == config.report()
    assert caught.value.exit_code == 78
    assert len(caught.value.problems) == 2


def test_unknown_role_is_rejected() -> None:
    config = loaded(VALID)
    with pytest.raises(ValueError, match="scheduler"):
        config.problems(("scheduler",))


def test_env_example_placeholders_count_as_missing(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(env_example(), encoding="utf-8")
    config = ConfigManager(env_file=env_file, environ={})
    assert config.load() is False
    assert keys_with_problems(config) == REQUIRED
    assert "still holds the .env.example placeholder" in config.report()


# -- getters and the seed examples --------------------------------------------------------------


def test_seed_examples_work_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray ./.env; the process environment is only read
    config = ConfigManager()
    assert isinstance(config.load(), bool)
    assert isinstance(config.get_int("MEDIA_RETRY_MAX_ATTEMPTS"), int)
    assert isinstance(config.get_bool("MEDIA_VALIDATION_ENABLED", default=True), bool)
    assert isinstance(config.get_path("MEDIA_DIR", default="media"), Path)


def test_seed_examples_return_documented_and_explicit_defaults() -> None:
    config = ConfigManager(env_file=None, environ=VALID)
    if config.load():
        assert config.get_int("MEDIA_RETRY_MAX_ATTEMPTS") == 5
        assert config.get_int("MEDIA_RETRY_MAX_ATTEMPTS", default=3) == 3
        assert config.get_bool("MEDIA_VALIDATION_ENABLED", default=True) is True
        assert config.get("SEARCH_FTS_LANGUAGE", default="spanish") == "spanish"
        assert config.get("SEARCH_FTS_LANGUAGE") == "simple"
        assert config.get_path("MEDIA_DIR", default="media") == Path("media")
        assert config.get_path("MEDIA_DIR") == Path("data/media")
        assert config.get_int("MEDIA_RETRY_DELAY_BASE") == 30
        assert config.get_int("USER_ENRICHMENT_TIMEOUT") == 30
    else:
        pytest.fail(config.report())


def test_configured_value_wins_over_explicit_default() -> None:
    config = loaded({**VALID, "MEDIA_RETRY_MAX_ATTEMPTS": "8", "SEARCH_FTS_LANGUAGE": "Russian"})
    assert config.get_int("MEDIA_RETRY_MAX_ATTEMPTS", default=3) == 8
    assert config.get("SEARCH_FTS_LANGUAGE", default="spanish") == "russian"


def test_getters_work_before_load() -> None:
    config = ConfigManager(env_file=None, environ={"HTTP_PORT": "81"})
    assert config.get_int("HTTP_PORT") == 81
    assert keys_with_problems(config) == REQUIRED


def test_typed_getters() -> None:
    environ = {
        **VALID,
        "TELEGRAM_API_RETRY_DELAY_BASE": "2.5",
        "MEDIA_DOWNLOAD_TYPES": "photo, Video",
        "ARCHIVE_EXCLUDE_CHATS": "-1001234567890, 42",
    }
    config = loaded(environ)
    assert config.get_float("TELEGRAM_API_RETRY_DELAY_BASE") == 2.5
    assert config.get_float("TELEGRAM_API_TIMEOUT") == 30.0
    assert config.get_float("MEDIA_RETRY_DELAY_BASE") == 30.0  # ints widen to float
    assert config.get_list("MEDIA_DOWNLOAD_TYPES") == ["photo", "video"]
    assert config.get_list("ARCHIVE_EXCLUDE_CHATS") == ["-1001234567890", "42"]
    assert config.settings.archive.exclude_chats == (-1001234567890, 42)
    assert config.get("MEDIA_DOWNLOAD_TYPES") == "photo,video"
    assert config.get("DATABASE_ECHO") == "false"
    assert config.get("LOG_FILE") is None
    assert config.get_path("LOG_FILE", default="/tmp/vault.log") == Path("/tmp/vault.log")


def test_unknown_key_raises_key_error_unless_a_default_is_given() -> None:
    config = loaded({**VALID, "PLUGIN_LIMIT": "12", "PLUGIN_BROKEN": "x"})
    with pytest.raises(KeyError, match="NOT_A_KEY"):
        config.get_int("NOT_A_KEY")
    with pytest.raises(KeyError, match="NOT_A_KEY"):
        config.get("NOT_A_KEY")
    assert config.get_int("NOT_A_KEY", default=4) == 4
    assert config.get_int("PLUGIN_LIMIT", default=4) == 12
    assert config.get_int("PLUGIN_BROKEN", default=4) == 4
    assert config.get("PLUGIN_LIMIT", default="x") == "12"


def test_getter_of_the_wrong_type_is_a_type_error() -> None:
    config = loaded(VALID)
    with pytest.raises(TypeError, match="LOG_LEVEL"):
        config.get_int("LOG_LEVEL")
    with pytest.raises(TypeError, match="TELEGRAM_API_TIMEOUT"):
        config.get_int("TELEGRAM_API_TIMEOUT")
    with pytest.raises(TypeError, match="HTTP_PORT"):
        config.get_bool("HTTP_PORT")


def test_unset_key_without_any_default_is_a_lookup_error() -> None:
    config = loaded(VALID)
    with pytest.raises(LookupError, match="BOT_ALERT_CHAT_ID is not set"):
        config.get_int("BOT_ALERT_CHAT_ID")
    assert config.get_int("BOT_ALERT_CHAT_ID", default=0) == 0
    assert config.get("BOT_ALERT_CHAT_ID") is None


# -- masking and secrets ------------------------------------------------------------------------

ALL_SECRETS = {
    **VALID,
    "TELEGRAM_SESSION_STRING": SESSION_STRING,
    "TELEGRAM_PHONE": PHONE,
    "TELEGRAM_PASSWORD": PASSWORD,
    "DATABASE_URL": f"postgresql://vault:{DB_PASSWORD}@db.internal:5432/vault",
}
SECRETS = [
    SECRET_KEY,
    API_HASH,
    BOT_TOKEN,
    SESSION_STRING,
    PHONE,
    PASSWORD,
    DB_PASSWORD,
    "s3cr@t-pw",
]


def shown_text(config: ConfigManager) -> str:
    entries = "\n".join(repr(entry) for entry in config.describe())
    return "\n".join([entries, config.render_table(), config.report(), repr(config.settings)])


def test_describe_and_table_never_reveal_secrets() -> None:
    config = loaded(ALL_SECRETS)
    text = shown_text(config)
    for secret in SECRETS:
        assert secret not in text
    shown = {entry.key: entry.value for entry in config.describe()}
    assert shown["BOT_TOKEN"] == "11…(44 chars)"
    assert shown["SECRET_KEY"] == "q8…(40 chars)"
    assert shown["TELEGRAM_PHONE"] == "…(12 chars)"
    assert shown["DATABASE_URL"] == "postgresql+asyncpg://vault:***@db.internal:5432/vault"
    assert shown["TELEGRAM_API_ID"] == "611335"


def test_invalid_secrets_are_not_echoed_in_reports() -> None:
    bad = {
        "SECRET_KEY": "short-but-secret",
        "TELEGRAM_API_ID": "611335",
        "TELEGRAM_API_HASH": "secret-hash-that-is-wrong",
        "BOT_TOKEN": "12:leaked-if-echoed",
        "BOT_ADMIN_IDS": "12",
        "TELEGRAM_PHONE": "call-me-maybe",
        "DATABASE_URL": "oracle://scott:tiger-pass@db/x",
    }
    config = loaded(bad)
    assert keys_with_problems(config) == [
        "SECRET_KEY",
        "DATABASE_URL",
        "TELEGRAM_API_HASH",
        "TELEGRAM_PHONE",
        "BOT_TOKEN",
    ]
    text = shown_text(config)
    for key in ("SECRET_KEY", "TELEGRAM_API_HASH", "BOT_TOKEN", "TELEGRAM_PHONE"):
        assert bad[key] not in text
    assert "tiger-pass" not in text
    assert "is too short (16 characters)" in text


def test_secret_values_lists_every_configured_secret() -> None:
    config = loaded(ALL_SECRETS)
    values = config.secret_values()
    assert set(values) == set(SECRETS)
    assert values == sorted(values, key=len, reverse=True)


def test_secret_values_is_empty_without_secrets() -> None:
    assert loaded({}).secret_values() == []


def test_mask_secret_shows_at_most_two_leading_characters() -> None:
    assert mask_secret("x" * 46) == "xx…(46 chars)"
    assert mask_secret("hunter2") == "…(7 chars)"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+asyncpg://u:pw@h:5432/db", "postgresql+asyncpg://u:***@h:5432/db"),
        ("postgresql+asyncpg://u:p@ss/w?rd@h/db", "postgresql+asyncpg://u:***@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        (
            "postgresql+asyncpg://h/db?user=u&password=pw",
            "postgresql+asyncpg://h/db?user=u&password=***",
        ),
        ("sqlite+aiosqlite:///data/vault.db", "sqlite+aiosqlite:///data/vault.db"),
    ],
)
def test_mask_url_password(url: str, masked: str) -> None:
    assert mask_url_password(url) == masked


def test_query_password_is_a_secret_value() -> None:
    config = loaded({**VALID, "DATABASE_URL": "postgresql://h/db?password=qpw-secret"})
    assert "qpw-secret" in config.secret_values()
    assert "qpw-secret" not in shown_text(config)


def test_render_table_marks_keys_with_problems() -> None:
    table = loaded({**VALID, "HTTP_PORT": "99999"}).render_table()
    lines = table.splitlines()
    assert "HTTP" in lines
    port_line = next(line for line in lines if "HTTP_PORT" in line)
    assert port_line.startswith(" ! ")
    assert port_line.split()[-2:] == ["99999", "env"]
    assert all(key.name in table for key in KEYS)


def test_describe_flags_every_key_of_a_partial_custom_data_centre() -> None:
    config = loaded({**VALID, "TELEGRAM_DC_ID": "2"})
    flagged = [entry.key for entry in config.describe() if not entry.valid]
    assert flagged == ["TELEGRAM_DC_ID", "TELEGRAM_DC_ADDRESS", "TELEGRAM_DC_PORT"]


def test_roles_may_be_any_iterable() -> None:
    config = loaded(BOT_ONLY)
    assert config.report(role for role in ["archiver"]).startswith(
        "Configuration has 2 problem(s) for archiver:"
    )
    with pytest.raises(ConfigurationError):
        config.require_valid(role for role in ["archiver"])
