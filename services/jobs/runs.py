"""JobRunner: runs job bodies on the vault's event loop, one at a time per job, and records them.

Every run is logged as an operation (``job_started``, then ``job_finished`` or ``job_failed``
with its duration and result) and its outcome kept in memory and in ``vault_meta`` under
``job_last_run:<job id>``, so /jobs in another process can show it. A failing body never
escapes: it is recorded as a failed run and the schedule goes on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from datetime import datetime

import structlog
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from core.db.database import Database
from core.db.tables import vault_meta
from core.db.upsert import upsert
from core.errors import NotFoundError, VaultError
from services.jobs.context import utc_now
from services.jobs.models import JobBody, JobOutcome, JobRun

log = structlog.get_logger(__name__)
LAST_RUN_PREFIX = "job_last_run:"
MAX_ERROR_CHARS = 500
RunListener = Callable[[JobRun], None]


def last_run_key(job_id: str) -> str:
    return f"{LAST_RUN_PREFIX}{job_id}"


async def save_last_run(db: Database, run: JobRun) -> None:
    stmt = upsert(db.dialect, vault_meta, ("key",), ("value",))
    async with db.unit_of_work() as uow:
        await uow.connection.execute(
            stmt, {"key": last_run_key(run.job_id), "value": run.to_json()}
        )
        await uow.commit()


async def load_last_runs(db: Database) -> dict[str, JobRun]:
    """Every job's last recorded run, by job id."""
    query = select(vault_meta.c.value).where(vault_meta.c.key.startswith(LAST_RUN_PREFIX))
    async with db.reader() as uow:
        values = (await uow.connection.execute(query)).scalars().all()
    runs = (JobRun.from_json(value) for value in values)
    return {run.job_id: run for run in runs if run is not None}


def error_text(error: Exception) -> str:
    text = str(error) if isinstance(error, VaultError) else f"{type(error).__name__}: {error}"
    return text[:MAX_ERROR_CHARS]


class JobRunner:
    def __init__(
        self,
        db: Database,
        bodies: Mapping[str, JobBody],
        *,
        clock: Callable[[], datetime] = utc_now,
        monotonic: Callable[[], float] = time.perf_counter,
    ) -> None:
        self._db = db
        self._bodies = dict(bodies)
        self._clock = clock
        self._monotonic = monotonic
        self._active: dict[str, asyncio.Task[object]] = {}
        self._last: dict[str, JobRun] = {}
        self._background: set[asyncio.Task[JobRun | None]] = set()
        self._listeners: list[RunListener] = []

    def is_running(self, job_id: str) -> bool:
        return job_id in self._active

    def last_run(self, job_id: str) -> JobRun | None:
        """The last run in this process (the record in ``vault_meta`` outlives it)."""
        return self._last.get(job_id)

    def subscribe(self, listener: RunListener) -> None:
        """Call ``listener`` with every finished run, on the vault's loop."""
        self._listeners.append(listener)

    async def run(self, job_id: str, trigger: str) -> JobRun | None:
        """Run ``job_id`` now; None when it is already running (the run is skipped)."""
        body = self._bodies.get(job_id)
        if body is None:
            raise NotFoundError(f"no job {job_id!r}")
        if job_id in self._active:
            log.info("job_skipped_running", job_id=job_id, trigger=trigger)
            return None
        current = asyncio.current_task()
        if current is not None:
            self._active[job_id] = current
        try:
            run = await self._timed(job_id, trigger, body)
        finally:
            self._active.pop(job_id, None)
        await self._record(run)
        return run

    def start(self, job_id: str, trigger: str) -> asyncio.Task[JobRun | None]:
        """Run ``job_id`` in the background; the task is kept until it ends."""
        if job_id not in self._bodies:
            raise NotFoundError(f"no job {job_id!r}")
        task = asyncio.create_task(self.run(job_id, trigger), name=f"job:{job_id}")
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def drain(self, *, cancel: bool) -> None:
        """Wait for every run in progress (or cancel them first)."""
        pending = {*self._active.values(), *self._background}
        if cancel:
            for task in pending:
                task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)

    async def _timed(self, job_id: str, trigger: str, body: JobBody) -> JobRun:
        started_at, started = self._clock(), self._monotonic()
        log.info("job_started", job_id=job_id, trigger=trigger)
        try:
            outcome: JobOutcome = await body()
        except asyncio.CancelledError:
            log.warning("job_cancelled", job_id=job_id, trigger=trigger)
            raise
        except Exception as error:  # a broken run is recorded; the schedule goes on
            seconds = round(self._monotonic() - started, 3)
            log.exception("job_failed", job_id=job_id, trigger=trigger, seconds=seconds)
            return JobRun(
                job_id, trigger, started_at, seconds, False, "failed", {}, error_text(error)
            )
        seconds = round(self._monotonic() - started, 3)
        log.info(
            "job_finished", job_id=job_id, trigger=trigger, seconds=seconds,
            summary=outcome.summary, result=outcome.data,
        )  # fmt: skip
        return JobRun(job_id, trigger, started_at, seconds, True, outcome.summary, outcome.data)

    async def _record(self, run: JobRun) -> None:
        self._last[run.job_id] = run
        try:
            await save_last_run(self._db, run)
        except (SQLAlchemyError, OSError) as error:
            log.warning("job_run_not_recorded", job_id=run.job_id, error_type=type(error).__name__)
        for listener in self._listeners:
            listener(run)
