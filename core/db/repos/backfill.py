"""Per-chat backfill cursors: committed in the same transaction as the page they describe."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import backfill_cursors
from core.db.upsert import upsert
from core.domain.archive import CursorUpdate


class BackfillCursorRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def get(self, chat_id: int) -> dict[str, Any] | None:
        query = select(backfill_cursors).where(backfill_cursors.c.chat_id == chat_id)
        row = (await self._conn.execute(query)).mappings().first()
        return dict(row) if row else None

    async def all(self) -> list[dict[str, Any]]:
        query = select(backfill_cursors).order_by(backfill_cursors.c.chat_id)
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]

    async def start(
        self,
        chat_id: int,
        at: datetime,
        *,
        limit: int | None = None,
        since: datetime | None = None,
        account_id: int | None = None,
    ) -> None:
        """Create or re-open the cursor of a chat (a finished one starts a new pass on request).

        ``account_id`` names the account running the pass (None leaves the stored one).
        """
        values: dict[str, Any] = {
            "chat_id": chat_id,
            "limit": limit,
            "since": since,
            "done": False,
            "started_at": at,
            "updated_at": at,
        }
        columns = ["limit", "since", "done", "updated_at"]
        if account_id is not None:
            values["account_id"] = account_id
            columns.append("account_id")
        stmt = upsert(self._dialect, backfill_cursors, ("chat_id",), columns)
        await self._conn.execute(stmt, values)

    async def save(self, update: CursorUpdate, at: datetime) -> None:
        values: dict[str, Any] = {
            "chat_id": update.chat_id,
            "next_offset_id": update.next_offset_id,
            "fetched": update.fetched,
            "done": update.done,
            "updated_at": at,
        }
        columns = ["next_offset_id", "fetched", "done", "updated_at"]
        if update.top_message_id is not None:
            values["top_message_id"] = update.top_message_id
            columns.append("top_message_id")
        if update.account_id is not None:
            values["account_id"] = update.account_id
            columns.append("account_id")
        stmt = upsert(self._dialect, backfill_cursors, ("chat_id",), columns)
        await self._conn.execute(stmt, {**values, "started_at": at})
