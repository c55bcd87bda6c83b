"""StatusService: everything /status shows, read in one reader transaction.

A handful of statements whatever the vault's size: the counts (one SELECT of indexed COUNTs),
the watched chats' progress, the flood waits in force, the newest errors, the heartbeat rows
(one per account) and, on PostgreSQL, the database size. None of them grows with the number of
chats or messages beyond what its index visits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from core.db.database import Database
from core.domain.flood import FloodWaitEvent
from core.errors import InvalidInputError
from core.redaction import Redactor
from services.status.counts import read_counts
from services.status.heartbeat import read_live_states
from services.status.progress import read_chat_progress
from services.status.recent_errors import read_recent_errors
from services.status.sizes import database_bytes, disk_free_bytes
from services.status.snapshot import FloodWaitNow, VaultStatus

MAX_CHAT_LIMIT = 100


def _utc_now() -> datetime:
    return datetime.now(UTC)


def current_waits(events: Iterable[FloodWaitEvent]) -> tuple[FloodWaitNow, ...]:
    """One entry per account and operation (the wait that ends last), longest-lasting first."""
    latest: dict[tuple[str | None, str], FloodWaitEvent] = {}
    for event in events:
        key = (event.account, event.operation)
        if key not in latest or event.until > latest[key].until:
            latest[key] = event
    ordered = sorted(latest.values(), key=lambda e: (e.until, e.operation), reverse=True)
    return tuple(FloodWaitNow(e.operation, e.seconds, e.until, e.account) for e in ordered)


class StatusService:
    """Builds the /status snapshot; framework-free, so the bot only renders what it returns.

    ``started_at`` is when this process started (uptime); ``excluded_chats`` are left out of
    the per-chat progress, as the archiver leaves them out of archiving; ``media_dir`` is only
    asked for its free space (the stored media's size comes from the database).
    """

    def __init__(
        self,
        db: Database,
        *,
        media_dir: Path,
        started_at: datetime | None = None,
        excluded_chats: frozenset[int] = frozenset(),
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if started_at is not None and started_at.tzinfo is None:
            raise InvalidInputError("started_at needs a time zone (use UTC)")
        self._db = db
        self._media_dir = media_dir
        self._started_at = started_at
        self._excluded = excluded_chats
        self._clock = clock
        self._redactor = Redactor()

    async def snapshot(self, *, chat_limit: int = 10) -> VaultStatus:
        """The vault's state now, with at most ``chat_limit`` chats' backfill progress."""
        if not 0 <= chat_limit <= MAX_CHAT_LIMIT:
            raise InvalidInputError(
                f"chat_limit must be between 0 and {MAX_CHAT_LIMIT}, got {chat_limit}"
            )
        now = self._clock()
        async with self._db.reader() as uow:
            conn = uow.connection
            counts = await read_counts(conn, self._excluded)
            chats = await read_chat_progress(conn, self._excluded, chat_limit)
            waits = current_waits(await uow.flood_waits.active(now))
            errors = await read_recent_errors(conn, self._redactor)
            archivers = await read_live_states(conn, now)
            db_bytes = await database_bytes(conn, self._db.engine.url)
        return VaultStatus(
            totals=counts.totals,
            chats=tuple(chats),
            chats_total=counts.watched_chats,
            queues=counts.queues,
            flood_waits=waits,
            recent_errors=tuple(errors),
            database_bytes=db_bytes,
            media_bytes=counts.media_bytes,
            archivers=archivers,
            uptime_seconds=self._uptime(now),
            generated_at=now,
            disk_free_bytes=disk_free_bytes(self._media_dir),
        )

    def _uptime(self, now: datetime) -> float | None:
        if self._started_at is None:
            return None
        return max((now - self._started_at).total_seconds(), 0.0)
