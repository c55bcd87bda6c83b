"""scripts/run.sh, the README's first command: with nothing configured it runs the offline demo
and says so; a .env (complete or not), a deployment setting in the environment or any argument
runs the service, which stops with the configuration report when the configuration is
incomplete. The script runs for real on a copy of the scripts whose venv is a stand-in, so
nothing is installed and the chosen command only says what it was asked."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from telegramvault.cli import main

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
NOTICE = (
    "No .env found: running the offline demo (nothing leaves this machine). "
    "Copy .env.example to .env to run the real service."
)
DEPLOYMENT_KEYS = (
    "SECRET_KEY", "TELEGRAM_API_ID", "TELEGRAM_API_HASH", "TELEGRAM_SESSION_STRING", "BOT_TOKEN",
    "BOT_ADMIN_IDS", "DATABASE_URL",
)  # fmt: skip


def _executable(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The scripts beside a venv that is already installed (its stamp is newer than the
    project file) and whose ``telegramvault`` prints its arguments."""
    (tmp_path / "scripts").mkdir()
    for name in ("run.sh", "_venv.sh"):
        shutil.copy(SCRIPTS / name, tmp_path / "scripts" / name)
    venv_bin = tmp_path / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    _executable(venv_bin / "python", "#!/bin/sh\nexit 0\n")
    _executable(venv_bin / "telegramvault", '#!/bin/sh\necho "telegramvault $*"\n')
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    os.utime(tmp_path / "pyproject.toml", (1, 1))
    (tmp_path / ".venv" / ".installed-base").touch()
    return tmp_path


def _run(checkout: Path, *args: str, **environ: str) -> str:
    """stdout of ``scripts/run.sh args``, started from another directory than the root."""
    result = subprocess.run(
        ["bash", str(checkout / "scripts" / "run.sh"), *args], cwd=checkout / "scripts",
        env={"PATH": os.environ.get("PATH", ""), **environ}, capture_output=True, text=True,
        timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_with_nothing_configured_it_says_so_and_runs_the_demo(checkout: Path) -> None:
    assert _run(checkout) == f"{NOTICE}\ntelegramvault demo\n"


def test_settings_no_deployment_needs_still_give_the_demo(checkout: Path) -> None:
    assert _run(checkout, DATA_DIR="/data", LOG_LEVEL="DEBUG").endswith("telegramvault demo\n")


def test_an_env_file_runs_the_service_even_when_incomplete(checkout: Path) -> None:
    (checkout / ".env").write_text("BOT_TOKEN=\n", encoding="utf-8")
    assert _run(checkout) == "telegramvault run\n"


@pytest.mark.parametrize("key", DEPLOYMENT_KEYS)
def test_a_deployment_setting_in_the_environment_runs_the_service(checkout: Path, key: str) -> None:
    assert _run(checkout, **{key: "1"}) == "telegramvault run\n"


def test_arguments_go_to_the_service(checkout: Path) -> None:
    assert _run(checkout, "--role", "bot") == "telegramvault run --role bot\n"


def test_the_service_with_an_incomplete_env_file_stops_with_the_report(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (clean_env / ".env").write_text("BOT_ADMIN_IDS=123\n", encoding="utf-8")
    assert main(["run"]) == 78
    report = capsys.readouterr().err
    assert "Configuration has" in report
    assert "SECRET_KEY" in report
    assert "demo" not in report
    assert not (clean_env / "data").exists()
