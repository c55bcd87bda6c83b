"""Profile photos: looked up by Telegram photo id before any download, stored by content after.

A photo id the vault already keeps costs no request; new bytes go to the ContentStore, where a
photo identical to one stored before (a re-upload, the same picture elsewhere) is one file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from core.db.database import Database
from core.db.repos.profiles import ProfileRepo
from core.db.uow import UnitOfWork
from core.domain.profiles import FullProfile
from core.errors import ConfigurationError
from core.ports.profiles import PROFILE_PHOTO_OPERATION, ProfileSource
from services.enrichment.flood_gate import FloodGate
from services.enrichment.reasons import failure_reason
from services.media.store import ContentStore, StoredBlob

PHOTO_MIME: Final = "image/jpeg"  # Telegram serves profile photos as JPEG


@dataclass(frozen=True, slots=True)
class PhotoOutcome:
    """The photo's stored copy (``blob`` when this refresh downloaded it), or why it has none."""

    sha256: str | None = None
    blob: StoredBlob | None = None
    problem: str | None = None


class PhotoKeeper:
    def __init__(
        self,
        db: Database,
        profiles: ProfileSource,
        store: ContentStore | None,
        gate: FloodGate,
    ) -> None:
        self._db = db
        self._profiles = profiles
        self._store = store
        self._gate = gate

    async def fetch(self, profile: FullProfile) -> PhotoOutcome:
        """The current photo, downloaded unless already kept. No store: photos are not kept."""
        photo_id = profile.photo_id
        if self._store is None or photo_id is None or profile.is_deleted:
            return PhotoOutcome()
        async with self._db.reader() as uow:
            known = await ProfileRepo(uow.connection, uow.dialect).photo_blob(photo_id)
        if known is not None and self._store.exists(known):
            return PhotoOutcome(sha256=known)
        deferred = await self._gate.wait_out(PROFILE_PHOTO_OPERATION)
        if deferred is not None:
            return PhotoOutcome(problem=deferred)
        try:
            data = await self._profiles.profile_photo(profile.id, photo_id)
        except ConfigurationError:
            raise
        except Exception as error:  # the profile is still worth storing without its photo
            return PhotoOutcome(problem=failure_reason(error))
        if not data:
            return PhotoOutcome(problem="photo no longer shown")
        blob = await self._store.put_chunks(_once(data))
        return PhotoOutcome(sha256=blob.sha256, blob=blob)

    @staticmethod
    async def record(
        uow: UnitOfWork, profile: FullProfile, outcome: PhotoOutcome, at: datetime
    ) -> None:
        """Keep the photo's blob and which photo it was, inside the profile's transaction."""
        if outcome.sha256 is None or profile.photo_id is None:
            return
        if outcome.blob is not None:
            blob = outcome.blob
            await uow.media.add_blob(blob.sha256, blob.size, PHOTO_MIME, blob.relative_path)
        repo = ProfileRepo(uow.connection, uow.dialect)
        await repo.add_photo(profile.photo_id, profile.id, outcome.sha256, at)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data
