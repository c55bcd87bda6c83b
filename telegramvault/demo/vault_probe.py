"""What the demo reads from the vault to know a step is done (the archiver synced, live
messages written, a download failed) and to sum it up at the end. Read-only."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, Table, func, select

from core.db.database import Database
from core.db.repos.media import DONE, FAILED
from core.db.tables import media, messages
from services.status.heartbeat import read_live_state
from telegramvault.demo.admin_chat import DemoStalledError

POLL_SECONDS = 0.05


@dataclass(frozen=True)
class VaultCounts:
    messages: int
    chats: int
    media_stored: int


class VaultProbe:
    def __init__(self, db: Database, *, timeout: float) -> None:
        self._db = db
        self._timeout = timeout

    async def until(self, condition: Callable[[], Awaitable[bool]], what: str) -> None:
        deadline = time.monotonic() + self._timeout
        while not await condition():
            if time.monotonic() > deadline:
                raise DemoStalledError(f"the demo stalled waiting for {what}")
            await asyncio.sleep(POLL_SECONDS)

    async def synced(self) -> bool:
        """The archiver is connected and has caught up with every watched chat."""
        async with self._db.reader() as uow:
            live = await read_live_state(uow, datetime.now(UTC))
        return live.connected and live.last_sync_at is not None

    async def messages_in(self, chat_id: int) -> int:
        return await self._count(messages, messages.c.chat_id == chat_id)

    async def failed_media(self) -> int:
        return await self._count(media, media.c.state == FAILED)

    async def counts(self) -> VaultCounts:
        return VaultCounts(
            messages=await self._count(messages),
            chats=await self._chats_with_messages(),
            media_stored=await self._count(media, media.c.state == DONE),
        )

    async def _chats_with_messages(self) -> int:
        async with self._db.reader() as uow:
            query = select(func.count(func.distinct(messages.c.chat_id)))
            return int((await uow.connection.execute(query)).scalar_one())

    async def _count(self, table: Table, *where: ColumnElement[bool]) -> int:
        async with self._db.reader() as uow:
            query = select(func.count()).select_from(table).where(*where)
            return int((await uow.connection.execute(query)).scalar_one())
