"""``telegramvault import`` as a user runs it: only database settings needed, summary or error."""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.config_manager import ConfigManager
from core.db import migrate
from core.db.database import Database
from core.db.tables import alerts, detections, messages
from core.domain.detection import RuleKind
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import ConfigurationError
from core.log_setup import configure_logging
from services.detection.service import DetectionService, RuleDraft
from telegramvault.import_command import add_import_parser
from tests.integration.test_import_service import FIXTURES


@pytest.fixture(autouse=True)
def cli_logging() -> None:
    """As ``telegramvault.cli.main`` sets it up: warnings only, on stderr."""
    configure_logging("WARNING", "text", None, 1, 0, secrets=(), stream=sys.stderr)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="telegramvault")
    add_import_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["import", *argv])


def config(data_dir: Path, **extra: str) -> ConfigManager:
    """Only DATA_DIR: no bot token, no Telegram session — an import does not need them."""
    return ConfigManager(env_file=None, environ={"DATA_DIR": str(data_dir), **extra})


def stored_messages(data_dir: Path) -> int:
    async def count() -> int:
        db = Database.from_url(f"sqlite+aiosqlite:///{data_dir / 'vault.db'}")
        try:
            async with db.reader() as uow:
                return await uow.messages.count()
        finally:
            await db.dispose()

    return asyncio.run(count())


def test_import_prints_the_summary_and_stores_the_messages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(str(FIXTURES / "single_modern"), "--export-timezone", "Europe/Madrid")
    assert args.handler(args, config(tmp_path)) == 0
    out = capsys.readouterr().out
    assert "chats: 1" in out and "messages: 38 (media 23, service 1, text 14)" in out
    assert "38 new" in out and "7 copied, 1 deduplicated" in out
    assert stored_messages(tmp_path) == 38
    assert any((tmp_path / "media").rglob("*"))
    assert args.handler(args, config(tmp_path)) == 0
    assert "0 new, 0 updated, 38 unchanged" in capsys.readouterr().out


def test_only_the_chosen_chat_is_imported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(str(FIXTURES / "full_account"), "--chat-id", "6666", "--chat-id", "111")
    assert args.handler(args, config(tmp_path)) == 0
    assert "chats: 2" in capsys.readouterr().out
    assert stored_messages(tmp_path) == 4


def test_malformed_input_prints_where_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export"
    shutil.copytree(FIXTURES / "forum", export)
    data = json.loads((export / "result.json").read_bytes())
    del data["messages"][4]["id"]
    (export / "result.json").write_text(json.dumps(data), encoding="utf-8")
    args = parse(str(export))
    assert args.handler(args, config(tmp_path / "data")) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("error: ")
    assert "chat #1 'Foro 論壇' (id 3000000001), message #5" in captured.err
    assert stored_messages(tmp_path / "data") == 0


def test_an_unusable_database_setting_is_a_configuration_error(tmp_path: Path) -> None:
    args = parse(str(FIXTURES / "forum"))
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        args.handler(args, config(tmp_path, DATABASE_URL="mysql://root@db/vault"))


def test_an_unknown_time_zone_is_refused_by_the_parser(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        parse("x", "--export-timezone", "Mars/Olympus")
    assert caught.value.code == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


async def _add_rule(data_dir: Path, pattern: str) -> None:
    """The vault as an admin left it: migrated, with one keyword rule."""
    settings = config(data_dir)
    settings.load()
    db = Database.from_url(f"sqlite+aiosqlite:///{data_dir / 'vault.db'}")
    try:
        await migrate.upgrade(db.engine)
        detection = DetectionService(settings, EnhancedLoggingSystem(settings), db=db)
        await detection.add_rule(RuleDraft("words", RuleKind.KEYWORDS, pattern))
    finally:
        await db.dispose()


async def _detection_state(data_dir: Path) -> tuple[int, int, int, int]:
    """(hits, alerts, unscanned messages, hits of a rescan run now)."""
    settings = config(data_dir, BOT_ADMIN_IDS="111")
    settings.load()
    db = Database.from_url(f"sqlite+aiosqlite:///{data_dir / 'vault.db'}")
    try:
        counts = []
        async with db.reader() as uow:
            for query in (
                select(func.count()).select_from(detections),
                select(func.count()).select_from(alerts),
                select(func.count()).where(messages.c.scanned_at.is_(None)),
            ):
                counts.append(int((await uow.connection.execute(query)).scalar_one()))
        detection = DetectionService(settings, EnhancedLoggingSystem(settings), db=db,
                                     recipients=[111])  # fmt: skip
        rescanned = await detection.rescan_unscanned()
        return counts[0], counts[1], counts[2], rescanned
    finally:
        await db.dispose()


def test_an_import_is_scanned_as_history_without_alerting_anyone(tmp_path: Path) -> None:
    asyncio.run(_add_rule(tmp_path, "Perfecto, мир"))
    args = parse(str(FIXTURES / "single_modern"), "--export-timezone", "Europe/Madrid")
    assert args.handler(args, config(tmp_path)) == 0
    hits, alerted, unscanned, rescanned = asyncio.run(_detection_state(tmp_path))
    assert hits == 2  # the Spanish and the Russian message
    assert (alerted, unscanned, rescanned) == (0, 0, 0)
    assert asyncio.run(_detection_state(tmp_path))[1] == 0  # the rescan alerted nobody either
