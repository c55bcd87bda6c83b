"""One scheduler leads: on PostgreSQL whoever holds an advisory lock; on SQLite the one process.

The lock is taken on a connection of its own, kept for as long as this process leads, and is
released by PostgreSQL the moment that connection dies — so when the leader is killed, another
process's next attempt takes over. A leader that finds its connection gone stops its scheduler
at once (another may already lead).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable
from typing import Protocol

import structlog
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from core.db.database import Database
from core.errors import VaultError
from services.jobs.control import JOB_CONTROL, job_control_handler
from services.jobs.scheduler import VaultScheduler
from services.tasks.queue import TaskQueue
from services.tasks.worker import TaskWorker

log = structlog.get_logger(__name__)
LOCK_KEY = 0x5456_5343_4845_4431  # "TVSCHED1": one key per vault database (locks are per database)
RETRY_SECONDS = 15.0
CHECK_SECONDS = 15.0
LEADING, STANDBY = "leading", "standby"
DB_ERRORS = (SQLAlchemyError, OSError)


class Leadership(Protocol):
    async def acquire(self) -> bool: ...

    async def held(self) -> bool: ...

    async def release(self) -> None: ...

    async def dispose(self) -> None: ...


class SoleLeader:
    """SQLite: a single process owns the vault, so it always leads."""

    async def acquire(self) -> bool:
        return True

    async def held(self) -> bool:
        return True

    async def release(self) -> None:
        return None

    async def dispose(self) -> None:
        return None


class AdvisoryLockLeadership:
    """PostgreSQL session advisory lock on a dedicated, unpooled connection."""

    def __init__(self, url: URL, key: int = LOCK_KEY) -> None:
        settings = {"application_name": "telegramvault-scheduler-lock"}
        self._engine = create_async_engine(
            url, poolclass=NullPool, connect_args={"server_settings": settings}
        )
        self._key = key
        self._conn: AsyncConnection | None = None

    async def acquire(self) -> bool:
        conn = self._conn or await self._engine.connect()
        self._conn = conn
        try:
            query = text("SELECT pg_try_advisory_lock(:key)")
            got = bool((await conn.execute(query, {"key": self._key})).scalar_one())
            await conn.commit()  # session lock: kept without holding a transaction open
        except DB_ERRORS:
            await self._close()
            raise
        if not got:
            await self._close()
        return got

    async def held(self) -> bool:
        """Whether this session still holds the lock (False when its connection died)."""
        if self._conn is None:
            return False
        query = text(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid() AND classid = :high AND objid = :low AND objsubid = 1)"
        )
        params = {"high": self._key >> 32, "low": self._key & 0xFFFFFFFF}
        try:
            held = bool((await self._conn.execute(query, params)).scalar_one())
            await self._conn.commit()
        except DB_ERRORS as error:
            log.warning("scheduler_lock_check_failed", error_type=type(error).__name__)
            await self._close()
            return False
        return held

    async def release(self) -> None:
        if self._conn is None:
            return
        with contextlib.suppress(*DB_ERRORS):  # a dead connection released it already
            await self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            await self._conn.commit()
        await self._close()

    async def dispose(self) -> None:
        await self._close()
        await self._engine.dispose()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(*DB_ERRORS):
                await conn.close()


def leadership_for(db: Database) -> Leadership:
    if db.dialect == "postgresql":
        return AdvisoryLockLeadership(db.engine.url)
    return SoleLeader()


class SchedulerLeader:
    """Runs the scheduler (and the worker for queued /jobs actions) while this process leads;
    otherwise tries again every ``retry_seconds``."""

    def __init__(
        self,
        scheduler: VaultScheduler,
        leadership: Leadership,
        *,
        tasks: TaskQueue | None = None,
        retry_seconds: float = RETRY_SECONDS,
        check_seconds: float = CHECK_SECONDS,
        on_change: Callable[[str], None] | None = None,
        wait: Callable[[asyncio.Event, float], Awaitable[bool]] | None = None,
    ) -> None:
        self._scheduler = scheduler
        self._leadership = leadership
        self._tasks = tasks
        self._retry_seconds = retry_seconds
        self._check_seconds = check_seconds
        self._on_change = on_change
        self._wait = wait or wait_or_stop
        self.state: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Lead whenever possible until ``stop`` is set."""
        try:
            while not stop.is_set():
                if await self._acquire():
                    await self._lead(stop)
                await self._wait(stop, self._retry_seconds)
        finally:
            await self._leadership.release()
            await self._leadership.dispose()

    async def _acquire(self) -> bool:
        try:
            acquired = await self._leadership.acquire()
        except DB_ERRORS as error:
            log.warning("scheduler_lock_unavailable", error_type=type(error).__name__)
            acquired = False
        if not acquired:
            self._set(STANDBY)
        return acquired

    async def _lead(self, stop: asyncio.Event) -> None:
        try:
            await self._scheduler.start()
        except (*DB_ERRORS, VaultError):
            log.exception("scheduler_start_failed")
            await self._leadership.release()
            return
        self._set(LEADING)
        term = asyncio.Event()
        worker = asyncio.create_task(self._control_worker(term))
        lost = False
        try:
            while not await self._wait(stop, self._check_seconds):
                if not await self._leadership.held():
                    log.warning("scheduler_leadership_lost")
                    lost = True
                    break
        finally:
            term.set()
            await worker
            await self._scheduler.shutdown(wait=not lost)  # lost: another may lead already
            await self._leadership.release()
            self._set(STANDBY)

    async def _control_worker(self, term: asyncio.Event) -> None:
        if self._tasks is None:
            return
        handlers = {JOB_CONTROL: job_control_handler(self._scheduler)}
        worker_id = f"scheduler:{socket.gethostname()[:32]}:{os.getpid()}"
        try:
            await TaskWorker(self._tasks, handlers, worker_id=worker_id).run(term)
        except DB_ERRORS as error:  # the lock check decides whether this term goes on
            log.warning("job_control_worker_failed", error_type=type(error).__name__)

    def _set(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        log.info("scheduler_leadership", state=state)
        if self._on_change is not None:
            self._on_change(state)


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds``; True when ``stop`` was set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    return stop.is_set()
