"""EnhancedUserEnricherService: full profiles, photos and change history for the vault's people.

Profiles are asked for one at a time (users.getFullUser is closely rate-limited) and stored a
batch (USER_ENRICHMENT_BATCH_SIZE) per transaction. Each call is bounded by
USER_ENRICHMENT_TIMEOUT and retried USER_ENRICHMENT_MAX_RETRIES times through APIRetryWrapper
inside the ProfileSource. One person failing never stops a batch; a flood wait does pause it,
and one beyond TELEGRAM_FLOOD_WAIT_MAX leaves the rest for a later run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

from core.api_retry_wrapper import APIRetryWrapper
from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.repos.profiles import ProfileRepo
from core.domain.messages import UserInfo
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import InvalidInputError, NotFoundError
from core.ports.profiles import ProfileSource
from services.enrichment.flood_gate import FloodGate
from services.enrichment.models import EnrichmentReport, EnrichmentResult
from services.enrichment.people import WatchedPeople
from services.enrichment.photos import PhotoKeeper
from services.enrichment.refresh import Fetched, ProfileRefresher
from services.media.store import ContentStore

SERVICE: Final = "EnhancedUserEnricherService"
Progress = Callable[[int, int], Awaitable[None]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class EnhancedUserEnricherService:
    """Refreshes profiles from Telegram; ``recipients`` (the admins) hear of watched people."""

    def __init__(
        self,
        config: ConfigManager,
        logger: EnhancedLoggingSystem,
        *,
        db: Database,
        profiles: ProfileSource,
        retry: APIRetryWrapper,
        store: ContentStore | None = None,
        recipients: Sequence[int] = (),
        clock: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.logger = logger
        self.timeout = config.get_int("USER_ENRICHMENT_TIMEOUT")
        self.batch_size = config.get_int("USER_ENRICHMENT_BATCH_SIZE")
        self.max_retries = config.get_int("USER_ENRICHMENT_MAX_RETRIES")
        self._db = db
        self._clock = clock
        self._people = WatchedPeople(db)
        gate = FloodGate(db, retry, clock=clock, sleep=sleep)
        self._refresher = ProfileRefresher(
            db=db, profiles=profiles, retry=retry, gate=gate,
            photos=PhotoKeeper(db, profiles, store, gate), recipients=recipients, clock=clock,
        )  # fmt: skip

    async def enrich_user(self, user_id: int) -> EnrichmentResult:
        """One person: full profile, photo, history, and an alert if they are watched."""
        operation = await self.logger.log_operation_start(
            "enrich_user", SERVICE, context={"user_id": user_id}
        )
        try:
            [result] = await self._refresher.store([await self._refresher.fetch(user_id)])
        except Exception as error:
            await self.logger.log_operation_end(operation, success=False, error=error)
            raise
        context = {"changes": len(result.changes), "reason": result.reason}
        await self.logger.log_operation_end(operation, success=result.refreshed, context=context)
        return result

    async def enrich_batch(
        self, user_ids: Sequence[int], *, progress: Progress | None = None
    ) -> EnrichmentReport:
        """Everyone in ``user_ids`` (duplicates once), ``batch_size`` per transaction;
        ``progress(done, total)`` after each batch."""
        ids = list(dict.fromkeys(user_ids))
        report = EnrichmentReport(total=len(ids))
        operation = await self.logger.log_operation_start(
            "enrich_batch", SERVICE, context={"users": len(ids), "batch_size": self.batch_size}
        )
        try:
            await self._run(ids, report, progress)
        except Exception as error:
            await self.logger.log_operation_end(operation, success=False, error=error)
            raise
        counts = {k: v for k, v in report.as_data().items() if k != "failed_users"}
        await self.logger.log_operation_end(operation, success=True, context=counts)
        return report

    async def _run(
        self, ids: list[int], report: EnrichmentReport, progress: Progress | None
    ) -> None:
        halted: str | None = None
        for start in range(0, len(ids), self.batch_size):
            fetched: list[Fetched] = []
            for user_id in ids[start : start + self.batch_size]:
                if halted is not None:  # asking now would only lengthen the wait
                    fetched.append(Fetched(user_id, reason=halted, deferred=True))
                    continue
                item = await self._refresher.fetch(user_id)
                halted = item.halt
                fetched.append(item)
            for result in await self._refresher.store(fetched):
                report.add(result)
            if progress is not None:
                await progress(report.done, report.total)

    async def enrich_chat_members(
        self, chat_id: int, *, progress: Progress | None = None
    ) -> EnrichmentReport:
        """The people the vault has seen writing in the chat."""
        async with self._db.reader() as uow:
            if await uow.chats.get(chat_id) is None:
                raise NotFoundError(f"chat {chat_id} is not in the vault")
            ids = await ProfileRepo(uow.connection, uow.dialect).chat_senders(chat_id)
        return await self.enrich_batch(ids, progress=progress)

    async def enrich_stale(
        self, *, older_than: timedelta, limit: int, progress: Progress | None = None
    ) -> EnrichmentReport:
        """The scheduler's sweep: up to ``limit`` people never refreshed or refreshed before
        ``older_than`` ago, watched people first. Deleted accounts are left alone."""
        if older_than < timedelta(0):
            raise InvalidInputError("older_than cannot be negative")
        if limit < 1:
            raise InvalidInputError(f"a sweep refreshes at least one profile, not {limit}")
        return await self._sweep(self._clock() - older_than, limit, progress)

    async def enrich_all(self, *, progress: Progress | None = None) -> EnrichmentReport:
        """Every live account in the vault, watched people first."""
        return await self._sweep(self._clock(), None, progress)

    async def _sweep(
        self, before: datetime, limit: int | None, progress: Progress | None
    ) -> EnrichmentReport:
        async with self._db.reader() as uow:
            ids = await ProfileRepo(uow.connection, uow.dialect).stale(before, limit)
        return await self.enrich_batch(ids, progress=progress)

    async def download_profile_photo(self, user_id: int) -> str | None:
        """The SHA-256 of the user's current profile photo in the store (downloaded only when
        not kept yet); None without a photo, a store, or when the profile is unavailable."""
        return (await self.enrich_user(user_id)).photo_sha256

    async def watch_person(self, user_ref: str | int, watched: bool = True) -> UserInfo:
        """Alert the admins when this person (id, @username or t.me link) changes profile."""
        return await self._people.set_watched(user_ref, watched)

    async def watched_people(self) -> list[UserInfo]:
        return await self._people.watched()
