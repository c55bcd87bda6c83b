"""Shared pieces of the scheduler tests: a job context on a real vault, settings, waiting."""

from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

from core.config_manager import ConfigManager
from core.config_settings import SchedulerSettings
from core.db.database import Database
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.detection.service import DetectionService
from services.jobs.context import JobContext
from services.jobs.models import JobRun
from services.jobs.scheduler import VaultScheduler
from services.tasks.queue import TaskQueue

ADMINS = (111, 112)
TZ = ZoneInfo("Europe/Madrid")
WAIT = 30.0  # generous: a bound on a hang, never a measurement


def schedule(**overrides: int) -> SchedulerSettings:
    values = {
        "catchup_minutes": 15,
        "media_retry_minutes": 10,
        "enrichment_hours": 24,
        "maintenance_hours": 24,
        "digest_hour": 8,
        **overrides,
    }
    return SchedulerSettings(**values)


async def detection_service(db: Database) -> DetectionService:
    config = ConfigManager(env_file=None, environ={})
    config.load()
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    return DetectionService(config, logger, db=db, recipients=ADMINS)


async def job_context(db: Database, tmp_path: Path) -> JobContext:
    return JobContext(
        db=db,
        tasks=TaskQueue(db),
        detection=await detection_service(db),
        media_dir=tmp_path / "media",
        log_file=tmp_path / "logs" / "vault.log",
        tz=TZ,
        admins=ADMINS,
    )


def next_run_of(scheduler: VaultScheduler) -> asyncio.Future[JobRun]:
    """A future resolved with the next run that finishes."""
    future: asyncio.Future[JobRun] = asyncio.get_running_loop().create_future()

    def listener(run: JobRun) -> None:
        if not future.done():
            future.set_result(run)

    scheduler.subscribe(listener)
    return future
