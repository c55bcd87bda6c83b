"""The vault's database handle: the engine, units of work, and the flood-wait recorder over it."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db.engine import create_engine
from core.db.uow import UnitOfWork
from core.domain.flood import FloodWaitEvent


class Database:
    """Built once by the composition root and handed to every service that stores anything."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 5, echo: bool = False) -> Database:
        return cls(create_engine(url, pool_size=pool_size, echo=echo))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self) -> UnitOfWork:
        """A writing transaction (on SQLite it takes the write lock at BEGIN)."""
        return UnitOfWork(self.engine, write=True)

    def reader(self) -> UnitOfWork:
        """A reading transaction: never holds the write lock."""
        return UnitOfWork(self.engine, write=False)

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def dispose(self) -> None:
        await self.engine.dispose()


class DatabaseFloodRecorder:
    """FloodWaitRecorder that writes the ledger table in its own short transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def record(self, event: FloodWaitEvent) -> None:
        async with self._db.unit_of_work() as uow:
            await uow.flood_waits.add(event)
            await uow.commit()
