"""Per-chat backfill progress for /status: watched chats with their cursors, one query."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import false, func, select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import backfill_cursors, chats, watched_chats
from services.status.snapshot import ChatProgress

UNFINISHED_PERCENT_CAP = 99.9  # ids are sparse: an unfinished pass never reads as complete


def backfill_percent(
    *, fetched: int, top_message_id: int | None, limit: int | None, done: bool, started: bool
) -> float | None:
    """Roughly how much of the pass is stored: fetched messages against the newest id.

    Message ids count every message ever sent in the chat, deleted ones included, so this
    underestimates; a pass that stops at ``limit`` messages is measured against that limit.
    """
    if done:
        return 100.0
    if not started or top_message_id is None or top_message_id < 1:
        return None
    target = top_message_id if limit is None else min(limit, top_message_id)
    return min(100.0 * fetched / max(target, 1), UNFINISHED_PERCENT_CAP)


def _progress(row: RowMapping) -> ChatProgress:
    started = row["started"] is not None
    done = bool(row["done"])
    fetched = int(row["fetched"] or 0)
    percent = backfill_percent(
        fetched=fetched,
        top_message_id=row["top_message_id"],
        limit=row["limit"],
        done=done,
        started=started,
    )
    return ChatProgress(
        chat_id=row["chat_id"],
        title=row["title"],
        username=row["username"],
        fetched=fetched,
        top_message_id=row["top_message_id"],
        done=done,
        started=started,
        percent=percent,
    )


async def read_chat_progress(
    conn: AsyncConnection, excluded: Collection[int], limit: int
) -> list[ChatProgress]:
    """Up to ``limit`` watched chats (not excluded): unfinished backfills first, then by id."""
    if limit < 1:
        return []
    done = func.coalesce(backfill_cursors.c.done, false())
    query = (
        select(
            watched_chats.c.chat_id,
            chats.c.title,
            chats.c.username,
            backfill_cursors.c.chat_id.label("started"),
            backfill_cursors.c.fetched,
            backfill_cursors.c.top_message_id,
            backfill_cursors.c.limit,
            done.label("done"),
        )
        .join(chats, chats.c.id == watched_chats.c.chat_id)
        .outerjoin(backfill_cursors, backfill_cursors.c.chat_id == watched_chats.c.chat_id)
        .where(watched_chats.c.enabled.is_(True))
        .order_by(done, watched_chats.c.chat_id)
        .limit(limit)
    )
    if excluded:
        query = query.where(watched_chats.c.chat_id.not_in(sorted(excluded)))
    return [_progress(row) for row in (await conn.execute(query)).mappings()]
