"""Each archiver's heartbeat: its live state in ``vault_meta``, so a bot in another process sees it.

Every archiver (one per Telegram account) owns an ArchiverHeartbeat writing the row
``archiver_heartbeat:<account label>``: it reports connect, disconnect and finished catch-ups
right away, notes live events in memory (every event must stay cheap), and ``run`` writes the
whole state every HEARTBEAT_INTERVAL seconds. A row's ``updated_at`` tells a reader whether its
archiver is still alive: older than HEARTBEAT_STALE_AFTER means it stopped without saying.

Versions before accounts wrote one row, ``archiver_heartbeat``. A reader still shows it while it
is the only one or is fresh (an older archiver still running beside newer ones); a newer
archiver removes it with its first beat.
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
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.database import Database
from core.db.tables import vault_meta
from core.db.uow import UnitOfWork
from core.db.upsert import upsert
from core.errors import InvalidInputError
from services.status.snapshot import LiveState

log = structlog.get_logger(__name__)

HEARTBEAT_KEY = "archiver_heartbeat"  # the single row of older versions, and every key's prefix
ACCOUNT_KEY_PREFIX = f"{HEARTBEAT_KEY}:"
HEARTBEAT_INTERVAL = 30.0  # seconds
HEARTBEAT_STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_INTERVAL)
HEARTBEAT_FORMAT = 2
NO_HEARTBEAT = LiveState(
    connected=False,
    account=None,
    since=None,
    last_event_at=None,
    last_sync_at=None,
    updated_at=None,
    stale=True,
)


def heartbeat_key(label: str) -> str:
    """The ``vault_meta`` key of the account labelled ``label``."""
    return ACCOUNT_KEY_PREFIX + label


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
    """Written by the archiver of the account ``label`` (every HEARTBEAT_INTERVAL seconds and on
    connect, disconnect and sync) into vault_meta under ``archiver_heartbeat:<label>`` as JSON,
    so a bot in another process sees the live state.

    ``beat`` and the reports that write raise what the database raises; ``run`` logs a failed
    beat and keeps going, since a heartbeat must not take the archiver down.
    """

    def __init__(
        self,
        db: Database,
        *,
        label: str,
        account: str | None = None,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not label:
            raise InvalidInputError("a heartbeat needs the label of its account")
        self._db = db
        self.label = label
        self.account = account
        self._clock = clock
        self._connected = False
        self._since: datetime | None = None
        self._last_event_at: datetime | None = None
        self._last_sync_at: datetime | None = None
        self._legacy_removed = False

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
        """Write the current state (one upsert of the account's row); the first beat also
        removes the single row an older version left, which would only repeat a dead state."""
        value = json.dumps(self._document(self._clock()), separators=(",", ":"))
        stmt = upsert(self._db.dialect, vault_meta, ("key",), ("value",))
        async with self._db.unit_of_work() as uow:
            await uow.connection.execute(stmt, {"key": heartbeat_key(self.label), "value": value})
            if not self._legacy_removed:
                await uow.connection.execute(
                    delete(vault_meta).where(vault_meta.c.key == HEARTBEAT_KEY)
                )
            await uow.commit()
        self._legacy_removed = True

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
            "label": self.label,
            "connected": self._connected,
            "account": self.account,
            "since": _iso(self._since),
            "last_event_at": _iso(self._last_event_at),
            "last_sync_at": _iso(self._last_sync_at),
            "updated_at": _iso(now),
        }


def live_state_from(value: str | None, now: datetime, label: str | None = None) -> LiveState:
    """Decode a heartbeat row's value (``label``: the account its key names); a missing or
    unreadable one reads as no heartbeat."""
    silent = replace(NO_HEARTBEAT, label=label)
    if value is None:
        return silent
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
            label=label,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        log.warning("heartbeat_unreadable", label=label, error_type=type(error).__name__)
        return silent
    # A crashed archiver never says it went away: a stale "connected" is not believed.
    return replace(state, connected=False) if state.stale else state


def _connection(source: AsyncConnection | UnitOfWork) -> AsyncConnection:
    return source.connection if isinstance(source, UnitOfWork) else source


async def read_live_states(
    source: AsyncConnection | UnitOfWork, now: datetime
) -> tuple[LiveState, ...]:
    """Every account's archiver as its last heartbeat left it, judged at ``now``, by label.

    An older version's single row comes last, and only while it is the only one or still
    fresh: beside newer archivers, a stale one is what an upgraded archiver left behind.
    """
    query = select(vault_meta.c.key, vault_meta.c.value).where(
        or_(
            vault_meta.c.key == HEARTBEAT_KEY,
            vault_meta.c.key.startswith(ACCOUNT_KEY_PREFIX, autoescape=True),
        )
    )
    rows: dict[str, str] = dict((await _connection(source).execute(query)).all())
    legacy = rows.pop(HEARTBEAT_KEY, None)
    states = [
        live_state_from(value, now, key.removeprefix(ACCOUNT_KEY_PREFIX))
        for key, value in sorted(rows.items())
    ]
    if legacy is not None:
        old = live_state_from(legacy, now)
        if not states or not old.stale:
            states.append(old)
    return tuple(states)


async def read_live_state(
    source: AsyncConnection | UnitOfWork, now: datetime, *, label: str | None = None
) -> LiveState:
    """One archiver's live state: the account labelled ``label``, or without a label the only
    archiver there is (InvalidInputError when several report: say which)."""
    states = await read_live_states(source, now)
    if label is not None:
        found = [state for state in states if state.label == label]
        return found[0] if found else replace(NO_HEARTBEAT, label=label)
    if len(states) > 1:
        labels = ", ".join(str(state.label) for state in states)
        raise InvalidInputError(f"several archivers report ({labels}): name the account")
    return states[0] if states else NO_HEARTBEAT
