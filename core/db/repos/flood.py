"""The flood-wait ledger: every server-requested wait, so /status can show what slows us down."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import flood_waits
from core.domain.flood import FloodWaitEvent


class FloodWaitRepo:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, event: FloodWaitEvent) -> None:
        await self._conn.execute(
            flood_waits.insert().values(
                account=event.account,
                operation=event.operation,
                error_type=event.error_type,
                seconds=event.seconds,
                honoured=event.honoured,
                occurred_at=event.occurred_at,
                until=event.until,
            )
        )

    async def active(self, now: datetime) -> list[FloodWaitEvent]:
        """Waits still in force at ``now``, the longest-lasting first."""
        query = (
            select(flood_waits)
            .where(flood_waits.c.until > now)
            .order_by(flood_waits.c.until.desc())
        )
        return await self._events(query)

    async def recent(self, limit: int = 20) -> list[FloodWaitEvent]:
        query = select(flood_waits).order_by(flood_waits.c.id.desc()).limit(limit)
        return await self._events(query)

    async def _events(self, query: object) -> list[FloodWaitEvent]:
        rows = (await self._conn.execute(query)).mappings()  # type: ignore[call-overload]
        return [
            FloodWaitEvent(
                operation=r["operation"],
                seconds=r["seconds"],
                occurred_at=r["occurred_at"],
                error_type=r["error_type"],
                honoured=r["honoured"],
                account=r["account"],
            )
            for r in rows
        ]
