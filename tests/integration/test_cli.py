"""The command line as a user meets it: configuration report, schema commands, run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.db import migrate
from telegramvault.cli import main

SECRETS = {
    "SECRET_KEY": "Zr8vQ2mN5xK7pL1wT9yB4cF6hJ3sD0gAeUiOo",
    "BOT_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
    "TELEGRAM_API_HASH": "9f2c4e1a7b3d8e6f0a5c2b9d4e7f1a3c",
}
VALID = {**SECRETS, "TELEGRAM_API_ID": "12345", "BOT_ADMIN_IDS": "111, 222"}


def test_empty_environment_lists_every_missing_key_and_fails(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["config", "check"]) == 78
    out = capsys.readouterr().out
    for key in ("SECRET_KEY", "TELEGRAM_API_ID", "TELEGRAM_API_HASH", "BOT_TOKEN", "BOT_ADMIN_IDS"):
        assert f"{key}: required" in out


def test_check_for_one_role_ignores_the_other_roles_keys(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in ("SECRET_KEY", "BOT_TOKEN", "BOT_ADMIN_IDS"):
        monkeypatch.setenv(key, VALID[key])
    assert main(["config", "check", "--role", "bot"]) == 0
    assert main(["config", "check", "--role", "archiver"]) == 78
    assert "TELEGRAM_API_ID: required" in capsys.readouterr().out


def test_config_check_masks_every_secret(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for key, value in VALID.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DATABASE_URL", "postgresql://vault:pa55word-xyz@db:5432/vault")
    assert main(["config", "check"]) == 0
    captured = capsys.readouterr()
    for secret in [*SECRETS.values(), "pa55word-xyz"]:
        assert secret not in captured.out + captured.err
    assert "postgresql+asyncpg://vault:***@db:5432/vault" in captured.out


def test_db_commands_and_run_on_the_default_sqlite(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["db", "current"]) == 0
    assert "base (empty)" in capsys.readouterr().out
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "current"]) == 0
    assert f"{migrate.head_revision()} (up to date)" in capsys.readouterr().out
    assert (clean_env / "data" / "vault.db").exists()
    assert main(["db", "downgrade", "base"]) == 0
    for key, value in VALID.items():
        monkeypatch.setenv(key, value)
    assert main(["run"]) == 78  # migrates, then finds no Telegram session to archive with
    assert "run 'telegramvault login'" in capsys.readouterr().err
    assert main(["db", "current"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_run_with_an_incomplete_configuration_stops_before_anything(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run"]) == 78
    assert "SECRET_KEY" in capsys.readouterr().err
    assert not (clean_env / "data").exists()


def test_the_installed_command_reports_and_exits_non_zero(tmp_path: Path) -> None:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "telegramvault.cli", "config", "check"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 78
    assert "BOT_ADMIN_IDS: required" in result.stdout
