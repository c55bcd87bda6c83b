"""Running several roles in one process: they share the core and the task queue, and when one
ends (stopped, or a dead Telegram session) the others are stopped too.

The scheduler runs beside the archiver: on SQLite that is the single process; on PostgreSQL
every archiver process competes for the scheduler's advisory lock and exactly one leads.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any
from zoneinfo import ZoneInfo

from services.archiver.telethon_adapter import client_from_settings
from services.detection.service import DetectionService
from services.jobs.context import JobContext
from services.jobs.control import DirectJobControl, JobControl, QueuedJobControl
from services.jobs.leader import SchedulerLeader, leadership_for
from services.jobs.scheduler import VaultScheduler
from services.tasks.queue import TaskQueue
from telegramvault.archiver_role import ClientFactory, run_archiver
from telegramvault.bootstrap import Core, alert_recipients
from telegramvault.bot_role import run_bot_role


def build_scheduler(core: Core, tasks: TaskQueue) -> VaultScheduler:
    settings = core.settings
    detection = DetectionService(
        core.config, core.logger, db=core.db, recipients=alert_recipients(core)
    )
    context = JobContext(
        db=core.db,
        tasks=tasks,
        detection=detection,
        media_dir=settings.media.dir,
        log_file=settings.logging.file,
        tz=ZoneInfo(settings.bot.timezone),
        admins=settings.bot.admin_ids,
    )
    return VaultScheduler(context, settings.scheduler)


def job_control(core: Core, tasks: TaskQueue, scheduler: VaultScheduler | None) -> JobControl:
    """The bot controls the scheduler directly when it surely runs here (SQLite: one process);
    otherwise through the task queue, which only the leading scheduler's process claims."""
    if scheduler is not None and core.db.dialect == "sqlite":
        return DirectJobControl(scheduler)
    return QueuedJobControl(core.db, tasks)


async def run_roles(
    core: Core,
    roles: tuple[str, ...],
    *,
    stop: asyncio.Event,
    client_factory: ClientFactory = client_from_settings,
) -> None:
    """Run ``roles`` until ``stop`` is set or one of them ends; re-raises the first failure."""
    tasks = TaskQueue(core.db)
    scheduler = build_scheduler(core, tasks) if "archiver" in roles else None
    runners: list[Coroutine[Any, Any, None]] = []
    if "archiver" in roles:
        runners.append(run_archiver(core, stop=stop, tasks=tasks, client_factory=client_factory))
    if scheduler is not None:
        leader = SchedulerLeader(scheduler, leadership_for(core.db), tasks=tasks)
        runners.append(leader.run(stop))
    if "bot" in roles:
        jobs = job_control(core, tasks, scheduler)
        runners.append(run_bot_role(core, stop=stop, tasks=tasks, jobs=jobs))
    running = [asyncio.create_task(runner) for runner in runners]
    try:
        await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.set()  # one role ended: the others stop too
        results = await asyncio.gather(*running, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
