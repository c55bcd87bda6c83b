"""The watch list: which chats the archiver follows, with their per-chat media policy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import backfill_cursors, chats, watched_chats
from core.db.upsert import upsert


class WatchRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def watch(
        self, chat_id: int, at: datetime, *, added_by: int | None, media_policy: Any = None
    ) -> None:
        """Watch a chat (again); an earlier media policy is kept unless a new one is given."""
        columns = ["enabled", "added_by"] + (["media_policy"] if media_policy is not None else [])
        stmt = upsert(self._dialect, watched_chats, ("chat_id",), columns)
        await self._conn.execute(
            stmt,
            {
                "chat_id": chat_id,
                "enabled": True,
                "added_by": added_by,
                "media_policy": media_policy,
                "added_at": at,
            },
        )

    async def unwatch(self, chat_id: int) -> bool:
        stmt = (
            update(watched_chats)
            .where(watched_chats.c.chat_id == chat_id, watched_chats.c.enabled.is_(True))
            .values(enabled=False)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def set_media_policy(self, chat_id: int, policy: Any) -> bool:
        stmt = (
            update(watched_chats)
            .where(watched_chats.c.chat_id == chat_id)
            .values(media_policy=policy)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def media_policies(self, chat_ids: set[int]) -> dict[int, dict[str, Any]]:
        """Per-chat media policies set by an admin, for the chats asked about."""
        if not chat_ids:
            return {}
        query = select(watched_chats.c.chat_id, watched_chats.c.media_policy).where(
            watched_chats.c.chat_id.in_(sorted(chat_ids)), watched_chats.c.media_policy.is_not(None)
        )
        return {chat_id: policy for chat_id, policy in await self._conn.execute(query) if policy}

    async def enabled_ids(self) -> set[int]:
        query = select(watched_chats.c.chat_id).where(watched_chats.c.enabled.is_(True))
        return {row[0] for row in await self._conn.execute(query)}

    async def page(self, offset: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Watched chats with their titles and backfill progress, title order, and the total."""
        query = (
            select(
                watched_chats.c.chat_id,
                watched_chats.c.enabled,
                watched_chats.c.media_policy,
                watched_chats.c.added_at,
                chats.c.title,
                chats.c.username,
                chats.c.kind,
                backfill_cursors.c.fetched,
                backfill_cursors.c.done,
            )
            .join(chats, chats.c.id == watched_chats.c.chat_id)
            .outerjoin(backfill_cursors, backfill_cursors.c.chat_id == watched_chats.c.chat_id)
            .where(watched_chats.c.enabled.is_(True))
            .order_by(func.lower(chats.c.title), watched_chats.c.chat_id)
            .offset(offset)
            .limit(limit)
        )
        rows = [dict(r) for r in (await self._conn.execute(query)).mappings()]
        total_query = select(func.count()).where(watched_chats.c.enabled.is_(True))
        total = int((await self._conn.execute(total_query)).scalar_one())
        return rows, total
