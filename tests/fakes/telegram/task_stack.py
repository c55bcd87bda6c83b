"""The archiver's task worker over the scripted Telegram: real Telethon client, gateway, retry
wrapper (its flood waits reach the running task), services and archiver_task_handlers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.config_manager import ConfigManager
from core.db.database import Database, DatabaseFloodRecorder
from core.domain.archive import MEDIA_KINDS
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.archiver.backfill import BackfillService
from services.archiver.flood_progress import FloodWaitProgress
from services.archiver.task_handlers import archiver_task_handlers
from services.archiver.vault_peers import VaultAccessHashes
from services.archiver.watchlist import WatchListService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.media.ingestion import MediaIngestionService
from services.media.retry import MediaRetryService
from services.tasks.queue import TaskQueue
from services.tasks.worker import TaskWorker
from tests.fakes.telegram.archiver import GatewayStack, build_gateway
from tests.fakes.telegram.world import FakeTelegram

WORKER = "archiver-1"


class RecordingQueue(TaskQueue):
    """The real queue, remembering every progress report it stored (the bot sees only the last)."""

    def __init__(self, db: Database) -> None:
        super().__init__(db)
        self.reports: list[tuple[int, dict[str, Any]]] = []

    async def report_progress(self, task_id: int, progress: Mapping[str, Any]) -> None:
        self.reports.append((task_id, dict(progress)))
        await super().report_progress(task_id, progress)

    def progress_of(self, task_id: int) -> list[dict[str, Any]]:
        return [report for tid, report in self.reports if tid == task_id]


@dataclass
class TaskStack:
    telegram: GatewayStack
    queue: RecordingQueue
    watch: WatchListService
    backfill: BackfillService
    media: MediaRetryService
    media_wanted: asyncio.Event
    worker: TaskWorker

    async def close(self) -> None:
        await self.telegram.close()


async def _no_sleep(_seconds: float) -> None:
    return None


def media_config(media_dir: Path) -> ConfigManager:
    config = ConfigManager(
        env_file=None,
        environ={
            "MEDIA_DIR": str(media_dir),
            "MEDIA_DOWNLOAD_CONCURRENCY": "1",  # one download at a time: faults hit in order
            "TELEGRAM_API_RETRY_MAX_ATTEMPTS": "1",
        },
    )
    config.load()
    return config


async def build_task_stack(world: FakeTelegram, db: Database, media_dir: Path) -> TaskStack:
    flood_recorder = FloodWaitProgress(DatabaseFloodRecorder(db))
    telegram = build_gateway(
        world, flood_recorder=flood_recorder, access_hashes=VaultAccessHashes(db)
    )
    ingest = IngestService(db, MediaPolicy(frozenset(MEDIA_KINDS)))
    backfill = BackfillService(telegram.gateway, ingest, db)
    watch = WatchListService(db, telegram.gateway)
    config = media_config(media_dir)
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    ingestion = MediaIngestionService(
        config, logger, db=db, gateway=telegram.gateway, flood_recorder=flood_recorder,
        sleep=_no_sleep,
    )  # fmt: skip
    media = MediaRetryService(config, logger, db=db, ingestion=ingestion)
    queue = RecordingQueue(db)
    media_wanted = asyncio.Event()
    handlers = archiver_task_handlers(
        watch=watch, backfill=backfill, media=media, tasks=queue, media_wanted=media_wanted
    )
    worker = TaskWorker(queue, handlers, worker_id=WORKER)
    return TaskStack(telegram, queue, watch, backfill, media, media_wanted, worker)
