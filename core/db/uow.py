"""The unit of work: one connection, one transaction, repositories bound to it; it owns commit."""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from core.db.engine import IMMEDIATE
from core.db.repos.alerts import AlertRepo
from core.db.repos.backfill import BackfillCursorRepo
from core.db.repos.entities import ChatRepo, UserRepo
from core.db.repos.flood import FloodWaitRepo
from core.db.repos.media import MediaRepo
from core.db.repos.messages import MessageRepo
from core.db.repos.rules import DetectionRepo, RuleRepo
from core.db.repos.tasks import TaskRepo
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
    rules: RuleRepo
    detections: DetectionRepo
    tasks: TaskRepo
    alerts: AlertRepo

    def __init__(self, engine: AsyncEngine, *, write: bool = True) -> None:
        self._engine = engine
        self._write = write
        self._conn: AsyncConnection | None = None

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
        await conn.begin()
        index = SearchIndexWriter(self.dialect)
        self.messages = MessageRepo(conn, self.dialect, index)
        self.chats = ChatRepo(conn, self.dialect)
        self.users = UserRepo(conn, self.dialect)
        self.flood_waits = FloodWaitRepo(conn)
        self.media = MediaRepo(conn, self.dialect)
        self.backfill = BackfillCursorRepo(conn, self.dialect)
        self.watch = WatchRepo(conn, self.dialect)
        self.rules = RuleRepo(conn, self.dialect)
        self.detections = DetectionRepo(conn, self.dialect)
        self.tasks = TaskRepo(conn, self.dialect)
        self.alerts = AlertRepo(conn, self.dialect)
        return self

    async def commit(self) -> None:
        """Commit; further work in the same block starts a new transaction on first use."""
        conn = self.connection
        if conn.in_transaction():
            await conn.commit()

    async def rollback(self) -> None:
        if self._conn is not None and self._conn.in_transaction():
            await self._conn.rollback()

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
