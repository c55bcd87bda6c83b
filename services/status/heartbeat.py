"""The archiver's heartbeat: its live state in ``vault_meta``, so a bot in another process sees it.

The archiver owns an ArchiverHeartbeat: it reports connect, disconnect and finished catch-ups
right away, notes live events in memory (every event must stay cheap), and ``run`` writes the
whole state every HEARTBEAT_INTERVAL seconds. The row's ``updated_at`` tells a reader whether
the archiver is still alive: older than HEARTBEAT_STALE_AFTER means it stopped without saying.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.database import Database
from core.db.tables import vault_meta
from core.db.uow import UnitOfWork
from core.db.upsert import upsert
from core.errors import InvalidInputError
from services.status.snapshot import LiveState

log = structlog.get_logger(__name__)

HEARTBEAT_KEY = "archiver_heartbeat"
HEARTBEAT_INTERVAL = 30.0  # seconds
HEARTBEAT_STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_INTERVAL)
HEARTBEAT_FORMAT = 1
NO_HEARTBEAT = LiveState(
    connected=False,
    account=None,
    since=None,
    last_event_at=None,
    last_sync_at=None,
    updated_at=None,
    stale=True,
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _parse(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class ArchiverHeartbeat:
    """Written by the archiver (every HEARTBEAT_INTERVAL seconds and on connect, disconnect and
    sync) into vault_meta under key 'archiver_heartbeat' as JSON, so a bot in another process
    sees the live state.

    ``beat`` and the reports that write raise what the database raises; ``run`` logs a failed
    beat and keeps going, since a heartbeat must not take the archiver down.
    """

    def __init__(
        self,
        db: Database,
        *,
        account: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self._db = db
        self.account = account
        self._clock = clock
        self._connected = False
        self._since: datetime | None = None
        self._last_event_at: datetime | None = None
        self._last_sync_at: datetime | None = None

    async def connected(self) -> None:
        self._connected, self._since = True, self._clock()
        await self.beat()

    async def disconnected(self) -> None:
        self._connected, self._since = False, self._clock()
        await self.beat()

    def event_seen(self) -> None:
        """A live event arrived: kept in memory, written with the next beat."""
        self._last_event_at = self._clock()

    async def synced(self) -> None:
        """A catch-up finished."""
        self._last_sync_at = self._clock()
        await self.beat()

    async def beat(self) -> None:
        """Write the current state (one upsert of the heartbeat row)."""
        value = json.dumps(self._document(self._clock()), separators=(",", ":"))
        stmt = upsert(self._db.dialect, vault_meta, ("key",), ("value",))
        async with self._db.unit_of_work() as uow:
            await uow.connection.execute(stmt, {"key": HEARTBEAT_KEY, "value": value})
            await uow.commit()

    async def run(self, stop: asyncio.Event, interval: float = HEARTBEAT_INTERVAL) -> None:
        """Beat every ``interval`` seconds until ``stop`` is set (it wakes the wait at once)."""
        if not interval > 0:
            raise InvalidInputError(f"the heartbeat interval must be positive, got {interval}")
        while not stop.is_set():
            try:
                await self.beat()
            except (SQLAlchemyError, OSError) as error:
                log.warning("heartbeat_write_failed", error_type=type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)

    def _document(self, now: datetime) -> dict[str, Any]:
        return {
            "format": HEARTBEAT_FORMAT,
            "connected": self._connected,
            "account": self.account,
            "since": _iso(self._since),
            "last_event_at": _iso(self._last_event_at),
            "last_sync_at": _iso(self._last_sync_at),
            "updated_at": _iso(now),
        }


def live_state_from(value: str | None, now: datetime) -> LiveState:
    """Decode a heartbeat row's value; a missing or unreadable one reads as no heartbeat."""
    if value is None:
        return NO_HEARTBEAT
    try:
        document = json.loads(value)
        account = document.get("account")
        updated_at = _parse(document["updated_at"])
        state = LiveState(
            connected=bool(document["connected"]),
            account=account if isinstance(account, str) else None,
            since=_parse(document.get("since")),
            last_event_at=_parse(document.get("last_event_at")),
            last_sync_at=_parse(document.get("last_sync_at")),
            updated_at=updated_at,
            stale=updated_at is None or now - updated_at > HEARTBEAT_STALE_AFTER,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        log.warning("heartbeat_unreadable", error_type=type(error).__name__)
        return NO_HEARTBEAT
    # A crashed archiver never says it went away: a stale "connected" is not believed.
    return replace(state, connected=False) if state.stale else state


async def read_live_state(source: AsyncConnection | UnitOfWork, now: datetime) -> LiveState:
    """The archiver's live state as its last heartbeat left it, judged at ``now``."""
    conn = source.connection if isinstance(source, UnitOfWork) else source
    query = select(vault_meta.c.value).where(vault_meta.c.key == HEARTBEAT_KEY)
    value = (await conn.execute(query)).scalar_one_or_none()
    return live_state_from(value, now)
