"""JobControl: what the bot's /jobs uses, whether the scheduler runs in its process or not.

``DirectJobControl`` wraps the scheduler of this process. ``QueuedJobControl`` serves a bot in
another process: it lists the jobs from the store table and the recorded last runs, and queues
each action as a ``job_control`` task, which only the leading scheduler's process claims
(``job_control_handler``).
"""

from __future__ import annotations

from typing import Any, Protocol

from core.db.database import Database
from core.errors import InvalidInputError, NotFoundError
from services.jobs.models import ACTIONS, PAUSE, RESUME, RUN_NOW, ControlOutcome, JobInfo
from services.jobs.runs import load_last_runs
from services.jobs.scheduler import VaultScheduler
from services.jobs.specs import NAMES, describe_trigger
from services.jobs.store import stored_jobs
from services.tasks.queue import Task, TaskQueue
from services.tasks.worker import ProgressReporter, TaskHandler, TaskOutcome

JOB_CONTROL = "job_control"  # task kind
PAST = {RUN_NOW: "Started", PAUSE: "Paused", RESUME: "Resumed"}


class JobControl(Protocol):
    async def jobs(self) -> list[JobInfo]: ...

    async def run_now(self, job_id: str) -> ControlOutcome: ...

    async def pause(self, job_id: str) -> ControlOutcome: ...

    async def resume(self, job_id: str) -> ControlOutcome: ...


class DirectJobControl:
    """The scheduler runs here: actions apply at once."""

    def __init__(self, scheduler: VaultScheduler) -> None:
        self._scheduler = scheduler

    async def jobs(self) -> list[JobInfo]:
        return await self._scheduler.jobs()

    async def run_now(self, job_id: str) -> ControlOutcome:
        await self._scheduler.run_now(job_id)  # the run goes on in the background
        return self._outcome(job_id, RUN_NOW)

    async def pause(self, job_id: str) -> ControlOutcome:
        await self._scheduler.pause(job_id)
        return self._outcome(job_id, PAUSE)

    async def resume(self, job_id: str) -> ControlOutcome:
        await self._scheduler.resume(job_id)
        return self._outcome(job_id, RESUME)

    def _outcome(self, job_id: str, action: str) -> ControlOutcome:
        return ControlOutcome(job_id, self._scheduler.name_of(job_id), action, applied=True)


class QueuedJobControl:
    """The scheduler runs in another process: read the store, queue the actions."""

    def __init__(self, db: Database, tasks: TaskQueue) -> None:
        self._db = db
        self._tasks = tasks

    async def jobs(self) -> list[JobInfo]:
        runs = await load_last_runs(self._db)
        return [
            JobInfo(job.id, job.name, describe_trigger(job.trigger), job.next_run, runs.get(job.id))
            for job in await stored_jobs(self._db)
        ]

    async def run_now(self, job_id: str) -> ControlOutcome:
        return await self._queue(job_id, RUN_NOW)

    async def pause(self, job_id: str) -> ControlOutcome:
        return await self._queue(job_id, PAUSE)

    async def resume(self, job_id: str) -> ControlOutcome:
        return await self._queue(job_id, RESUME)

    async def _queue(self, job_id: str, action: str) -> ControlOutcome:
        stored = {job.id: job for job in await stored_jobs(self._db)}
        if job_id not in stored:
            raise NotFoundError(f"There is no scheduled job {job_id!r}")
        args = {"action": action, "job_id": job_id}
        await self._tasks.enqueue(JOB_CONTROL, args, dedup_key=f"{JOB_CONTROL}:{action}:{job_id}")
        return ControlOutcome(job_id, stored[job_id].name, action, applied=False)


def job_control_handler(scheduler: VaultScheduler) -> TaskHandler:
    """Apply queued /jobs actions to the scheduler of this (the leading) process."""
    control = DirectJobControl(scheduler)

    async def handle(task: Task, progress: ProgressReporter) -> TaskOutcome:
        action, job_id = _parse(task.args)
        outcome = await getattr(control, action)(job_id)
        return TaskOutcome(f"{PAST[action]}: {outcome.name}", {"job_id": job_id, "action": action})

    return handle


def _parse(args: dict[str, Any]) -> tuple[str, str]:
    action, job_id = args.get("action"), args.get("job_id")
    if action not in ACTIONS:
        raise InvalidInputError(f"unknown job action {action!r}; expected one of {ACTIONS}")
    if not isinstance(job_id, str) or job_id not in NAMES:
        raise NotFoundError(f"There is no scheduled job {job_id!r}")
    return str(action), job_id
