"""VaultScheduler: the vault's periodic jobs, timed by APScheduler and stored in its database.

APScheduler 3's job store is synchronous. Were the scheduler an AsyncIOScheduler, every store
write would run on the vault's event loop; on SQLite such a write can wait for the write lock
held by a transaction of that same loop, which cannot finish while the loop is blocked — the
process would freeze until the busy timeout. So the scheduler keeps its own thread (where the
store is read and written, and the main loop never waits for it) and submits each run to the
vault's loop (``LoopExecutor``), where the job bodies use the async services.

Schedules and pauses live in the store and survive restarts: at start, jobs are added only
when missing; an existing job keeps its paused state and gets its interval from configuration.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler

from core.config_settings import SchedulerSettings
from core.errors import NotFoundError, RetryLaterError
from services.jobs.bodies import job_bodies
from services.jobs.context import JobContext
from services.jobs.models import JOB_IDS, MANUAL, JobBody, JobInfo, JobRun
from services.jobs.runs import JobRunner, RunListener, load_last_runs
from services.jobs.runtime import LoopExecutor, install, run_scheduled_job, uninstall
from services.jobs.specs import JobSpec, describe_trigger, job_specs, trigger_key
from services.jobs.store import job_store

log = structlog.get_logger(__name__)
NOT_RUNNING = "The scheduler is not running in this process"


class VaultScheduler:
    def __init__(
        self,
        context: JobContext,
        schedule: SchedulerSettings,
        *,
        bodies: Mapping[str, JobBody] | None = None,
    ) -> None:
        self._context = context
        self._specs = {spec.id: spec for spec in job_specs(schedule, context.tz)}
        runs = job_bodies(context) if bodies is None else bodies
        self._runner = JobRunner(context.db, runs, clock=context.clock)
        self._scheduler: Any = None
        self._store: Any = None

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def name_of(self, job_id: str) -> str:
        return self._spec(job_id).name

    def subscribe(self, listener: RunListener) -> None:
        """Call ``listener`` with every finished run (scheduled or manual), on the vault's loop."""
        self._runner.subscribe(listener)

    async def start(self, *, paused: bool = False) -> None:
        """Open the store, register the jobs, and (unless ``paused``) start timing them."""
        if self._scheduler is not None:
            raise RuntimeError("the scheduler is already running")
        store = job_store(self._context.db.engine.url)
        scheduler = BackgroundScheduler(
            jobstores={"default": store},
            executors={"default": LoopExecutor(asyncio.get_running_loop())},
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        scheduler.add_listener(
            _log_event, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES | EVENT_JOB_ERROR
        )
        install(self._runner)
        try:
            await asyncio.to_thread(scheduler.start, paused=True)
            await asyncio.to_thread(self._register, scheduler)
        except BaseException:
            uninstall(self._runner)
            if scheduler.running:
                await asyncio.to_thread(scheduler.shutdown, wait=False)
            store.engine.dispose()
            raise
        self._scheduler, self._store = scheduler, store
        if not paused:
            scheduler.resume()
        log.info("scheduler_started", jobs=len(self._specs), paused=paused)

    async def resume_processing(self) -> None:
        """Start timing jobs after ``start(paused=True)``."""
        self._require().resume()

    async def shutdown(self, wait: bool = True) -> None:
        """Stop timing jobs; with ``wait`` let running ones finish, else cancel them."""
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        scheduler.pause()  # nothing new is submitted while the runs drain
        await self._runner.drain(cancel=not wait)
        try:
            await asyncio.to_thread(scheduler.shutdown, wait=False)
        finally:
            # APScheduler's thread may read the store once more after it disposed the engine
            # (it wakes to stop): dispose again now that the thread has ended.
            self._store.engine.dispose()
            await self._runner.drain(cancel=True)  # a run submitted while pausing
            uninstall(self._runner)
        log.info("scheduler_stopped")

    async def jobs(self) -> list[JobInfo]:
        scheduler = self._require()
        stored = await asyncio.to_thread(scheduler.get_jobs)
        recorded = await load_last_runs(self._context.db)
        infos = [self._info(job, recorded.get(job.id)) for job in stored]
        return sorted(infos, key=lambda info: JOB_IDS.index(info.id) if info.id in JOB_IDS else 99)

    async def run_now(self, job_id: str) -> asyncio.Task[JobRun | None]:
        """Run a job at once, in the background, without touching its schedule (a paused job
        stays paused). RetryLaterError while it is running."""
        self._require()
        spec = self._spec(job_id)
        if self._runner.is_running(job_id):
            raise RetryLaterError(f"{spec.name} is running already")
        return self._runner.start(job_id, MANUAL)

    async def pause(self, job_id: str) -> JobInfo:
        return await self._change(job_id, "pause_job")

    async def resume(self, job_id: str) -> JobInfo:
        return await self._change(job_id, "resume_job")

    async def set_next_run(self, job_id: str, at: datetime) -> JobInfo:
        """Move a job's next run (a paused job is resumed by it)."""
        return await self._change(job_id, "modify_job", next_run_time=at)

    # --- internals -----------------------------------------------------------------------

    def _require(self) -> Any:
        if self._scheduler is None:
            raise RetryLaterError(NOT_RUNNING)
        return self._scheduler

    def _spec(self, job_id: str) -> JobSpec:
        spec = self._specs.get(job_id)
        if spec is None:
            raise NotFoundError(f"There is no scheduled job {job_id!r}")
        return spec

    async def _change(self, job_id: str, method: str, **changes: Any) -> JobInfo:
        scheduler = self._require()
        self._spec(job_id)
        try:
            job = await asyncio.to_thread(getattr(scheduler, method), job_id, **changes)
        except JobLookupError as error:
            raise NotFoundError(f"There is no scheduled job {job_id!r}") from error
        log.info("job_changed", job_id=job_id, change=method, next_run=job.next_run_time)
        return self._info(job, self._runner.last_run(job_id))

    def _info(self, job: Any, recorded: JobRun | None) -> JobInfo:
        return JobInfo(
            id=job.id,
            name=job.name,
            schedule=describe_trigger(job.trigger),
            next_run=job.next_run_time,
            last_run=self._runner.last_run(job.id) or recorded,
            running=self._runner.is_running(job.id),
        )

    def _register(self, scheduler: Any) -> None:
        """Add missing jobs; keep stored ones (and their pauses), updated to configuration."""
        stored = {job.id: job for job in scheduler.get_jobs()}
        for job_id in stored.keys() - self._specs.keys():
            scheduler.remove_job(job_id)
            log.info("job_retired", job_id=job_id)
        for spec in self._specs.values():
            options = {
                "args": (spec.id,),
                "name": spec.name,
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": spec.grace_seconds,
            }
            job = stored.get(spec.id)
            if job is None:
                scheduler.add_job(
                    run_scheduled_job, spec.trigger, id=spec.id, replace_existing=True, **options
                )
                continue
            scheduler.modify_job(spec.id, func=run_scheduled_job, kwargs={}, **options)
            if trigger_key(job.trigger) != trigger_key(spec.trigger):
                _retime(scheduler, spec, paused=job.next_run_time is None)


def _retime(scheduler: Any, spec: JobSpec, *, paused: bool) -> None:
    if paused:  # a new interval, still paused
        scheduler.modify_job(spec.id, trigger=spec.trigger)
    else:
        scheduler.reschedule_job(spec.id, trigger=spec.trigger)
    log.info("job_rescheduled", job_id=spec.id, schedule=describe_trigger(spec.trigger))


def _log_event(event: Any) -> None:
    """APScheduler's own outcomes (called on its thread): what never reached a job body."""
    if event.code == EVENT_JOB_MISSED:
        log.warning("job_missed", job_id=event.job_id, scheduled_for=event.scheduled_run_time)
    elif event.code == EVENT_JOB_MAX_INSTANCES:
        log.info("job_still_running", job_id=event.job_id)
    else:
        log.error("job_run_failed", job_id=event.job_id, error_type=type(event.exception).__name__)
