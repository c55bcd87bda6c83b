"""BotEnv: the real aiogram bot and dispatcher, wired with the real services on a real vault,
talking HTTP to the local Bot API fake. Tests speak as an admin (or a stranger) and read what
the bot sent back.

``send``/``press``/``upload`` feed one update through ``Dispatcher.feed_update``: it runs the
handlers to completion and re-raises their errors, so a test sees exactly what one update did.
``polling`` runs the real long-polling loop for the tests that need it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.enums import ParseMode
from aiogram.types import Update

from bot.app import build_dispatcher
from bot.context import BotServices
from core.config_manager import ConfigManager
from core.db.database import Database
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.alerts.outbox import AlertOutbox
from services.archiver.watchlist import WatchListService
from services.detection.service import DetectionService
from services.export.service import ExportService
from services.jobs.control import QueuedJobControl
from services.search.service import SearchService
from services.status.service import StatusService
from services.tasks.queue import TaskQueue
from tests.fakes.botapi import TOKEN, FakeBotApi, SentMessage, make_bot

ADMIN = 111
OTHER_ADMIN = 112
STRANGER = 999
SECRET = "Zr8vQ2mN5xK7pL1wT9yB4cF6hJ3sD0gAeUiOo"


def bot_config(tmp_path: Path, **environ: str) -> ConfigManager:
    values = {
        "SECRET_KEY": SECRET,
        "BOT_TOKEN": TOKEN,
        "BOT_ADMIN_IDS": f"{ADMIN},{OTHER_ADMIN}",
        "MEDIA_DIR": str(tmp_path / "media"),
        "SEARCH_PAGE_SIZE": "5",
        **environ,
    }
    config = ConfigManager(env_file=None, environ=values)
    config.load()
    return config


def bot_services(db: Database, config: ConfigManager, logger: EnhancedLoggingSystem) -> BotServices:
    settings = config.settings
    tz = ZoneInfo(settings.bot.timezone)
    recipients = [*settings.bot.admin_ids]
    return BotServices(
        settings=settings,
        db=db,
        search=SearchService(db, config, logger),
        detection=DetectionService(config, logger, db=db, recipients=recipients),
        watch=WatchListService(db, None, excluded=frozenset(settings.archive.exclude_chats)),
        tasks=TaskQueue(db),
        status=StatusService(
            db,
            media_dir=settings.media.dir,
            started_at=datetime.now(UTC),
            excluded_chats=frozenset(settings.archive.exclude_chats),
        ),
        export=ExportService(db, tz=tz),
        outbox=AlertOutbox(db),
        tz=tz,
        page_size=settings.search.page_size,
    )


@dataclass
class BotEnv:
    api: FakeBotApi
    bot: Bot
    dispatcher: Dispatcher
    services: BotServices
    db: Database
    sent_before: dict[int, int] = field(default_factory=dict)

    async def feed(self, update: dict[str, Any]) -> None:
        await self.dispatcher.feed_update(self.bot, Update.model_validate(update))

    async def send(
        self, text: str, *, user_id: int = ADMIN, chat_id: int | None = None
    ) -> list[SentMessage]:
        """Send ``text`` as ``user_id``; returns the messages the bot sent in reply (new ones)."""
        chat = chat_id if chat_id is not None else user_id
        before = len(self.api.messages(chat))
        await self.feed(self.api.message_update(user_id=user_id, text=text, chat_id=chat_id))
        return self.api.messages(chat)[before:]

    async def reply(self, text: str, *, user_id: int = ADMIN) -> SentMessage:
        """Send ``text`` and return the one message the bot answered with (its last one)."""
        sent = await self.send(text, user_id=user_id)
        assert sent, f"the bot did not answer {text!r}"
        return sent[-1]

    async def press(
        self, message: SentMessage, button: str, *, user_id: int = ADMIN
    ) -> SentMessage:
        """Press the button whose text contains ``button``; returns the message as it is now."""
        data = find_button(message, button)
        await self.feed(
            self.api.callback_update(
                user_id=user_id, data=data, message=message, chat_id=message.chat_id
            )
        )
        return self.current(message)

    async def upload(
        self, content: bytes, file_name: str, *, user_id: int = ADMIN, caption: str | None = None
    ) -> list[SentMessage]:
        before = len(self.api.messages(user_id))
        update = self.api.document_update(
            user_id=user_id, content=content, file_name=file_name, caption=caption
        )
        await self.feed(update)
        return self.api.messages(user_id)[before:]

    def current(self, message: SentMessage) -> SentMessage:
        """The message as it stands now (after edits)."""
        for candidate in self.api.messages(message.chat_id):
            if candidate.message_id == message.message_id:
                return candidate
        raise AssertionError(f"message {message.message_id} is gone")

    def answers(self) -> list[str | None]:
        """Texts of every callback answer, in order."""
        return [answer.text for answer in self.api.callback_answers]


def find_button(message: SentMessage, label: str) -> str:
    for row in message.buttons:
        for button in row:
            if label in button["text"] and "callback_data" in button:
                return str(button["callback_data"])
    labels = [b["text"] for row in message.buttons for b in row]
    raise AssertionError(f"no button {label!r} on the message; buttons: {labels}")


@contextlib.asynccontextmanager
async def bot_env(db: Database, tmp_path: Path, **environ: str) -> AsyncIterator[BotEnv]:
    config = bot_config(tmp_path, **environ)
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    services = bot_services(db, config, logger)
    async with FakeBotApi() as api:
        bot = make_bot(api, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
        try:
            jobs = QueuedJobControl(db, services.tasks)  # no scheduler here: tests add one
            dispatcher = build_dispatcher(services, config.settings.bot.admin_ids, jobs=jobs)
            yield BotEnv(api, bot, dispatcher, services, db)
        finally:
            await bot.session.close()


@contextlib.asynccontextmanager
async def polling(env: BotEnv) -> AsyncIterator[None]:
    """Run the real long-polling loop for the duration of the block."""
    task = asyncio.create_task(
        env.dispatcher.start_polling(
            env.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
        )
    )
    try:
        yield
    finally:
        with contextlib.suppress(RuntimeError):
            await env.dispatcher.stop_polling()
        await asyncio.wait_for(task, 10)
