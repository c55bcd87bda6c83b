"""Shared fixtures: a migrated vault database on SQLite and on PostgreSQL for every storage test."""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import structlog
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

import bot  # noqa: F401  # first: aiogram's models are then built on first use, as in production
from core.config_spec import KEYS
from core.db import migrate
from core.db.database import Database
from core.db.tables import metadata
from core.log_setup import NOISY_LOGGERS, shutdown_logging

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
THIRD_PARTY_LOGGERS = (
    "aiogram.event",
    "telethon.network.mtprotosender",
    "sqlalchemy.engine.Engine",
    "apscheduler.scheduler",
)
DIALECTS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


def _run_in_own_loop(factory: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run set-up coroutines on a private loop in a thread: fixtures may already be in a loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: asyncio.run(factory())).result()


async def _admin(sql: str) -> None:
    engine = create_async_engine(
        POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    finally:
        await engine.dispose()


def _postgres_unavailable(reason: str) -> None:
    message = f"PostgreSQL at {make_url(POSTGRES_ADMIN_URL).render_as_string()}: {reason}"
    if os.environ.get("CI"):
        pytest.fail(f"CI requires PostgreSQL — {message}", pytrace=False)
    pytest.skip(message)


class PostgresDatabases:
    """Creates throw-away databases on the test server and drops them at the end of the run."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.error: str | None = None

    def new(self) -> str:
        if self.error:
            _postgres_unavailable(self.error)
        name = f"tv_test_{uuid.uuid4().hex[:12]}"
        try:
            _run_in_own_loop(lambda: _admin(f'CREATE DATABASE "{name}"'))
        except (OSError, asyncpg.PostgresError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            _postgres_unavailable(self.error)
        self.created.append(name)
        return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)

    def drop_all(self) -> None:
        for name in self.created:
            sql = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            _run_in_own_loop(lambda sql=sql: _admin(sql))  # type: ignore[misc]


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


@pytest.fixture(scope="session")
def migrated_postgres_url(postgres_databases: PostgresDatabases) -> str:
    url = postgres_databases.new()

    async def _upgrade() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    _run_in_own_loop(_upgrade)
    return url


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_db_url(dialect: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """A database with nothing in it (for migration tests)."""
    if dialect == "sqlite":
        return sqlite_url(tmp_path / "empty.db")
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    return databases.new()


@pytest.fixture
async def db(
    dialect: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    """A migrated, empty vault on the parametrized dialect."""
    if dialect == "sqlite":
        database = Database.from_url(sqlite_url(tmp_path / "vault.db"))
        await migrate.upgrade(database.engine)
    else:
        url: str = request.getfixturevalue("migrated_postgres_url")
        database = Database.from_url(url)
        tables = ", ".join(t.name for t in metadata.sorted_tables if t.name != "vault_meta")
        async with database.engine.begin() as conn:
            await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # vault_meta keeps what the migrations wrote; state written at run time goes
            await conn.execute(text("DELETE FROM vault_meta WHERE key <> 'fts_language'"))
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture(autouse=True)
def _restore_logging_state() -> Iterator[None]:
    """Logging is process-global: give every test back the state it started with."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = (*NOISY_LOGGERS, *THIRD_PARTY_LOGGERS)
    levels = {name: logging.getLogger(name).level for name in names}
    structlog_config = structlog.get_config()
    yield
    shutdown_logging()
    for handler in set(root.handlers) - set(handlers):
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    for name, logger_level in levels.items():
        logging.getLogger(name).setLevel(logger_level)
    structlog.reset_defaults()
    structlog.configure(**structlog_config)
    structlog.contextvars.clear_contextvars()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No TelegramVault setting from the real environment; cwd and DATA_DIR in tmp_path."""
    for spec in KEYS:
        monkeypatch.delenv(spec.name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path
