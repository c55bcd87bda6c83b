"""MediaIngestionService: a queued media row -> a content-addressed file, or a reasoned retry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.repos.media import DONE, FAILED, RETRY
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.error_categories import ErrorCategory
from core.ports.flood import FloodWaitRecorder
from core.ports.telegram import TelegramGateway
from services.media.store import ContentStore, StoredBlob
from services.media.validation import validation_problem

log = structlog.get_logger(__name__)
SERVICE = "MediaIngestionService"


@dataclass(frozen=True, slots=True)
class MediaItem:
    """A claimed media row with the message it belongs to."""

    id: int
    chat_id: int
    message_id: int
    kind: str
    tg_file_id: int | None
    mime_type: str | None
    declared_size: int | None
    attempts: int

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> MediaItem:
        return cls(
            row["id"],
            row["chat_id"],
            row["message_id"],
            row["kind"],
            row["tg_file_id"],
            row["mime_type"],
            row["declared_size"],
            row["attempts"],
        )


@dataclass(frozen=True, slots=True)
class MediaOutcome:
    media_id: int
    state: str  # done, retry, failed
    sha256: str | None = None
    error: str | None = None
    deduplicated: bool = False


class MediaIngestionService:
    """Downloads media into the store under MEDIA_DIR, deduplicating before and after download."""

    def __init__(
        self,
        config: ConfigManager,
        logger: EnhancedLoggingSystem,
        *,
        db: Database,
        gateway: TelegramGateway,
        flood_recorder: FloodWaitRecorder | None = None,
        sleep: Callable[[float], Any] = asyncio.sleep,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.logger = logger
        self.media_dir = config.get_path("MEDIA_DIR")
        self.validation_enabled = config.get_bool("MEDIA_VALIDATION_ENABLED")
        self.timeout = config.get_int("MEDIA_DOWNLOAD_TIMEOUT")
        self.max_retries = config.get_int("MEDIA_RETRY_MAX_ATTEMPTS")
        self.delay_base = config.get_int("MEDIA_RETRY_DELAY_BASE")
        # Downloads may take far longer than an API call: the whole download gets the media timeout.
        policy = replace(RetryPolicy.from_config(config), attempt_timeout=float(self.timeout))
        self.retry_wrapper = APIRetryWrapper(
            policy=policy, logger=logger, flood_recorder=flood_recorder, sleep=sleep
        )
        self.store = ContentStore(self.media_dir)
        self._db = db
        self._gateway = gateway
        self._clock = clock

    async def download_media(self, item: MediaItem) -> MediaOutcome:
        """Process one claimed row to done, retry (with the next time) or failed (with why)."""
        reused = await self._reuse_known_file(item)
        if reused is not None:
            return reused
        result = await self.retry_wrapper.execute_with_retry(
            self._fetch, item, operation_name="download_media"
        )
        if not result.success or result.result is None:
            error = result.error or RuntimeError("download returned nothing")
            return await self._record_failure(item, error, result.category)
        return await self._accept(item, result.result)

    async def _fetch(self, item: MediaItem) -> StoredBlob:
        return await self.store.put_chunks(
            self._gateway.download_media(item.chat_id, item.message_id)
        )

    async def _reuse_known_file(self, item: MediaItem) -> MediaOutcome | None:
        if item.tg_file_id is None:
            return None
        async with self._db.unit_of_work() as uow:
            blob = await uow.media.blob_for_file(item.tg_file_id)
            if blob is None or not self.store.exists(blob["sha256"]):
                return None
            await uow.media.mark_done(item.id, blob["sha256"], self._clock())
            await uow.commit()
        log.info("media_deduplicated", media_id=item.id, sha256=blob["sha256"])
        return MediaOutcome(item.id, DONE, blob["sha256"], deduplicated=True)

    async def _accept(self, item: MediaItem, blob: StoredBlob) -> MediaOutcome:
        problem = await self._validate(item, blob)
        if problem is not None:
            return await self._fail(item, f"validation: {problem}", "permanent", item.attempts + 1)
        async with self._db.unit_of_work() as uow:
            await uow.media.add_blob(blob.sha256, blob.size, item.mime_type, blob.relative_path)
            await uow.media.mark_done(item.id, blob.sha256, self._clock())
            await uow.commit()
        await self.logger.log_info(
            SERVICE,
            "download_media",
            "Media downloaded successfully",
            details={"media_id": item.id, "message_id": item.message_id, "size": blob.size},
        )
        return MediaOutcome(item.id, DONE, blob.sha256)

    async def _validate(self, item: MediaItem, blob: StoredBlob) -> str | None:
        if not self.validation_enabled:
            return None
        head = await self.store.read_head(blob.sha256)
        return validation_problem(
            kind=item.kind,
            mime_type=item.mime_type,
            declared_size=item.declared_size,
            size=blob.size,
            head=head,
        )

    async def _record_failure(
        self, item: MediaItem, error: Exception, category: ErrorCategory | None
    ) -> MediaOutcome:
        attempts = item.attempts + 1
        reason = f"{type(error).__name__}: {error}"[:500]
        permanent = category is None or category == ErrorCategory.PERMANENT
        if permanent or attempts >= self.max_retries:
            why = reason if permanent else f"gave up after {attempts} attempts: {reason}"
            return await self._fail(item, why, str(category or "permanent"), attempts)
        next_at = self._clock() + timedelta(seconds=self.delay_base * 2 ** (attempts - 1))
        async with self._db.unit_of_work() as uow:
            await uow.media.mark_retry(
                item.id,
                error=reason,
                category=str(category),
                attempts=attempts,
                next_at=next_at,
                at=self._clock(),
            )
            await uow.commit()
        log.info("media_retry_scheduled", media_id=item.id, attempts=attempts, next_at=next_at)
        return MediaOutcome(item.id, RETRY, error=reason)

    async def _fail(
        self, item: MediaItem, reason: str, category: str, attempts: int
    ) -> MediaOutcome:
        async with self._db.unit_of_work() as uow:
            await uow.media.mark_failed(
                item.id, error=reason, category=category, attempts=attempts, at=self._clock()
            )
            await uow.commit()
        await self.logger.log_warning(
            SERVICE,
            "download_media",
            "Media download failed",
            details={"media_id": item.id, "message_id": item.message_id, "reason": reason},
        )
        return MediaOutcome(item.id, FAILED, error=reason)
