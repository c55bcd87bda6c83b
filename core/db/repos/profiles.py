"""What enrichment stores beside UserRepo's upsert: removals, enrichment marks, photos, watching.

UserRepo treats a missing value as unknown; a full profile knows that a bio or username is gone,
so ``clear`` records those removals in the same user_history the upsert writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.repos.entities import FieldChange
from core.db.tables import messages, user_history, user_photos, users
from core.db.upsert import insert_ignore


class ProfileRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def clear(self, user_id: int, fields: Sequence[str], at: datetime) -> list[FieldChange]:
        """Empty ``fields`` that still hold a value; each removal becomes a history row."""
        row = (await self._conn.execute(select(users).where(users.c.id == user_id))).mappings()
        current = row.first()
        if current is None:
            return []
        changes = [
            FieldChange(user_id, name, str(current[name]), None, at)
            for name in fields
            if current[name] is not None
        ]
        if changes:
            emptied = {change.field: None for change in changes}
            await self._conn.execute(
                update(users).where(users.c.id == user_id).values(updated_at=at, **emptied)
            )
            await self._conn.execute(
                user_history.insert(),
                [
                    {"user_id": user_id, "field": c.field, "old_value": c.old_value,
                     "new_value": None, "changed_at": at}
                    for c in changes
                ],
            )  # fmt: skip
        return changes

    async def mark_enriched(
        self, user_id: int, at: datetime, *, common_chats_count: int | None
    ) -> None:
        values: dict[str, Any] = {"enriched_at": at}
        if common_chats_count is not None:
            values["common_chats_count"] = common_chats_count
        await self._conn.execute(update(users).where(users.c.id == user_id).values(**values))

    async def set_watched(self, user_id: int, watched: bool) -> bool:
        stmt = update(users).where(users.c.id == user_id).values(is_watched=watched)
        return bool((await self._conn.execute(stmt)).rowcount)

    async def watched(self) -> list[dict[str, Any]]:
        query = select(users).where(users.c.is_watched.is_(True)).order_by(users.c.id)
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]

    async def by_username(self, username: str) -> list[dict[str, Any]]:
        query = select(users).where(func.lower(users.c.username) == username.lower())
        return [dict(r) for r in (await self._conn.execute(query.order_by(users.c.id))).mappings()]

    async def stale(self, before: datetime, limit: int | None) -> list[int]:
        """Live accounts never enriched or enriched before ``before``: watched people first,
        then the longest unrefreshed."""
        never = case((users.c.enriched_at.is_(None), 0), else_=1)
        query = (
            select(users.c.id)
            .where(
                users.c.is_deleted.is_(False),
                users.c.enriched_at.is_(None) | (users.c.enriched_at < before),
            )
            .order_by(users.c.is_watched.desc(), never, users.c.enriched_at, users.c.id)
            .limit(limit)
        )
        return [row[0] for row in await self._conn.execute(query)]

    async def chat_senders(self, chat_id: int) -> list[int]:
        """The live accounts that wrote in the chat, as far as the vault knows."""
        query = (
            select(messages.c.sender_id)
            .join(users, users.c.id == messages.c.sender_id)
            .where(messages.c.chat_id == chat_id, users.c.is_deleted.is_(False))
            .distinct()
            .order_by(messages.c.sender_id)
        )
        return [row[0] for row in await self._conn.execute(query)]

    async def photo_blob(self, photo_id: int) -> str | None:
        """The SHA-256 of the stored copy of that Telegram photo, if one is kept."""
        query = select(user_photos.c.sha256).where(user_photos.c.photo_id == photo_id)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def add_photo(self, photo_id: int, user_id: int, sha256: str, at: datetime) -> None:
        stmt = insert_ignore(self._dialect, user_photos, ("photo_id",))
        await self._conn.execute(
            stmt, {"photo_id": photo_id, "user_id": user_id, "sha256": sha256, "stored_at": at}
        )

    async def photos_of(self, user_id: int) -> list[dict[str, Any]]:
        """Every photo of the user the vault kept, oldest first."""
        query = (
            select(user_photos)
            .where(user_photos.c.user_id == user_id)
            .order_by(user_photos.c.stored_at, user_photos.c.photo_id)
        )
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]
