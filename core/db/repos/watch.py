"""The watch list: which chats the archivers follow, with their per-chat media policy, and the
Telegram accounts (one per archiver) that own them.

A chat belongs to the account that watches it; a chat with no account (watched before accounts
existed) belongs to every archiver.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import accounts, backfill_cursors, chats, watched_chats
from core.db.upsert import upsert


def belongs_to(column: ColumnElement[Any], account_id: int | None) -> ColumnElement[bool]:
    """Rows of ``account_id`` or of no account (those are anybody's); with no account given,
    rows of no account only."""
    if account_id is None:
        return column.is_(None)
    return or_(column.is_(None), column == account_id)


class WatchRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def watch(
        self,
        chat_id: int,
        at: datetime,
        *,
        added_by: int | None,
        media_policy: Any = None,
        account_id: int | None = None,
    ) -> None:
        """Watch a chat (again); an earlier media policy is kept unless a new one is given.

        A chat still watched keeps the account that owns it (one with none is adopted by
        ``account_id``); an unwatched one goes to ``account_id``.
        """
        columns = ["enabled", "added_by"] + (["media_policy"] if media_policy is not None else [])
        owner = literal(account_id, watched_chats.c.account_id.type)
        keep = case(
            (watched_chats.c.enabled.is_(True), func.coalesce(watched_chats.c.account_id, owner)),
            else_=owner,
        )
        stmt = upsert(
            self._dialect, watched_chats, ("chat_id",), columns, extra_set={"account_id": keep}
        )
        await self._conn.execute(
            stmt,
            {
                "chat_id": chat_id,
                "enabled": True,
                "added_by": added_by,
                "media_policy": media_policy,
                "added_at": at,
                "account_id": account_id,
            },
        )

    async def account_of(self, chat_id: int) -> int | None:
        """The account that owns a watched (or once watched) chat; None: any account."""
        query = select(watched_chats.c.account_id).where(watched_chats.c.chat_id == chat_id)
        return (await self._conn.execute(query)).scalar_one_or_none()

    async def register_account(self, label: str, telegram_user_id: int | None) -> int:
        """The id of the account labelled ``label``, created on first use; its Telegram user
        id is kept current (the label may be logged in again as another user)."""
        stmt = upsert(self._dialect, accounts, ("label",), ("telegram_user_id",)).returning(
            accounts.c.id
        )
        params = {"label": label, "telegram_user_id": telegram_user_id}
        return int((await self._conn.execute(stmt, params)).scalar_one())

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

    async def account_ids(self) -> list[int]:
        """Every registered account, in the order they were first seen."""
        query = select(accounts.c.id).order_by(accounts.c.id)
        return [row[0] for row in await self._conn.execute(query)]

    async def enabled_ids(self, *, account_id: int | None = None) -> set[int]:
        """Watched chats: every one, or with ``account_id`` those of that account or of none."""
        query = select(watched_chats.c.chat_id).where(watched_chats.c.enabled.is_(True))
        if account_id is not None:
            query = query.where(belongs_to(watched_chats.c.account_id, account_id))
        return {row[0] for row in await self._conn.execute(query)}

    async def owned_by_others(self, account_id: int) -> set[int]:
        """Watched chats that belong to another account than ``account_id``."""
        query = select(watched_chats.c.chat_id).where(
            watched_chats.c.enabled.is_(True),
            watched_chats.c.account_id.is_not(None),
            watched_chats.c.account_id != account_id,
        )
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
