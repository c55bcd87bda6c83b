"""WatchListService: which chats are archived, by @username, t.me link or id (or all dialogs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from core.db.database import Database
from core.domain.messages import ChatInfo
from core.errors import InvalidInputError, NotFoundError
from core.ports.telegram import TelegramGateway


@dataclass(frozen=True, slots=True)
class WatchedChat:
    chat_id: int
    title: str | None
    username: str | None
    kind: str
    fetched: int
    backfill_done: bool
    media_policy: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class WatchPage:
    chats: list[WatchedChat]
    total: int
    offset: int


class WatchListService:
    """Adds and removes watched chats; the live path asks ``is_watched`` for every event."""

    def __init__(
        self,
        db: Database,
        gateway: TelegramGateway | None,
        *,
        all_dialogs: bool = False,
        excluded: frozenset[int] = frozenset(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._db = db
        self._gateway = gateway
        self._all_dialogs = all_dialogs
        self._excluded = excluded
        self._clock = clock
        self._watched: set[int] | None = None

    async def watch(
        self, reference: str, *, added_by: int | None = None, backfill: bool = True
    ) -> ChatInfo:
        """Resolve ``reference`` through Telegram, store the chat and start watching it."""
        if self._gateway is None:
            raise InvalidInputError("watching a new chat needs the archiver (a Telegram session)")
        reference = reference.strip()
        if not reference:
            raise InvalidInputError("name a chat: @username, a t.me link or a numeric id")
        resolved = await self._gateway.resolve_chat(reference)
        at = self._clock()
        async with self._db.unit_of_work() as uow:
            await uow.chats.upsert([resolved.chat], at)
            await uow.watch.watch(resolved.chat.id, at, added_by=added_by)
            if backfill and await uow.backfill.get(resolved.chat.id) is None:
                await uow.backfill.start(resolved.chat.id, at)
            await uow.commit()
        self._watched = None
        return resolved.chat

    async def unwatch(self, chat_id: int) -> None:
        """Stop archiving a chat; what was archived stays."""
        async with self._db.unit_of_work() as uow:
            if not await uow.watch.unwatch(chat_id):
                raise NotFoundError(f"chat {chat_id} is not on the watch list")
            await uow.commit()
        self._watched = None

    async def set_media_policy(
        self, chat_id: int, *, types: list[str] | None = None, max_size_mb: int | None = None
    ) -> None:
        policy = {"types": types, "max_size_mb": max_size_mb}
        async with self._db.unit_of_work() as uow:
            if not await uow.watch.set_media_policy(chat_id, policy):
                raise NotFoundError(f"chat {chat_id} is not on the watch list")
            await uow.commit()

    async def list(self, offset: int = 0, limit: int = 10) -> WatchPage:
        async with self._db.reader() as uow:
            rows, total = await uow.watch.page(max(offset, 0), max(1, min(limit, 100)))
        chats = [
            WatchedChat(
                r["chat_id"],
                r["title"],
                r["username"],
                r["kind"],
                r["fetched"] or 0,
                bool(r["done"]),
                r["media_policy"],
            )
            for r in rows
        ]
        return WatchPage(chats, total, offset)

    async def is_watched(self, chat_id: int) -> bool:
        if chat_id in self._excluded:
            return False
        if self._all_dialogs:
            return True
        if self._watched is None:
            async with self._db.reader() as uow:
                self._watched = await uow.watch.enabled_ids()
        return chat_id in self._watched

    def invalidate(self) -> None:
        """Forget the cached list (another process changed it)."""
        self._watched = None
