"""`telegramvault run` with every role in one process: the real bot over the local Bot API, the
real Telethon client over the scripted Telegram, one vault. An admin adds a chat from the bot,
the archiver fetches it through the task queue, and a live message raises an alert."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from telethon import TelegramClient

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from core.db.database import Database
from core.db.tables import messages
from services.archiver.telethon_adapter import client_from_settings
from telegramvault.bootstrap import Core, start_logging
from telegramvault.roles import run_roles
from tests.e2e.harness import ADMIN, SECRET, STRANGER
from tests.fakes.botapi import TOKEN, FakeBotApi, SentMessage
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.archiver import API_ID, SETTINGS_API_HASH
from tests.fakes.telegram.client import fake_client


async def _no_sleep(_seconds: float) -> None:
    return None


async def _core(db: Database, tmp_path: Path, api_server: str) -> Core:
    config = ConfigManager(
        env_file=None,
        environ={
            "SECRET_KEY": SECRET,
            "TELEGRAM_API_ID": str(API_ID),
            "TELEGRAM_API_HASH": SETTINGS_API_HASH,
            "TELEGRAM_SESSION_STRING": "",
            "BOT_TOKEN": TOKEN,
            "BOT_ADMIN_IDS": str(ADMIN),
            "BOT_API_SERVER": api_server,
            "MEDIA_DIR": str(tmp_path / "media"),
            "HTTP_PORT": "0",
            "ARCHIVE_LIVE_FLUSH_MS": "20",
        },
    )
    config.load()
    logger = await start_logging(config)
    retry = APIRetryWrapper(policy=RetryPolicy(), sleep=_no_sleep)
    return Core(config=config, settings=config.settings, logger=logger, db=db, retry=retry)


async def _messages_in(db: Database, chat_id: int) -> int:
    async with db.reader() as uow:
        query = select(func.count()).select_from(messages).where(messages.c.chat_id == chat_id)
        return int((await uow.connection.execute(query)).scalar_one())


async def _until_text(api: FakeBotApi, message: SentMessage, needle: str) -> SentMessage:
    for _ in range(3000):
        current = next(m for m in api.messages(ADMIN) if m.message_id == message.message_id)
        if needle in (current.plain_text or ""):
            return current
        await asyncio.sleep(0.01)
    raise AssertionError(f"{needle!r} never appeared; last text: {current.plain_text!r}")


async def test_an_admin_adds_a_chat_and_gets_its_history_and_an_alert(
    db: Database, tmp_path: Path
) -> None:
    world = FakeTelegram()
    ana = world.add_user("Ana", username="ana")
    room = world.add_supergroup("Room", username="room")
    world.fill(room, 120, ana)

    def factory(settings: TelegramSettings, session: str | None) -> TelegramClient:
        return fake_client(world, lambda: client_from_settings(settings, session))

    async with FakeBotApi() as api:
        core = await _core(db, tmp_path, api.base_url)
        stop = asyncio.Event()
        running = asyncio.create_task(
            run_roles(core, ("bot", "archiver"), stop=stop, client_factory=factory)
        )
        await api.wait_for_calls("getUpdates", timeout=30)
        api.push_message(user_id=STRANGER, text="/watch @room")
        api.push_message(user_id=ADMIN, text="/watch @room")
        [progress] = await api.wait_for_messages(ADMIN, 1, timeout=30)
        done = await _until_text(api, progress, "history is complete")
        assert await _messages_in(db, room.marked_id) == 120
        assert done.message_id == progress.message_id

        api.push_message(user_id=ADMIN, text="/rule_add fruit keywords pineapple")
        await api.wait_for_messages(ADMIN, 2, timeout=30)
        world.live.post(room, "who brought the PINEAPPLE?", ana)
        alert = (await api.wait_for_messages(ADMIN, 3, timeout=30))[-1]
        assert "fruit" in (alert.plain_text or "")

        api.push_message(user_id=ADMIN, text="/jobs")
        jobs = (await api.wait_for_messages(ADMIN, 4, timeout=30))[-1]
        assert "Catch-up of watched chats" in (jobs.plain_text or "")
        assert "Daily digest" in (jobs.plain_text or "")
        stop.set()
        await asyncio.wait_for(running, 60)
    assert api.messages(STRANGER) == []
