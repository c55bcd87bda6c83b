"""Workers sharing the queue, on both dialects: a running task's worker beats so nobody takes
it for abandoned; a dead worker's task is queued again by a live one; accounts are respected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.db.database import Database
from services.tasks.queue import DONE, QUEUED, RUNNING, Task, TaskQueue
from services.tasks.worker import ProgressReporter, TaskOutcome, TaskWorker
from tests.integration.account_support import add_accounts

STALE = timedelta(minutes=5)
WAIT = 10.0  # a bound on a hang, not a measurement


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class BeatingQueue(TaskQueue):
    """The real queue, telling the test when a beat went through."""

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock=clock)
        self.beaten = asyncio.Event()

    async def beat(self, task_id: int, worker: str) -> bool:
        held = await super().beat(task_id, worker)
        self.beaten.set()
        return held


class FinishingQueue(TaskQueue):
    """The real queue, telling the test which task was finished."""

    def __init__(self, db: Database, clock: Clock) -> None:
        super().__init__(db, clock=clock)
        self.finished: asyncio.Queue[int] = asyncio.Queue()

    async def finish(self, task_id: int, worker: str, summary: str, result: Any = None) -> bool:
        ended = await super().finish(task_id, worker, summary, result)
        await self.finished.put(task_id)
        return ended


async def _at_once(_seconds: float) -> None:
    await asyncio.sleep(0)  # only yields: the beat loop turns as fast as the test lets it


@pytest.fixture
def clock() -> Clock:
    return Clock()


async def test_a_long_task_keeps_beating_so_it_is_not_taken_for_abandoned(
    db: Database, clock: Clock
) -> None:
    queue = BeatingQueue(db, clock)
    requeued: list[int] = []

    async def long_task(task: Task, progress: ProgressReporter) -> TaskOutcome:
        clock.now += STALE * 2  # a flood wait of ten minutes, say, with no progress to report
        queue.beaten.clear()
        await asyncio.wait_for(queue.beaten.wait(), WAIT)
        requeued.append(await queue.requeue_stale(STALE))  # what another worker would do
        return TaskOutcome("done at last")

    worker = TaskWorker(queue, {"long": long_task}, worker_id="w", sleep=_at_once)
    task, _ = await queue.enqueue("long")
    assert await worker.run_once() == 1
    assert requeued == [0]
    assert (await queue.get(task.id)).state == DONE


async def test_a_dead_workers_task_is_queued_again_and_run_by_a_live_worker(
    db: Database, clock: Clock
) -> None:
    queue = FinishingQueue(db, clock)
    ran = queue.finished

    async def handler(task: Task, progress: ProgressReporter) -> TaskOutcome:
        return TaskOutcome("ok")

    abandoned, _ = await queue.enqueue("k")
    [claimed] = await queue.claim(("k",), "killed")  # the other process dies holding it
    assert claimed.id == abandoned.id
    first, _ = await queue.enqueue("k")
    worker = TaskWorker(queue, {"k": handler}, worker_id="alive", poll_seconds=3600)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    try:
        # A first round: the abandoned task is not stale yet, so the worker leaves it.
        assert await asyncio.wait_for(ran.get(), WAIT) == first.id
        assert (await queue.get(abandoned.id)).state == RUNNING
        clock.now += STALE + timedelta(seconds=1)
        worker.wake()
        assert await asyncio.wait_for(ran.get(), WAIT) == abandoned.id
        again = await queue.get(abandoned.id)
        assert again.state == DONE and again.attempts == 2
    finally:
        stop.set()
        await asyncio.wait_for(loop, WAIT)


async def test_a_task_of_a_worker_still_beating_is_left_alone(db: Database, clock: Clock) -> None:
    queue = TaskQueue(db, clock=clock)
    task, _ = await queue.enqueue("k")
    await queue.claim(("k",), "slow")
    clock.now += STALE - timedelta(seconds=1)
    assert await queue.beat(task.id, "slow")
    clock.now += timedelta(seconds=2)  # past the claim's stale mark, not past the beat's
    assert await queue.requeue_stale(STALE) == 0
    assert not await queue.beat(task.id, "somebody else")
    assert (await queue.get(task.id)).state == RUNNING


async def test_an_accounts_worker_runs_its_own_and_anybodys_tasks_only(
    db: Database, clock: Clock
) -> None:
    main, work = await add_accounts(db, "main", "work")
    queue = TaskQueue(db, clock=clock)
    ran: list[int] = []

    async def handler(task: Task, progress: ProgressReporter) -> TaskOutcome:
        ran.append(task.id)
        return TaskOutcome("ok")

    mine, _ = await queue.enqueue("k", {"n": 1}, account_id=main)
    theirs, _ = await queue.enqueue("k", {"n": 2}, account_id=work)
    anybodys, _ = await queue.enqueue("k", {"n": 3})
    worker = TaskWorker(queue, {"k": handler}, worker_id="w-main", account_id=main)
    assert await worker.run_once() == 2
    assert sorted(ran) == sorted([mine.id, anybodys.id])
    assert (await queue.get(theirs.id)).state == QUEUED


async def test_a_worker_must_beat_more_often_than_tasks_go_stale(db: Database) -> None:
    with pytest.raises(ValueError, match="beat more often"):
        TaskWorker(TaskQueue(db), {}, worker_id="w", stale_after=STALE, beat_seconds=300.0)
