"""Where the storage rows run: fresh migrated databases on SQLite files or a PostgreSQL server."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from core.db import migrate
from core.db.database import Database

SQLITE_SIDE_FILES = ("", "-wal", "-shm")


class Target(Protocol):
    """A dialect's database factory; everything it creates is removed by ``close``."""

    dialect: str

    async def fresh(self, label: str) -> Database: ...

    async def size_bytes(self, db: Database) -> int: ...

    async def server_version(self) -> str: ...

    async def close(self) -> None: ...


class SqliteTarget:
    """Each database is a new file in ``directory`` (a temporary directory of the run)."""

    dialect = "sqlite"

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._databases: list[Database] = []

    async def fresh(self, label: str) -> Database:
        path = self._directory / f"{label}.db"
        db = Database.from_url(f"sqlite+aiosqlite:///{path}")
        await migrate.upgrade(db.engine)
        self._databases.append(db)
        return db

    async def size_bytes(self, db: Database) -> int:
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        path = Path(str(db.engine.url.database))
        candidates = (Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)
        return sum(p.stat().st_size for p in candidates if p.exists())

    async def server_version(self) -> str:
        import sqlite3

        return sqlite3.sqlite_version

    async def close(self) -> None:
        for db in self._databases:
            await db.dispose()


class PostgresTarget:
    """Each database is created on the server for this run and dropped by ``close``."""

    dialect = "postgresql"

    def __init__(self, admin_url: str) -> None:
        self._admin_url = admin_url
        self._created: list[tuple[str, Database]] = []

    async def reachable(self) -> str | None:
        """None when the server answers, else the reason it does not."""
        try:
            await self._admin("SELECT 1")
        except (OSError, TimeoutError, SQLAlchemyError) as exc:
            return f"{type(exc).__name__}: {exc}"
        return None

    async def fresh(self, label: str) -> Database:
        name = f"tv_bench_{label}_{uuid.uuid4().hex[:8]}"
        await self._admin(f'CREATE DATABASE "{name}"')
        url = make_url(self._admin_url).set(database=name).render_as_string(False)
        db = Database.from_url(url)
        self._created.append((name, db))
        await migrate.upgrade(db.engine)
        return db

    async def size_bytes(self, db: Database) -> int:
        async with db.engine.connect() as conn:
            result = await conn.execute(text("SELECT pg_database_size(current_database())"))
            return int(result.scalar_one())

    async def server_version(self) -> str:
        return await self._admin("SHOW server_version")

    async def close(self) -> None:
        for name, db in self._created:
            await db.dispose()
            await self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.clear()

    async def _admin(self, sql: str) -> str:
        engine = create_async_engine(
            self._admin_url,
            isolation_level="AUTOCOMMIT",
            poolclass=NullPool,
            connect_args={"timeout": 5},
        )
        try:
            async with engine.connect() as conn:
                result = await conn.execute(text(sql))
                return str(result.scalar()) if result.returns_rows else ""
        finally:
            await engine.dispose()
