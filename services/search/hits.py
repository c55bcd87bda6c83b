"""Loads the messages of a page with their chat and sender, as SearchHit values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import chats, messages, users
from core.domain.search import SearchHit
from services.search.links import message_link
from services.search.snippets import make_snippet
from services.search.terms import PlannedTerm


async def load_hits(
    conn: AsyncConnection, ids: Sequence[int], terms: Sequence[PlannedTerm]
) -> list[SearchHit]:
    """Hits for ``ids``, in the order given; snippets highlight ``terms``."""
    if not ids:
        return []
    sender_chat = chats.alias("sender_chat")
    query = (
        select(
            messages.c.id,
            messages.c.chat_id,
            messages.c.message_id,
            messages.c.sender_id,
            messages.c.date,
            messages.c.text,
            messages.c.edit_date,
            messages.c.deleted_at,
            messages.c.post_author,
            chats.c.title.label("chat_title"),
            chats.c.username.label("chat_username"),
            chats.c.kind.label("chat_kind"),
            users.c.first_name,
            users.c.last_name,
            users.c.username.label("user_username"),
            sender_chat.c.title.label("sender_title"),
            sender_chat.c.username.label("sender_chat_username"),
        )
        .join_from(messages, chats, chats.c.id == messages.c.chat_id)
        .outerjoin(users, users.c.id == messages.c.sender_id)
        .outerjoin(sender_chat, sender_chat.c.id == messages.c.sender_id)
        .where(messages.c.id.in_(list(ids)))
    )
    rows = {row.id: row for row in await conn.execute(query)}
    return [_hit(rows[pk], terms) for pk in ids if pk in rows]


def _hit(row: Any, terms: Sequence[PlannedTerm]) -> SearchHit:
    return SearchHit(
        pk=row.id,
        chat_id=row.chat_id,
        chat_title=row.chat_title,
        chat_username=row.chat_username,
        message_id=row.message_id,
        sender_id=row.sender_id,
        sender_name=_sender_name(row),
        sender_username=row.user_username or row.sender_chat_username,
        date=row.date,
        edited=row.edit_date is not None,
        deleted=row.deleted_at is not None,
        snippet=make_snippet(row.text or "", terms),
        link=message_link(row.chat_id, row.chat_kind, row.chat_username, row.message_id),
    )


def _sender_name(row: Any) -> str | None:
    name = " ".join(part for part in (row.first_name, row.last_name) if part)
    return name or row.sender_title or row.post_author or None
