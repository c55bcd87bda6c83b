"""TaskWorker: runs queued tasks in the process that holds the Telegram session.

Handlers are plain async functions registered by kind. Each gets the task and a progress
reporter, and returns a one-line summary for the admin plus structured result data. A domain
error fails the task with its user-facing message; anything else fails it as an internal error
(logged with the traceback) so one broken task never stops the worker.

Several workers (one per archiver process) may share the queue. While a task runs, its worker
beats every ``beat_seconds``; every worker, at each poll, queues again the running tasks whose
worker stopped beating for ``stale_after`` (it was killed), so their work is not lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from sqlalchemy.exc import SQLAlchemyError

from core.errors import VaultError
from services.tasks.queue import Task, TaskQueue

log = structlog.get_logger(__name__)
POLL_SECONDS = 2.0
PROGRESS_EVERY_SECONDS = 1.0
STALE_AFTER = timedelta(minutes=5)
BEAT_SECONDS = 30.0  # well inside STALE_AFTER: a slow beat is never taken for a dead worker
Sleep = Callable[[float], Awaitable[None]]
DB_ERRORS = (SQLAlchemyError, OSError)


@dataclass(frozen=True, slots=True)
class TaskOutcome:
    summary: str
    data: dict[str, Any] = field(default_factory=dict)


class ProgressReporter:
    """Stores a task's progress, at most once per ``every`` seconds unless forced.

    The bot edits the admin's progress message from what is stored here.
    """

    def __init__(
        self,
        queue: TaskQueue,
        task_id: int,
        *,
        every: float = PROGRESS_EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._queue = queue
        self._task_id = task_id
        self._every = every
        self._monotonic = monotonic
        self._last: float | None = None
        self.latest: dict[str, Any] = {}

    async def __call__(self, *, force: bool = False, **fields: Any) -> None:
        """Record fields such as ``done``, ``total``, ``percent``, ``note``, ``flood_wait``."""
        self.latest.update(fields)
        now = self._monotonic()
        if not force and self._last is not None and now - self._last < self._every:
            return
        self._last = now
        await self._queue.report_progress(self._task_id, self.latest)


TaskHandler = Callable[[Task, ProgressReporter], Awaitable[TaskOutcome]]


class TaskWorker:
    """Claims and runs tasks of the kinds it has handlers for, meant for its ``account_id``
    or for any account (a worker without an account runs only the latter)."""

    def __init__(
        self,
        queue: TaskQueue,
        handlers: Mapping[str, TaskHandler],
        *,
        worker_id: str,
        account_id: int | None = None,
        poll_seconds: float = POLL_SECONDS,
        stale_after: timedelta = STALE_AFTER,
        beat_seconds: float = BEAT_SECONDS,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if beat_seconds >= stale_after.total_seconds():
            raise ValueError("a worker must beat more often than its tasks are deemed stale")
        self._queue = queue
        self._handlers = dict(handlers)
        self._worker_id = worker_id
        self._account_id = account_id
        self._poll_seconds = poll_seconds
        self._stale_after = stale_after
        self._beat_seconds = beat_seconds
        self._sleep = sleep
        self._wake = asyncio.Event()

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(sorted(self._handlers))

    def wake(self) -> None:
        """New work was queued in this process: look now instead of at the next poll."""
        self._wake.set()

    async def run_once(self) -> int:
        """Run every task that is queued now; returns how many ran."""
        ran = 0
        while claimed := await self._queue.claim(
            self.kinds, self._worker_id, account_id=self._account_id
        ):
            for task in claimed:
                await self._run(task)
                ran += 1
        return ran

    async def run(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set; a task already running is finished first."""
        while not stop.is_set():
            self._wake.clear()
            await self.requeue_stale()
            await self.run_once()
            await self._idle(stop)

    async def requeue_stale(self) -> int:
        """Queue again the tasks of workers that stopped beating (this one's or another's)."""
        recovered = await self._queue.requeue_stale(self._stale_after)
        if recovered:
            log.info("tasks_requeued", count=recovered, stale_after=str(self._stale_after))
        return recovered

    async def _idle(self, stop: asyncio.Event) -> None:
        """Sleep until woken, stopped, or the poll interval passes (tasks from other processes)."""
        waiters = {asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait())}
        try:
            await asyncio.wait(
                waiters, timeout=self._poll_seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _run(self, task: Task) -> None:
        beating = asyncio.create_task(self._beat(task.id), name=f"task-{task.id}-beat")
        try:
            await self._handle(task)
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beating

    async def _beat(self, task_id: int) -> None:
        """Keep the task's heartbeat fresh for as long as its handler runs."""
        while True:
            await self._sleep(self._beat_seconds)
            try:
                held = await self._queue.beat(task_id, self._worker_id)
            except DB_ERRORS as error:  # the next beat may get through; the task goes on
                log.warning("task_beat_failed", task_id=task_id, error_type=type(error).__name__)
                continue
            if not held:
                log.warning("task_taken_over", task_id=task_id, worker=self._worker_id)
                return

    async def _handle(self, task: Task) -> None:
        handler = self._handlers[task.kind]
        reporter = ProgressReporter(self._queue, task.id)
        started = time.perf_counter()
        try:
            outcome = await handler(task, reporter)
        except VaultError as error:
            await self._queue.fail(task.id, self._worker_id, str(error))
            log.info("task_failed", task_id=task.id, kind=task.kind, reason=str(error))
            return
        except Exception as error:  # one broken task must not stop the worker
            log.exception("task_crashed", task_id=task.id, kind=task.kind)
            await self._queue.fail(
                task.id, self._worker_id, f"internal error ({type(error).__name__}); see the logs"
            )
            return
        if not await self._queue.finish(task.id, self._worker_id, outcome.summary, outcome.data):
            log.warning("task_finished_elsewhere", task_id=task.id, kind=task.kind)
            return
        log.info(
            "task_done",
            task_id=task.id,
            kind=task.kind,
            seconds=round(time.perf_counter() - started, 3),
        )
