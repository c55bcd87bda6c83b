"""Respect flood waits already recorded for a profile call before making it again.

APIRetryWrapper waits out a FloodWait it meets and records it; a wait recorded earlier (by a run
that hit one over TELEGRAM_FLOOD_WAIT_MAX, or by another process) is still in force for the
next call of that method. Sending anyway would only earn a longer wait, so the gate sleeps
through one within the cap and tells the batch to stop for one beyond it.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from datetime import datetime

import structlog

from core.api_retry_wrapper import APIRetryWrapper
from core.db.database import Database

log = structlog.get_logger(__name__)


class FloodGate:
    def __init__(
        self,
        db: Database,
        retry: APIRetryWrapper,
        *,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self._db = db
        self._retry = retry
        self._clock = clock
        self._sleep = sleep

    async def wait_out(self, operation: str) -> str | None:
        """None when ``operation`` may be called now (after waiting if need be); else the
        reason it must wait for a later run."""
        now = self._clock()
        until = await self._until(operation, now)
        if until is None:
            return None
        seconds = (until - now).total_seconds()
        if seconds > self._retry.policy.flood_wait_max:
            log.warning("flood_wait_defers_enrichment", operation=operation, seconds=seconds)
            return f"FLOOD_WAIT, {math.ceil(seconds)} s left"
        log.info("flood_wait_respected", operation=operation, seconds=seconds)
        await self._sleep(seconds)
        return None

    async def _until(self, operation: str, now: datetime) -> datetime | None:
        """When the longest recorded wait for ``operation`` still in force ends."""
        ledger = self._retry.flood_ledger
        events = ledger.active(now) if ledger is not None else []
        async with self._db.reader() as uow:
            events.extend(await uow.flood_waits.active(now))
        return max((e.until for e in events if e.operation == operation), default=None)
