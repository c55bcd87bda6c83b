"""The archiver role end to end: real Telethon over the scripted Telegram, every service wired
as `telegramvault run --role archiver` wires them, on both dialects."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import ColumnElement, Table, func, select
from telethon import TelegramClient

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from core.db.database import Database
from core.db.tables import alerts, media, messages
from core.domain.detection import RuleKind
from core.errors import ConfigurationError
from services.archiver.telethon_adapter import client_from_settings
from services.detection.service import DetectionService, RuleDraft
from services.status.heartbeat import read_live_state
from services.status.snapshot import LiveState
from telegramvault.archiver_role import Archiver, run_archiver
from telegramvault.bootstrap import Core, start_logging
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.archiver import API_ID, SETTINGS_API_HASH
from tests.fakes.telegram.client import fake_client

JPEG = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 300


async def _no_sleep(_seconds: float) -> None:
    return None


async def _core(db: Database, tmp_path: Path, **environ: str) -> Core:
    values = {
        "SECRET_KEY": "Zr8vQ2mN5xK7pL1wT9yB4cF6hJ3sD0gAeUiOo",
        "TELEGRAM_API_ID": str(API_ID),
        "TELEGRAM_API_HASH": SETTINGS_API_HASH,
        "BOT_ADMIN_IDS": "111",
        "MEDIA_DIR": str(tmp_path / "media"),
        "ARCHIVE_LIVE_FLUSH_MS": "20",
        **environ,
    }
    config = ConfigManager(env_file=None, environ=values)
    config.load()
    logger = await start_logging(config)
    retry = APIRetryWrapper(policy=RetryPolicy(), sleep=_no_sleep)
    return Core(config=config, settings=config.settings, logger=logger, db=db, retry=retry)


async def _count(db: Database, table: Table, *where: ColumnElement[bool]) -> int:
    async with db.reader() as uow:
        query = select(func.count()).select_from(table).where(*where)
        return int((await uow.connection.execute(query)).scalar_one())


async def _until(condition: Callable[[], Awaitable[bool]], what: str) -> None:
    for _ in range(2000):
        if await condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


async def test_it_archives_history_live_traffic_and_media_then_stops_cleanly(
    db: Database, tmp_path: Path
) -> None:
    world = FakeTelegram()
    ana = world.add_user("Ana", username="ana")
    room = world.add_supergroup("Room", username="room")
    world.fill(room, 230, ana)
    photo = world.add_photo(JPEG)
    world.post(room, "a photo", ana, media=photo)
    core = await _core(db, tmp_path, ARCHIVE_ALL_DIALOGS="true")
    await DetectionService(core.config, core.logger, db=db, recipients=[111]).add_rule(
        RuleDraft("watchword", RuleKind.KEYWORDS, "pineapple")
    )

    def factory(settings: TelegramSettings, session: str | None) -> TelegramClient:
        return fake_client(world, lambda: client_from_settings(settings, session))

    ready: list[Archiver] = []
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_archiver(core, stop=stop, client_factory=factory, on_ready=ready.append)
    )
    in_room = messages.c.chat_id == room.marked_id
    await _until(lambda: _ready(ready), "the start")
    await _until(lambda: _has(db, in_room, 231), "the history")
    world.live.post(room, "who brought the PINEAPPLE?", ana)
    await _until(lambda: _has(db, in_room, 232), "the live message")
    await _until(lambda: _has_done_media(db), "the photo")
    live = await _live_state(db)
    assert live.connected and live.last_sync_at is not None and live.last_event_at is None
    await ready[0].heartbeat.beat()  # the live message was seen: the next beat records it
    assert (await _live_state(db)).last_event_at is not None
    stop.set()
    await asyncio.wait_for(task, 30)
    assert not (await _live_state(db)).connected

    assert await _count(db, alerts) == 1
    sha = hashlib.sha256(JPEG).hexdigest()
    assert (tmp_path / "media" / sha[:2] / sha[2:4] / sha).read_bytes() == JPEG


async def _live_state(db: Database) -> LiveState:
    async with db.reader() as uow:
        return await read_live_state(uow, datetime.now(UTC))


async def _ready(ready: list[Archiver]) -> bool:
    return bool(ready)


async def _has(db: Database, where: ColumnElement[bool], expected: int) -> bool:
    return await _count(db, messages, where) >= expected


async def _has_done_media(db: Database) -> bool:
    return await _count(db, media, media.c.state == "done") == 1


async def test_without_a_session_it_asks_for_a_login(db: Database, tmp_path: Path) -> None:
    core = await _core(db, tmp_path, TELEGRAM_SESSION_FILE=str(tmp_path / "none.session"))
    with pytest.raises(ConfigurationError, match="telegramvault login"):
        await run_archiver(core, stop=asyncio.Event())
