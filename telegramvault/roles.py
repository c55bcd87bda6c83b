"""Running several roles in one process: they share the core and the task queue, and when one
ends (stopped, or a dead Telegram session) the others are stopped too.

The scheduler runs beside the archiver: on SQLite that is the single process; on PostgreSQL
every archiver process competes for the scheduler's advisory lock and exactly one leads.
Beside them, unless HTTP_PORT is 0, the health and metrics endpoint checks what this process runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.app import POLLING_TIMEOUT
from services.archiver.telethon_adapter import client_from_settings
from services.detection.service import DetectionService
from services.jobs.context import JobContext
from services.jobs.control import DirectJobControl, JobControl, QueuedJobControl
from services.jobs.leader import SchedulerLeader, leadership_for
from services.jobs.scheduler import VaultScheduler
from services.observability.health import HealthReport, check_health
from services.observability.job_runs import JobRunCounter
from services.observability.liveness import BotLiveness
from services.observability.metrics import VaultMetrics
from services.tasks.queue import TaskQueue
from telegramvault.archiver_role import ClientFactory, run_archiver
from telegramvault.bootstrap import Core, alert_recipients
from telegramvault.bot_role import run_bot_role
from telegramvault.http_endpoint import serve_http


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


def http_runner(
    core: Core,
    roles: tuple[str, ...],
    *,
    stop: asyncio.Event,
    started_at: datetime,
    scheduler: VaultScheduler | None,
    liveness: BotLiveness | None,
) -> Coroutine[Any, Any, None]:
    """The endpoint, checking what this process runs; job runs are counted where the scheduler
    runs (it reports every finished run)."""
    job_runs = None
    if scheduler is not None:
        job_runs = JobRunCounter()
        scheduler.subscribe(job_runs.record)
    metrics = VaultMetrics(core.db, started_at=started_at, job_runs=job_runs)
    bot_alive = None if liveness is None else liveness.alive_now

    async def health() -> HealthReport:
        return await check_health(
            core.db,
            roles=roles,
            bot_alive=bot_alive,
            now=datetime.now(UTC),
            account=core.settings.telegram.account,
        )

    return serve_http(core.settings.http, health=health, metrics=metrics.exposition, stop=stop)


def role_runners(
    core: Core,
    roles: tuple[str, ...],
    *,
    stop: asyncio.Event,
    client_factory: ClientFactory = client_from_settings,
) -> list[Coroutine[Any, Any, None]]:
    """What runs for ``roles``, sharing one task queue, one start time and the bot's liveness."""
    started_at = datetime.now(UTC)
    tasks = TaskQueue(core.db)
    scheduler = build_scheduler(core, tasks) if "archiver" in roles else None
    # Long polling answers at least every POLLING_TIMEOUT seconds: three silent ones are a fault.
    silence = timedelta(seconds=3 * POLLING_TIMEOUT)
    liveness = BotLiveness(max_silence=silence) if "bot" in roles else None
    runners: list[Coroutine[Any, Any, None]] = []
    if "archiver" in roles:
        runners.append(run_archiver(core, stop=stop, tasks=tasks, client_factory=client_factory))
    if scheduler is not None:
        leader = SchedulerLeader(scheduler, leadership_for(core.db), tasks=tasks)
        runners.append(leader.run(stop))
    if "bot" in roles:
        jobs = job_control(core, tasks, scheduler)
        bot = run_bot_role(
            core, stop=stop, tasks=tasks, jobs=jobs, started_at=started_at, liveness=liveness
        )
        runners.append(bot)
    if core.settings.http.port:
        http = http_runner(
            core, roles, stop=stop, started_at=started_at, scheduler=scheduler, liveness=liveness
        )
        runners.append(http)
    return runners


async def run_roles(
    core: Core,
    roles: tuple[str, ...],
    *,
    stop: asyncio.Event,
    client_factory: ClientFactory = client_from_settings,
) -> None:
    """Run ``roles`` until ``stop`` is set or one of them ends; re-raises the first failure."""
    runners = role_runners(core, roles, stop=stop, client_factory=client_factory)
    running = [asyncio.create_task(runner) for runner in runners]
    try:
        await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stop.set()  # one role ended: the others stop too
        results = await asyncio.gather(*running, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
