"""Async engines per dialect, with the connection settings each one needs to behave well."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Durability in WAL mode with synchronous=NORMAL: a commit is in the WAL (the OS's cache) when
# it returns, so an application crash loses nothing and nothing is ever corrupted; the WAL is
# fsynced at each checkpoint, and a power cut can take back what was committed since then that
# the kernel had not yet written out (its writeback delay, ~30 s by default, bounds it in time).
# Checkpointing every 10,000 pages (~40 MB of WAL, the file's size from then on) instead of
# SQLite's 1,000 raises that bound in bytes. In exchange a bulk write copies each hot page
# (index and FTS structure pages every transaction touches) into the database file and fsyncs
# ten times less often: measured 4-9 % less CPU and 10-25 % less time per message written,
# the most for small transactions.
WAL_AUTOCHECKPOINT_PAGES = 10_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
    f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES}",
    "PRAGMA busy_timeout=15000",
    "PRAGMA temp_store=MEMORY",
    "PRAGMA cache_size=-8000",  # 8 MB per connection: the pool keeps several open
)
# Writers ask for this option so SQLite takes the write lock at BEGIN instead of failing to
# upgrade a read lock halfway through a transaction; readers keep deferred transactions.
IMMEDIATE = {"sqlite_immediate": True}


def create_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> AsyncEngine:
    """Build the engine for ``url`` (sqlite+aiosqlite or postgresql+asyncpg)."""
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url, echo)
    if backend == "postgresql":
        return _postgres_engine(url, pool_size, echo)
    raise ValueError(f"unsupported database backend: {backend}")


def _sqlite_engine(url: str, echo: bool) -> AsyncEngine:
    # One writer at a time anyway; a small pool keeps memory (page cache per connection) low.
    engine = create_async_engine(
        url, echo=echo, pool_size=3, max_overflow=2, connect_args={"timeout": 15}
    )
    event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    event.listen(engine.sync_engine, "begin", _on_sqlite_begin)
    return engine


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (the driver's implicit transactions are unreliable).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def _on_sqlite_begin(conn: Connection) -> None:
    immediate = conn.get_execution_options().get("sqlite_immediate", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _postgres_engine(url: str, pool_size: int, echo: bool) -> AsyncEngine:
    # A generic plan for a search statement can pick a backward primary-key scan for rare terms
    # (seconds instead of milliseconds), so every statement is planned with its real parameters.
    settings = {"plan_cache_mode": "force_custom_plan", "application_name": "telegramvault"}
    return create_async_engine(
        url,
        echo=echo,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        connect_args={"server_settings": settings},
    )


def dialect_name(engine: AsyncEngine) -> str:
    return engine.dialect.name
