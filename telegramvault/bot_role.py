"""The bot role: the admin control plane and the alert sender, wired from the core.

It needs no Telegram user session: it reads the vault, changes rules and the watch list, and
queues work (watch, backfill, media retry, enrichment) for the process that holds the session —
the same process when ``run`` starts every role, another one when roles run apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from aiogram import Bot

from bot.alerts.sender import AlertSender
from bot.app import build_dispatcher, create_bot, run_bot
from bot.context import BotServices
from bot.polling_liveness import watch_polling
from bot.progress import TaskProgressRelay
from services.alerts.outbox import AlertOutbox
from services.archiver.watchlist import WatchListService
from services.detection.service import DetectionService
from services.export.service import ExportService
from services.jobs.control import JobControl, QueuedJobControl
from services.observability.liveness import BotLiveness
from services.search.service import SearchService
from services.status.service import StatusService
from services.tasks.queue import TaskQueue
from telegramvault.bootstrap import Core, alert_recipients


def build_bot_services(core: Core, *, tasks: TaskQueue, started_at: datetime) -> BotServices:
    settings = core.settings
    tz = ZoneInfo(settings.bot.timezone)
    excluded = frozenset(settings.archive.exclude_chats)
    return BotServices(
        settings=settings,
        db=core.db,
        search=SearchService(core.db, core.config, core.logger),
        detection=DetectionService(
            core.config, core.logger, db=core.db, recipients=alert_recipients(core)
        ),
        watch=WatchListService(core.db, None, excluded=excluded),
        tasks=tasks,
        status=StatusService(
            core.db, media_dir=settings.media.dir, started_at=started_at, excluded_chats=excluded
        ),
        export=ExportService(core.db, tz=tz),
        outbox=AlertOutbox(core.db),
        tz=tz,
        page_size=settings.search.page_size,
    )


async def run_bot_role(
    core: Core,
    *,
    stop: asyncio.Event,
    tasks: TaskQueue | None = None,
    jobs: JobControl | None = None,
    bot_factory: Callable[[str, str], Bot] = create_bot,
    started_at: datetime | None = None,
    on_ready: Callable[[BotServices], None] | None = None,
    liveness: BotLiveness | None = None,
) -> None:
    """Poll Telegram and deliver alerts until ``stop`` is set; every answered poll beats
    ``liveness`` (the health check's signal that polling is alive)."""
    settings = core.settings
    queue = tasks or TaskQueue(core.db)
    services = build_bot_services(core, tasks=queue, started_at=started_at or datetime.now(UTC))
    bot = bot_factory(settings.bot.token or "", settings.bot.api_server)
    if liveness is not None:
        watch_polling(bot, liveness)
    try:
        control = jobs or QueuedJobControl(core.db, queue)
        dispatcher = build_dispatcher(services, settings.bot.admin_ids, jobs=control)
        sender = AlertSender(bot, services.outbox, tz=services.tz)
        relay = TaskProgressRelay(bot, queue)
        if on_ready is not None:
            on_ready(services)
        await run_bot(bot, dispatcher, stop=stop, background=[sender.run, relay.run])
    finally:
        await bot.session.close()
