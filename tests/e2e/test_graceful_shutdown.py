"""SIGTERM with work in flight: `run` stops taking work, lets the running task finish while the
session is still connected, writes the live events it holds, and loses nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import Select, func, select
from telethon import TelegramClient
from telethon.tl.functions.messages import GetHistoryRequest

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from core.db.database import Database
from core.db.tables import messages, tasks
from services.archiver.telethon_adapter import client_from_settings
from telegramvault.bootstrap import Core, start_logging
from telegramvault.roles import run_roles
from tests.e2e.harness import ADMIN, SECRET
from tests.fakes.botapi import TOKEN, FakeBotApi
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.archiver import API_ID, SETTINGS_API_HASH
from tests.fakes.telegram.client import fake_client

FLOOD_SECONDS = 7


class FloodGate:
    """The retry wrapper's sleep: a flood wait holds the task until the test opens the gate."""

    def __init__(self) -> None:
        self.waiting = asyncio.Event()
        self.open = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        if seconds == FLOOD_SECONDS:
            self.waiting.set()
            await self.open.wait()


async def _core(db: Database, tmp_path: Path, api_server: str, gate: FloodGate) -> Core:
    config = ConfigManager(
        env_file=None,
        environ={
            "SECRET_KEY": SECRET,
            "TELEGRAM_API_ID": str(API_ID),
            "TELEGRAM_API_HASH": SETTINGS_API_HASH,
            "BOT_TOKEN": TOKEN,
            "BOT_ADMIN_IDS": str(ADMIN),
            "BOT_API_SERVER": api_server,
            "MEDIA_DIR": str(tmp_path / "media"),
            "HTTP_PORT": "0",
            # Live events stay in the micro-batch until shutdown writes them.
            "ARCHIVE_LIVE_FLUSH_MS": "60000",
            "ARCHIVE_LIVE_BATCH_SIZE": "10000",
        },
    )
    config.load()
    logger = await start_logging(config)
    retry = APIRetryWrapper(policy=RetryPolicy(), sleep=gate.sleep)
    return Core(config=config, settings=config.settings, logger=logger, db=db, retry=retry)


async def _count(db: Database, query: Select[tuple[int]]) -> int:
    async with db.reader() as uow:
        return int((await uow.connection.execute(query)).scalar_one())


async def test_stopping_mid_task_finishes_the_task_and_writes_held_live_events(
    db: Database, tmp_path: Path
) -> None:
    world = FakeTelegram()
    ana = world.add_user("Ana", username="ana")
    room = world.add_supergroup("Room", username="room")
    world.fill(room, 250, ana)
    world.faults.flood_wait(GetHistoryRequest, nth=2, seconds=FLOOD_SECONDS)
    gate = FloodGate()

    def factory(settings: TelegramSettings, session: str | None) -> TelegramClient:
        return fake_client(world, lambda: client_from_settings(settings, session))

    async with FakeBotApi() as api:
        core = await _core(db, tmp_path, api.base_url, gate)
        stop = asyncio.Event()
        running = asyncio.create_task(
            run_roles(core, ("bot", "archiver"), stop=stop, client_factory=factory)
        )
        await api.wait_for_calls("getUpdates", timeout=30)
        api.push_message(user_id=ADMIN, text="/watch @room")
        await asyncio.wait_for(gate.waiting.wait(), 30)  # the backfill is in a flood wait
        for n in range(5):
            world.live.post(room, f"live {n} while stopping", ana)
        await asyncio.sleep(0.5)  # the events reach the live path's micro-batch

        stop.set()  # as SIGTERM does
        await asyncio.sleep(0.2)
        assert not running.done()  # shutdown waits for the running task
        gate.open.set()
        await asyncio.wait_for(running, 60)

    in_room = messages.c.chat_id == room.marked_id
    assert await _count(db, select(func.count()).where(in_room)) == 255
    states = select(tasks.c.kind, tasks.c.state).order_by(tasks.c.id)
    async with db.reader() as uow:
        rows = [tuple(r) for r in await uow.connection.execute(states)]
    assert rows == [("watch", "done"), ("backfill", "done")]
