"""The bot's assembly: a Bot for the configured Bot API server, and a Dispatcher whose routers
see only admins' updates. ``run_bot`` polls until stopped, with the alert sender alongside."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence

import structlog
from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand

from bot.access import AdminOnly
from bot.alerts.router import alerts_router
from bot.commands import COMMANDS
from bot.context import BotServices
from bot.errors import errors_router
from bot.routers.chats import chats_router
from bot.routers.export import export_router
from bot.routers.jobs import jobs_router
from bot.routers.rules import rules_router
from bot.routers.search import search_router
from bot.routers.start import fallback_router, start_router
from bot.routers.status import status_router
from services.jobs.control import JobControl

log = structlog.get_logger(__name__)
POLLING_TIMEOUT = 30


def create_bot(token: str, api_server: str) -> Bot:
    """A Bot that talks to ``api_server`` (Telegram's or a local Bot API server), HTML replies."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_server))
    return Bot(token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def feature_routers() -> list[Router]:
    """Every feature's router, freshly built, in matching order (the fallback comes last)."""
    return [
        start_router(),
        status_router(),
        search_router(),
        rules_router(),
        chats_router(),
        export_router(),
        jobs_router(),
        alerts_router(),
    ]


def build_dispatcher(
    services: BotServices,
    admin_ids: Sequence[int],
    *,
    jobs: JobControl,
    routers: Callable[[], list[Router]] = feature_routers,
) -> Dispatcher:
    """Handlers receive ``services`` and ``jobs`` (the scheduler, here or in another process)."""
    dispatcher = Dispatcher(storage=MemoryStorage(), services=services, jobs=jobs)
    dispatcher.update.outer_middleware(AdminOnly(frozenset(admin_ids)))
    dispatcher.include_routers(errors_router(), *routers(), fallback_router())
    return dispatcher


async def set_commands(bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand(command=name, description=text) for name, text, _ in COMMANDS]
    )


async def run_bot(
    bot: Bot,
    dispatcher: Dispatcher,
    *,
    stop: asyncio.Event,
    background: Sequence[Callable[[asyncio.Event], Awaitable[None]]] = (),
    polling_timeout: int = POLLING_TIMEOUT,
) -> None:
    """Poll until ``stop`` is set, with ``background`` loops (alert sender, progress relay)."""
    await bot.delete_webhook(drop_pending_updates=False)
    await set_commands(bot)
    me = await bot.get_me()
    log.info("bot_started", username=me.username)
    loops = [asyncio.ensure_future(loop(stop)) for loop in background]
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot, handle_signals=False, close_bot_session=False, polling_timeout=polling_timeout
        )
    )
    try:
        await stop.wait()
    finally:
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await dispatcher.stop_polling()
        await _finish(polling, loops)
        log.info("bot_stopped")


async def _finish(polling: asyncio.Task[None], loops: Sequence[asyncio.Future[None]]) -> None:
    with contextlib.suppress(asyncio.CancelledError):
        await polling
    for task in loops:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, timeout=10)
