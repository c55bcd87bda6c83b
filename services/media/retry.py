"""MediaRetryService: drains the media queue (first downloads and retries), a few at a time."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from core.config_manager import ConfigManager
from core.db.database import Database
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.media.ingestion import MediaIngestionService, MediaItem, MediaOutcome

SERVICE = "MediaRetryService"


@dataclass(slots=True)
class MediaSweepReport:
    processed: int = 0
    by_state: Counter[str] = field(default_factory=Counter)
    released_stale: int = 0


class MediaRetryService:
    """Retries queued media with exponential backoff until done or failed with a reason."""

    def __init__(
        self,
        config: ConfigManager,
        logger: EnhancedLoggingSystem,
        *,
        db: Database,
        ingestion: MediaIngestionService,
        worker_id: str = "archiver",
        account_id: int | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``account_id``: the archiver's account; it downloads only media it can see (those
        of chats another account watches are left to that account's archiver)."""
        self.config = config
        self.logger = logger
        self.max_retries = config.get_int("MEDIA_RETRY_MAX_ATTEMPTS")
        self.delay_base = config.get_int("MEDIA_RETRY_DELAY_BASE")
        self.timeout = config.get_int("MEDIA_DOWNLOAD_TIMEOUT")
        self.concurrency = config.get_int("MEDIA_DOWNLOAD_CONCURRENCY")
        self._db = db
        self._ingestion = ingestion
        self._worker = worker_id
        self._account_id = account_id
        self._clock = clock

    async def process_failed_downloads(self, limit: int = 100) -> MediaSweepReport:
        """One sweep: release abandoned downloads, then process every due row (up to ``limit``)."""
        report = MediaSweepReport(released_stale=await self._release_stale())
        async with self._db.unit_of_work() as uow:
            rows = await uow.media.claim_due(
                self._clock(), limit, self._worker, account_id=self._account_id
            )
            await uow.commit()
        gate = asyncio.Semaphore(self.concurrency)

        async def _one(item: MediaItem) -> MediaOutcome:
            async with gate:
                return await self.retry_download(item)

        outcomes = await asyncio.gather(*(_one(MediaItem.from_row(r)) for r in rows))
        report.processed = len(outcomes)
        report.by_state.update(outcome.state for outcome in outcomes)
        await self.logger.log_metrics(SERVICE, {"processed": report.processed, **report.by_state})
        return report

    async def retry_download(self, media_file: MediaItem) -> MediaOutcome:
        await self.logger.log_info(
            SERVICE,
            "retry_download",
            "Starting download retry",
            details={
                "media_id": media_file.id,
                "attempt": media_file.attempts + 1,
                "max_retries": self.max_retries,
            },
        )
        return await self._ingestion.download_media(media_file)

    async def requeue_failed(self, chat_id: int | None = None) -> int:
        """An admin's /retry_media: failed rows (of one chat, or all) get a fresh round."""
        async with self._db.unit_of_work() as uow:
            count = await uow.media.requeue_failed(self._clock(), chat_id)
            await uow.commit()
        return count

    async def _release_stale(self) -> int:
        cutoff = self._clock() - timedelta(seconds=2 * self.timeout)
        async with self._db.unit_of_work() as uow:
            released = await uow.media.release_stale(cutoff, self._clock())
            await uow.commit()
        return released
