"""The controls /jobs uses, on both dialects: direct in the scheduler's process, queued from
another one (applied by the leader's worker), and the leader loop that runs the scheduler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.db.database import Database
from core.errors import NotFoundError
from services.jobs.context import JobContext
from services.jobs.control import (
    JOB_CONTROL,
    DirectJobControl,
    QueuedJobControl,
    job_control_handler,
)
from services.jobs.leader import LEADING, STANDBY, SchedulerLeader
from services.jobs.models import ENRICH, JOB_IDS, MAINTENANCE, PAUSE, RESCAN, RESUME, RUN_NOW
from services.jobs.scheduler import VaultScheduler
from services.tasks.queue import DONE, FAILED, TaskQueue
from services.tasks.worker import TaskWorker
from tests.integration.scheduler_support import WAIT, job_context, next_run_of, schedule


@pytest.fixture
async def context(db: Database, tmp_path: Path) -> JobContext:
    return await job_context(db, tmp_path)


@pytest.fixture
async def scheduler(context: JobContext) -> AsyncIterator[VaultScheduler]:
    vault_scheduler = VaultScheduler(context, schedule())
    await vault_scheduler.start(paused=True)
    yield vault_scheduler
    await vault_scheduler.shutdown()


def _leader_worker(queue: TaskQueue, scheduler: VaultScheduler) -> TaskWorker:
    return TaskWorker(queue, {JOB_CONTROL: job_control_handler(scheduler)}, worker_id="leader")


async def test_direct_control_applies_at_once(scheduler: VaultScheduler) -> None:
    control = DirectJobControl(scheduler)
    finished = next_run_of(scheduler)
    paused = await control.pause(ENRICH)
    assert (paused.name, paused.action, paused.applied) == ("Profile enrichment sweep", PAUSE, True)
    assert next(job for job in await control.jobs() if job.id == ENRICH).paused
    assert (await control.resume(ENRICH)).action == RESUME
    assert not next(job for job in await control.jobs() if job.id == ENRICH).paused
    assert (await control.run_now(RESCAN)).action == RUN_NOW
    assert (await asyncio.wait_for(finished, WAIT)).job_id == RESCAN
    with pytest.raises(NotFoundError):
        await control.pause("nope")


async def test_queued_control_lists_the_store_and_the_leader_applies_it(
    scheduler: VaultScheduler, db: Database
) -> None:
    queue = TaskQueue(db)
    control = QueuedJobControl(db, queue)
    listed = await control.jobs()
    direct = await scheduler.jobs()
    assert [(j.id, j.name, j.schedule, j.paused) for j in listed] == [
        (j.id, j.name, j.schedule, j.paused) for j in direct
    ]
    assert [j.id for j in listed] == list(JOB_IDS)

    asked = await control.pause(ENRICH)
    again = await control.pause(ENRICH)  # pressed twice before the leader got to it
    assert (asked.applied, again.applied) == (False, False)
    assert not next(j for j in await control.jobs() if j.id == ENRICH).paused  # not yet
    assert await _leader_worker(queue, scheduler).run_once() == 1
    assert next(j for j in await control.jobs() if j.id == ENRICH).paused

    finished = next_run_of(scheduler)
    await control.run_now(MAINTENANCE)
    [task] = await queue.recent(1)
    await _leader_worker(queue, scheduler).run_once()
    run = await asyncio.wait_for(finished, WAIT)
    done = await queue.get(task.id)
    assert (done.state, done.result) == (
        DONE, {"summary": "Started: Database maintenance", "job_id": MAINTENANCE,
               "action": RUN_NOW},
    )  # fmt: skip
    maintenance = next(j for j in await control.jobs() if j.id == MAINTENANCE)
    assert maintenance.last_run == run  # read back from vault_meta, as another process would
    with pytest.raises(NotFoundError):
        await control.resume("nope")


async def test_a_malformed_control_task_fails_with_a_reason(
    scheduler: VaultScheduler, db: Database
) -> None:
    queue = TaskQueue(db)
    bad_action, _ = await queue.enqueue(JOB_CONTROL, {"action": "explode", "job_id": ENRICH})
    bad_job, _ = await queue.enqueue(JOB_CONTROL, {"action": PAUSE, "job_id": "nope"})
    await _leader_worker(queue, scheduler).run_once()
    failed_action, failed_job = await queue.get(bad_action.id), await queue.get(bad_job.id)
    assert failed_action.state == FAILED and "unknown job action 'explode'" in (
        failed_action.error or ""
    )
    assert failed_job.state == FAILED and "no scheduled job 'nope'" in (failed_job.error or "")


class FakeLeadership:
    """Leadership as a test decides it: ``grants`` answers acquire() in turn (then False)."""

    def __init__(self, grants: list[bool]) -> None:
        self.grants = grants
        self.holding = False
        self.released = 0
        self.disposed = False

    async def acquire(self) -> bool:
        self.holding = self.grants.pop(0) if self.grants else False
        return self.holding

    async def held(self) -> bool:
        return self.holding

    async def release(self) -> None:
        self.released += 1

    async def dispose(self) -> None:
        self.disposed = True


class Steps:
    """Stands in for the leader's timed waits: each wait lasts until the test says ``next``."""

    def __init__(self) -> None:
        self._tick = asyncio.Event()

    def next(self) -> None:
        self._tick.set()

    async def __call__(self, stop: asyncio.Event, seconds: float) -> bool:
        ticked = asyncio.ensure_future(self._tick.wait())
        stopped = asyncio.ensure_future(stop.wait())
        await asyncio.wait({ticked, stopped}, return_when=asyncio.FIRST_COMPLETED)
        ticked.cancel()
        stopped.cancel()
        self._tick.clear()
        return stop.is_set()


async def test_the_leader_runs_the_scheduler_only_while_it_leads(context: JobContext) -> None:
    scheduler = VaultScheduler(context, schedule())
    leadership = FakeLeadership([False, True])
    states: asyncio.Queue[str] = asyncio.Queue()
    steps = Steps()
    leader = SchedulerLeader(scheduler, leadership, on_change=states.put_nowait, wait=steps)
    stop = asyncio.Event()
    running = asyncio.create_task(leader.run(stop))
    try:
        assert await asyncio.wait_for(states.get(), WAIT) == STANDBY
        assert not scheduler.running
        steps.next()  # retry: this time the lock is free
        assert await asyncio.wait_for(states.get(), WAIT) == LEADING
        assert scheduler.running and len(await scheduler.jobs()) == len(JOB_IDS)
        leadership.holding = False  # the lock's connection died
        steps.next()
        assert await asyncio.wait_for(states.get(), WAIT) == STANDBY
        assert not scheduler.running and leadership.released >= 1
    finally:
        stop.set()
        await asyncio.wait_for(running, WAIT)
    assert leadership.disposed and not scheduler.running
