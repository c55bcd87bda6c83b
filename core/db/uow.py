"""The unit of work: one connection, one transaction, repositories bound to it; it owns commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncTransaction

from core.db.engine import IMMEDIATE
from core.db.repos.backfill import BackfillCursorRepo
from core.db.repos.entities import ChatRepo, UserRepo
from core.db.repos.flood import FloodWaitRepo
from core.db.repos.media import MediaRepo
from core.db.repos.messages import MessageRepo
from core.db.repos.watch import WatchRepo
from core.db.search_index import SearchIndexWriter


class UnitOfWork:
    """``async with db.unit_of_work() as uow: ...; await uow.commit()``.

    Leaving the block without ``commit()`` rolls back, so a failure half-way writes nothing.
    """

    messages: MessageRepo
    chats: ChatRepo
    users: UserRepo
    flood_waits: FloodWaitRepo
    media: MediaRepo
    backfill: BackfillCursorRepo
    watch: WatchRepo

    def __init__(self, engine: AsyncEngine, *, write: bool = True) -> None:
        self._engine = engine
        self._write = write
        self._conn: AsyncConnection | None = None
        self._tx: AsyncTransaction | None = None

    @property
    def connection(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("the unit of work is not open; use it with 'async with'")
        return self._conn

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def __aenter__(self) -> Self:
        conn = await self._engine.connect()
        if self._write and self.dialect == "sqlite":
            conn = await conn.execution_options(**IMMEDIATE)
        self._conn = conn
        self._tx = await conn.begin()
        index = SearchIndexWriter(self.dialect)
        self.messages = MessageRepo(conn, self.dialect, index)
        self.chats = ChatRepo(conn, self.dialect)
        self.users = UserRepo(conn, self.dialect)
        self.flood_waits = FloodWaitRepo(conn)
        self.media = MediaRepo(conn, self.dialect)
        self.backfill = BackfillCursorRepo(conn, self.dialect)
        self.watch = WatchRepo(conn, self.dialect)
        return self

    async def commit(self) -> None:
        if self._tx is None:
            raise RuntimeError("nothing to commit: the unit of work is not open")
        await self._tx.commit()
        self._tx = await self.connection.begin()

    async def rollback(self) -> None:
        if self._tx is not None and self._tx.is_active:
            await self._tx.rollback()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            if self._conn is not None:
                await self._conn.close()
            self._conn = None
            self._tx = None
