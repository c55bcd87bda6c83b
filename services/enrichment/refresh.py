"""One refresh step: ask Telegram for profiles one by one, then store a batch in one transaction.

Storing reuses UserRepo's upsert, so every change of name, username, bio or photo gets its
history row with the time of the refresh; removals the full profile reveals are added to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import structlog

from core.api_retry_wrapper import APIRetryWrapper, ErrorCategory
from core.db.database import Database
from core.db.repos.profiles import ProfileRepo
from core.db.uow import UnitOfWork
from core.domain.profiles import FullProfile, ProfileChange
from core.error_categories import retry_after_seconds
from core.errors import ConfigurationError
from core.ports.profiles import FULL_USER_OPERATION, ProfileSource
from services.enrichment.changes import alert_rows, noteworthy, removed_fields
from services.enrichment.flood_gate import FloodGate
from services.enrichment.models import EnrichmentResult
from services.enrichment.photos import PhotoKeeper, PhotoOutcome
from services.enrichment.reasons import failure_reason

log = structlog.get_logger(__name__)
DELETED_ACCOUNT = "deleted account"


@dataclass(frozen=True, slots=True)
class Fetched:
    """What Telegram said about one person: the profile, or why there is none.

    ``halt`` asks the batch to stop asking, and says why (a flood wait is in force);
    ``permanent`` failures still count as an attempt, so a sweep does not retry them first
    every time.
    """

    user_id: int
    profile: FullProfile | None = None
    photo: PhotoOutcome = field(default_factory=PhotoOutcome)
    reason: str | None = None
    deferred: bool = False
    halt: str | None = None
    permanent: bool = False


class ProfileRefresher:
    def __init__(
        self,
        *,
        db: Database,
        profiles: ProfileSource,
        retry: APIRetryWrapper,
        gate: FloodGate,
        photos: PhotoKeeper,
        recipients: Sequence[int],
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._profiles = profiles
        self._retry = retry
        self._gate = gate
        self._photos = photos
        self._recipients = tuple(dict.fromkeys(recipients))
        self._clock = clock

    async def fetch(self, user_id: int) -> Fetched:
        """Ask for one profile (and its photo) unless a recorded flood wait forbids it."""
        deferred = await self._gate.wait_out(FULL_USER_OPERATION)
        if deferred is not None:
            return Fetched(user_id, reason=deferred, deferred=True, halt=deferred)
        try:
            profile = await self._profiles.full_user(user_id)
        except ConfigurationError:
            raise  # a dead session: no other profile can be fetched either
        except Exception as error:
            category = self._retry.categorize_error(error)
            reason = failure_reason(error)
            log.info("profile_unavailable", user_id=user_id, reason=reason, category=category.value)
            return Fetched(
                user_id,
                reason=reason,
                halt=_wait_left(reason, error) if category is ErrorCategory.RATE_LIMIT else None,
                permanent=category is ErrorCategory.PERMANENT,
            )
        return Fetched(user_id, profile, await self._photos.fetch(profile))

    async def store(self, batch: Sequence[Fetched]) -> list[EnrichmentResult]:
        """Write the batch in one transaction, alerts on watched people included."""
        at = self._clock()
        async with self._db.unit_of_work() as uow:
            repo = ProfileRepo(uow.connection, uow.dialect)
            results = [await self._store_one(uow, repo, item, at) for item in batch]
            await uow.commit()
        return results

    async def _store_one(
        self, uow: UnitOfWork, repo: ProfileRepo, item: Fetched, at: datetime
    ) -> EnrichmentResult:
        profile = item.profile
        if profile is None:
            if item.permanent:
                await repo.mark_enriched(item.user_id, at, common_chats_count=None)
            return EnrichmentResult(item.user_id, False, reason=item.reason, deferred=item.deferred)
        current = await uow.users.get(profile.id)
        stored = await uow.users.upsert([profile.as_user_info()], at)
        removed = await repo.clear(profile.id, removed_fields(current, profile), at)
        await PhotoKeeper.record(uow, profile, item.photo, at)
        await repo.mark_enriched(profile.id, at, common_chats_count=profile.common_chats_count)
        changes = tuple(
            ProfileChange(c.field, c.old_value, c.new_value) for c in [*stored, *removed]
        )
        alerts = await self._alert(uow, current, profile, changes, at)
        log.info("profile_enriched", user_id=profile.id, changes=len(changes), alerts=alerts)
        return EnrichmentResult(
            profile.id,
            refreshed=not profile.is_deleted,
            changes=changes,
            reason=DELETED_ACCOUNT if profile.is_deleted else None,
            photo_sha256=item.photo.sha256,
            photo_stored=item.photo.blob is not None,
            photo_problem=item.photo.problem,
            alerts=alerts,
        )

    async def _alert(
        self,
        uow: UnitOfWork,
        current: Mapping[str, Any] | None,
        profile: FullProfile,
        changes: Sequence[ProfileChange],
        at: datetime,
    ) -> int:
        if current is None or not current["is_watched"] or not self._recipients:
            return 0
        worth = noteworthy(changes, enriched_before=current["enriched_at"] is not None)
        if not worth:
            return 0
        return await uow.detections.enqueue_alerts(alert_rows(profile, worth, self._recipients, at))


def _wait_left(reason: str, error: BaseException) -> str:
    """A flood wait beyond what the retry wrapper would sleep through: how long it lasts."""
    seconds = retry_after_seconds(error)
    return reason if seconds is None else f"{reason}, {math.ceil(seconds)} s left"
