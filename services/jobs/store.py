"""The job store: APScheduler's SQLAlchemy store on the vault's own database.

APScheduler 3 stores jobs synchronously, so the store gets a synchronous engine on the same
database: stdlib sqlite3, or pg8000 for PostgreSQL (pure Python: ~5 MB less resident than a
libpq-based driver, in a process that otherwise reaches PostgreSQL through asyncpg). The
``scheduler_jobs`` table is created by the vault's migrations with exactly the store's columns;
the store finds it there. Another process (the bot, when roles run apart) reads the same table
to list the jobs.
"""

from __future__ import annotations

import pickle
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.engine import URL

from core.db.database import Database
from core.db.tables import scheduler_jobs
from core.errors import ConfigurationError
from services.jobs.models import JOB_IDS
from services.status.sizes import sqlite_path

log = structlog.get_logger(__name__)
VERIFYING_TLS_MODES = ("verify-ca", "verify-full")
PLAIN_TLS_MODES = ("", "disable", "allow", "prefer", "false")
SQLITE_BUSY_SECONDS = 15  # as long as the vault's own connections wait for the write lock


def store_url(url: URL) -> URL:
    """The vault's URL with a synchronous driver."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        if sqlite_path(url) is None:
            raise ConfigurationError(
                "The scheduler keeps its jobs in the vault's database, so DATABASE_URL must "
                "name a SQLite file, not an in-memory database."
            )
        return url.set(drivername="sqlite")
    if backend == "postgresql":
        return url.set(drivername="postgresql+pg8000")
    raise ConfigurationError(f"The scheduler cannot store jobs in a {backend} database.")


def sync_engine(url: URL) -> Engine:
    sync_url = store_url(url)
    if sync_url.get_backend_name() == "sqlite":
        return create_engine(sync_url, connect_args={"timeout": SQLITE_BUSY_SECONDS})
    return create_engine(
        sync_url.set(query={}),
        pool_size=1,
        max_overflow=2,
        pool_pre_ping=True,
        connect_args=postgres_connect_args(url),
    )


def postgres_connect_args(url: URL) -> dict[str, Any]:
    """pg8000's arguments for the TLS the vault's URL asks for (``ssl`` as asyncpg spells it,
    or libpq's ``sslmode``): ``require`` encrypts, ``verify-ca``/``verify-full`` also check the
    server's certificate (``verify-full`` its name too); ``disable``/``prefer``/``allow`` and
    no option connect in plain text, as asyncpg's default does on a server without TLS."""
    arguments: dict[str, Any] = {"application_name": "telegramvault-scheduler"}
    mode = str(url.query.get("ssl") or url.query.get("sslmode") or "").lower()
    if mode in VERIFYING_TLS_MODES:
        context = ssl.create_default_context()
        context.check_hostname = mode == "verify-full"
        arguments["ssl_context"] = context
    elif mode in ("require", "true"):
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        arguments["ssl_context"] = context
    elif mode not in PLAIN_TLS_MODES:
        raise ConfigurationError(f"DATABASE_URL asks for TLS mode {mode!r}, which is not known")
    return arguments


def job_store(url: URL) -> SQLAlchemyJobStore:
    return SQLAlchemyJobStore(engine=sync_engine(url), tablename=scheduler_jobs.name)


@dataclass(frozen=True, slots=True)
class StoredJob:
    """A job as the store holds it; ``trigger`` is the unpickled APScheduler trigger."""

    id: str
    name: str
    trigger: Any
    next_run: datetime | None


def _order(job_id: str) -> tuple[int, str]:
    return (JOB_IDS.index(job_id) if job_id in JOB_IDS else len(JOB_IDS), job_id)


async def stored_jobs(db: Database) -> list[StoredJob]:
    """Read the jobs straight from the table (any process can; only the leader writes it)."""
    query = select(scheduler_jobs.c.id, scheduler_jobs.c.next_run_time, scheduler_jobs.c.job_state)
    async with db.reader() as uow:
        rows = (await uow.connection.execute(query)).all()
    jobs = [job for row in rows if (job := _decode(row.id, row.next_run_time, row.job_state))]
    return sorted(jobs, key=lambda job: _order(job.id))


def _decode(job_id: str, next_run_time: float | None, state: bytes) -> StoredJob | None:
    try:
        document = pickle.loads(state)  # written by our own scheduler into our own database
        name, trigger = str(document["name"]), document["trigger"]
    except Exception as error:  # a job from another version: listed by the scheduler, not here
        log.warning("stored_job_unreadable", job_id=job_id, error_type=type(error).__name__)
        return None
    next_run = None if next_run_time is None else datetime.fromtimestamp(next_run_time, UTC)
    return StoredJob(job_id, name, trigger, next_run)
