"""Turns ``from:``/``in:`` references into ids, the way people name senders and chats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import chat_history, chats, user_history, users
from core.text import fold
from services.search.syntax import DateRange, Filters, Ref, RefKind

Lookup = Callable[[AsyncConnection, Ref, list[str]], Awaitable[list[int]]]


@dataclass(frozen=True, slots=True)
class ResolvedFilters:
    """Filters with ids; ``None`` means "any chat" or "any sender"."""

    chat_ids: tuple[int, ...] | None = None
    excluded_chat_ids: tuple[int, ...] = ()
    sender_ids: tuple[int, ...] | None = None
    excluded_sender_ids: tuple[int, ...] = ()
    dates: DateRange = field(default_factory=DateRange)
    has: frozenset[str] = frozenset()
    has_not: frozenset[str] = frozenset()
    is_: frozenset[str] = frozenset()
    is_not: frozenset[str] = frozenset()

    @property
    def impossible(self) -> bool:
        """A from:/in: that named nobody: nothing can match."""
        return self.chat_ids == () or self.sender_ids == ()


async def resolve(conn: AsyncConnection, filters: Filters, notes: list[str]) -> ResolvedFilters:
    """Look the references up; references that name nobody are explained in ``notes``."""
    chat_ids = await _ids(conn, filters.chats, chat_ids_of, notes)
    sender_ids = await _ids(conn, filters.senders, sender_ids_of, notes)
    return ResolvedFilters(
        chat_ids=chat_ids if filters.chats else None,
        excluded_chat_ids=await _ids(conn, filters.excluded_chats, chat_ids_of, notes),
        sender_ids=sender_ids if filters.senders else None,
        excluded_sender_ids=await _ids(conn, filters.excluded_senders, sender_ids_of, notes),
        dates=filters.dates,
        has=filters.has,
        has_not=filters.has_not,
        is_=filters.is_,
        is_not=filters.is_not,
    )


async def _ids(
    conn: AsyncConnection, refs: Iterable[Ref], lookup: Lookup, notes: list[str]
) -> tuple[int, ...]:
    found: dict[int, None] = {}
    for ref in refs:
        for found_id in await lookup(conn, ref, notes):
            found[found_id] = None
    return tuple(found)


async def sender_ids_of(conn: AsyncConnection, ref: Ref, notes: list[str]) -> list[int]:
    """A sender by id, or by username (people, and channels posting as themselves)."""
    if ref.kind is RefKind.ID:
        return [int(ref.value)]
    found = await _by_username(conn, users, ref.value) + await _by_username(conn, chats, ref.value)
    if not found:
        found = await _earlier_usernames(conn, ref.value)
        if found:
            notes.append(f"from:{ref.raw} matched an earlier username")
    if not found:
        notes.append(f"no sender known as '{ref.raw}'")
    return found


async def chat_ids_of(conn: AsyncConnection, ref: Ref, notes: list[str]) -> list[int]:
    """A chat by id, @username, or a part of its title (current or earlier), folded."""
    if ref.kind is RefKind.ID:
        return [int(ref.value)]
    if ref.kind is RefKind.USERNAME:
        found = await _by_username(conn, chats, ref.value)
    else:
        found = await _by_title(conn, ref.value)
    if not found:
        notes.append(f"no chat matches in:{ref.raw}")
    elif ref.kind is RefKind.TITLE and len(found) > 1:
        notes.append(f"in:{ref.raw} matches {len(found)} chats")
    return found


async def _by_username(conn: AsyncConnection, table: Table, username: str) -> list[int]:
    # Usernames are case-insensitive in Telegram; the exact spelling uses the index first.
    exact = select(table.c.id).where(table.c.username == username)
    ids = [row[0] for row in await conn.execute(exact)]
    if ids:
        return ids
    folded = select(table.c.id).where(func.lower(table.c.username) == username.lower())
    return [row[0] for row in await conn.execute(folded)]


async def _earlier_usernames(conn: AsyncConnection, username: str) -> list[int]:
    query = (
        select(user_history.c.user_id)
        .where(user_history.c.field == "username")
        .where(func.lower(user_history.c.old_value) == username.lower())
        .distinct()
    )
    return [row[0] for row in await conn.execute(query)]


async def _by_title(conn: AsyncConnection, part: str) -> list[int]:
    wanted = fold(part)
    current = select(chats.c.id, chats.c.title)
    earlier = select(chat_history.c.chat_id, chat_history.c.old_value).where(
        chat_history.c.field == "title"
    )
    found: dict[int, None] = {}
    for query in (current, earlier):
        for chat_id, title in await conn.execute(query):
            if title and wanted in fold(title):
                found[chat_id] = None
    return list(found)
