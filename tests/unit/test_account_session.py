"""TELEGRAM_ACCOUNT: a label per archiver process, and the session file that goes with it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.config_manager import ConfigManager
from services.archiver.session_store import account_session_file


def loaded(**environ: str) -> ConfigManager:
    config = ConfigManager(env_file=None, environ={"DATA_DIR": "/srv/vault", **environ})
    config.load()
    return config


def test_the_default_account_is_main_and_keeps_the_session_file_it_always_had() -> None:
    config = loaded()
    assert config.settings.telegram.account == "main"
    assert account_session_file(config) == Path("/srv/vault/telegramvault.session")


def test_another_account_has_a_session_file_of_its_own() -> None:
    assert account_session_file(loaded(TELEGRAM_ACCOUNT="work")) == Path(
        "/srv/vault/sessions/work.session"
    )
    assert account_session_file(loaded(TELEGRAM_ACCOUNT="second_2")) == Path(
        "/srv/vault/sessions/second_2.session"
    )


@pytest.mark.parametrize("account", ["main", "work"])
def test_an_explicit_session_file_wins_for_any_account(account: str) -> None:
    config = loaded(TELEGRAM_ACCOUNT=account, TELEGRAM_SESSION_FILE="/keys/tg.session")
    assert account_session_file(config) == Path("/keys/tg.session")


@pytest.mark.parametrize("label", ["Work", "two words", "a/b", "../x", "x" * 33, "ñ"])
def test_a_label_that_is_not_a_safe_file_name_is_refused(label: str) -> None:
    config = loaded(TELEGRAM_ACCOUNT=label)
    [problem] = [p for p in config.problems() if p.startswith("TELEGRAM_ACCOUNT: ")]
    assert "has the wrong form; expected 1 to 32 of: a-z, 0-9, _ and -" in problem
    assert config.settings.telegram.account == "main"  # the default stands in, never the path
