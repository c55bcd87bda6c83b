"""`telegramvault demo` end to end: the installed command, run once in a fresh directory where a
real configuration also points at a vault, plays the whole scenario against the simulators and
leaves its own vault on disk; the search command it suggests finds the demo's messages."""

from __future__ import annotations

import hashlib
import os
import shlex
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.errors import InvalidInputError
from telegramvault.cli import main
from telegramvault.demo.content import NEWS_POSTS, PHOTO_POST
from telegramvault.demo.data_dir import MARKER, prepare_data_dir
from telegramvault.demo.simulators import DemoUnavailableError, require_simulators
from telegramvault.demo.world import PHOTO_BYTES

DEMO_SECONDS = 150
REAL_SETTINGS = (
    "SECRET_KEY=Zr8vQ2mN5xK7pL1wT9yB4cF6hJ3sD0gAeUiOo\n"
    "TELEGRAM_API_ID=7654321\n"
    "TELEGRAM_API_HASH=5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99\n"
    "BOT_TOKEN=987654321:AAHreal-looking-token-abcdefghijklmnopq\n"
    "BOT_ADMIN_IDS=777\n"
)
STEPS = (
    "── TelegramVault offline demo ──",
    "[archiver] connected as @demo_account",
    "admin ▸ /status",
    "bot   ◂ 📦 Vault status",
    "admin ▸ /watch @noticias",
    "bot   ◂ ⏳ Adding the chat: queued.",
    "bot   ✎ ✅ Task #1 (watch) done",
    f"{NEWS_POSTS} messages ({NEWS_POSTS} new, 0 edited); the history is complete",
    "[telegram] 💬 Open Source Lab · Sam Carter: Coffee at the cafe",
    "[archiver] every live message is in the vault",
    "admin ▸ /search cafe",
    "bot   ◂ 🔎 cafe — 3 results",
    "El café de la plaza Mayor",
    "admin ▸ /search ラーメン",
    "札幌ラーメンの店が渋谷にできました。",
    "admin ▸ /rule_add descuentos keywords descuento, скидка, خصم, 割引, 折扣, discount",
    "bot   ◂ ✅ Saved rule #1 descuentos",
    "admin ▸ /rule_test descuentos",
    "6 hit(s)",
    "[telegram] 💬 Клуб путешественников · Иван Петров: Скидка 30%",
    "bot   ◂ 🟠 MEDIUM · rule descuentos",
    "[archiver] the photo in Noticias del Día failed to download",
    "media 0 pending, 1 failed",
    f"media: photo in chat -1000000001011 msg {PHOTO_POST}: FileReferenceExpiredError",
    "admin ▸ /retry_media",
    "bot   ✎ ✅ Task #3 (retry_media) done",
    "1 retried: 1 stored, 0 failed again",
    "── Done in",
    "The demo vault stays on disk: data/demo/vault.db (148 messages in 6 chats, 1 photo under",
    "search --env-file data/demo/demo.env cafe",
)


@dataclass(frozen=True)
class DemoRun:
    cwd: Path
    result: subprocess.CompletedProcess[str]

    @property
    def vault(self) -> Path:
        return self.cwd / "data" / "demo" / "vault.db"


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("telegramvault")
    return [str(script)] if script.exists() else [sys.executable, "-m", "telegramvault.cli"]


def _run_demo(cwd: Path) -> DemoRun:
    """One run in a directory holding a real .env, with a real vault configured as well."""
    (cwd / ".env").write_text(REAL_SETTINGS, encoding="utf-8")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(cwd),
        "PYTHONIOENCODING": "utf-8",
        "DATA_DIR": str(cwd / "real"),
        "DATABASE_URL": f"sqlite:///{cwd / 'real' / 'vault.db'}",
    }
    result = subprocess.run(
        [*_cli(), "demo"], cwd=cwd, env=env, capture_output=True, text=True, encoding="utf-8",
        timeout=DEMO_SECONDS, check=False,
    )  # fmt: skip
    return DemoRun(cwd, result)


@pytest.mark.timeout(180)  # the whole product in a new process: longer than the default
def test_the_demo_runs_end_to_end(tmp_path: Path) -> None:
    # One test for one run: the product starts once (a module fixture would start it once per
    # xdist worker).
    demo = _run_demo(tmp_path)
    assert demo.result.returncode == 0, demo.result.stderr
    _assert_in_order(demo.result.stdout, STEPS)
    assert demo.result.stderr == ""  # the product's log went to its file, not the terminal
    _assert_vault_kept(demo)
    _assert_search_hints_work(demo)
    _assert_real_configuration_untouched(demo)


def _assert_in_order(transcript: str, steps: tuple[str, ...]) -> None:
    position = 0
    for step in steps:
        found = transcript.find(step, position)
        assert found >= 0, f"{step!r} missing after position {position} in:\n{transcript}"
        position = found + len(step)


def _assert_vault_kept(demo: DemoRun) -> None:
    with sqlite3.connect(demo.vault) as vault:
        per_chat = dict(vault.execute("SELECT chat_id, count(*) FROM messages GROUP BY chat_id"))
        states = list(vault.execute("SELECT state FROM media"))
    assert sorted(per_chat.values()) == [4, 5, 5, 6, 8, NEWS_POSTS]  # with the live messages
    assert states == [("done",)]
    sha = hashlib.sha256(PHOTO_BYTES).hexdigest()
    photo = demo.cwd / "data" / "demo" / "media" / sha[:2] / sha[2:4] / sha
    assert photo.read_bytes() == PHOTO_BYTES
    assert (demo.cwd / "data" / "demo" / "demo.log").read_text(encoding="utf-8")


def _assert_search_hints_work(demo: DemoRun) -> None:
    hints = [line.strip() for line in demo.result.stdout.splitlines() if " search " in line]
    assert len(hints) == 2, demo.result.stdout
    for hint, expected in zip(hints, ("El «café» de la plaza Mayor", "Скидка 30%"), strict=True):
        words = shlex.split(hint)
        assert Path(words[0]).name == "telegramvault"
        searched = subprocess.run(
            words, cwd=demo.cwd, env={"PATH": os.environ.get("PATH", "")},
            capture_output=True, text=True, encoding="utf-8", timeout=60, check=False,
        )  # fmt: skip
        assert searched.returncode == 0, searched.stderr
        assert expected in searched.stdout


def _assert_real_configuration_untouched(demo: DemoRun) -> None:
    assert not (demo.cwd / "real").exists()
    assert (demo.cwd / ".env").read_text(encoding="utf-8") == REAL_SETTINGS


def test_the_demo_refuses_a_directory_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "vault.db").write_bytes(b"a real vault")
    with pytest.raises(InvalidInputError, match="not made by the demo"):
        prepare_data_dir(tmp_path)
    assert (tmp_path / "vault.db").read_bytes() == b"a real vault"


def test_the_command_refuses_it_with_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert main(["demo", "--data-dir", str(tmp_path)]) == 1
    assert "not made by the demo" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_the_demo_rebuilds_its_own_directory(tmp_path: Path) -> None:
    first = prepare_data_dir(tmp_path / "demo")
    first.vault.write_bytes(b"last run")
    second = prepare_data_dir(tmp_path / "demo")
    assert not second.vault.exists()
    assert (second.root / MARKER).is_file()


def test_without_a_source_checkout_the_demo_says_where_to_run_it(tmp_path: Path) -> None:
    with pytest.raises(DemoUnavailableError, match="runs from a source checkout"):
        require_simulators(tmp_path)
