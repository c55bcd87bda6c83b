"""The task queue on both dialects: dedup, claiming, progress, results reported via the outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db.database import Database
from core.db.tables import alerts
from core.errors import InvalidInputError, NotFoundError
from services.tasks.queue import DONE, FAILED, QUEUED, RUNNING, TaskQueue
from services.tasks.worker import ProgressReporter, TaskOutcome, TaskWorker


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def queue(db: Database, clock: Clock) -> TaskQueue:
    return TaskQueue(db, clock=clock)


async def _outbox(db: Database) -> list[dict[str, object]]:
    async with db.reader() as uow:
        rows = await uow.connection.execute(select(alerts).order_by(alerts.c.id))
        return [dict(r._mapping) for r in rows]


async def test_a_dedup_key_queues_the_same_work_once_while_it_is_live(queue: TaskQueue) -> None:
    first, created = await queue.enqueue("retry_media", {"chat": None}, dedup_key="retry_media:*")
    again, created_again = await queue.enqueue("retry_media", {}, dedup_key="retry_media:*")
    assert created and not created_again
    assert again.id == first.id and again.state == QUEUED

    [claimed] = await queue.claim(("retry_media",), "w1")
    assert claimed.id == first.id and claimed.state == RUNNING and claimed.attempts == 1
    assert await queue.finish(claimed.id, "w1", "done")
    later, created_later = await queue.enqueue("retry_media", {}, dedup_key="retry_media:*")
    assert created_later and later.id != first.id


async def test_claim_takes_only_the_kinds_asked_for_by_priority(queue: TaskQueue) -> None:
    low, _ = await queue.enqueue("backfill", {"chat_id": 1})
    high, _ = await queue.enqueue("backfill", {"chat_id": 2}, priority=5)
    other, _ = await queue.enqueue("enrich", {"target": "all"})
    claimed = await queue.claim(("backfill",), "w1", limit=5)
    assert [t.id for t in claimed] == [high.id, low.id]
    assert (await queue.get(other.id)).state == QUEUED
    assert await queue.claim(("backfill",), "w2") == []


async def test_only_the_claiming_worker_ends_a_task(queue: TaskQueue) -> None:
    task, _ = await queue.enqueue("watch", {"reference": "@x"})
    await queue.claim(("watch",), "w1")
    assert not await queue.finish(task.id, "w2", "not mine")
    assert await queue.fail(task.id, "w1", "chat not found")
    failed = await queue.get(task.id)
    assert failed.state == FAILED and failed.error == "chat not found" and failed.finished


async def test_a_finished_task_reports_to_the_admin_through_the_outbox(
    queue: TaskQueue, db: Database
) -> None:
    task, _ = await queue.enqueue("watch", {"reference": "@x"}, requested_by=7, reply_chat_id=7)
    await queue.attach_reply(task.id, 7, 42)
    await queue.claim(("watch",), "w1")
    await queue.finish(task.id, "w1", "Watching @x", {"chat_id": -100})
    [row] = await _outbox(db)
    assert row["kind"] == "task" and row["recipient_chat_id"] == 7
    assert row["dedup_key"] == f"task:{task.id}"
    assert row["payload"] == {
        "task_id": task.id,
        "kind": "watch",
        "state": DONE,
        "text": "Watching @x",
        "edit_message_id": 42,
    }
    done = await queue.get(task.id)
    assert done.result == {"summary": "Watching @x", "chat_id": -100}


async def test_a_task_nobody_waits_for_reports_nothing(queue: TaskQueue, db: Database) -> None:
    task, _ = await queue.enqueue("media_sweep")
    await queue.claim(("media_sweep",), "w1")
    await queue.finish(task.id, "w1", "3 retried")
    assert await _outbox(db) == []


async def test_a_dead_workers_task_is_queued_again(queue: TaskQueue, clock: Clock) -> None:
    task, _ = await queue.enqueue("backfill", {"chat_id": 1})
    await queue.claim(("backfill",), "dead")
    assert await queue.requeue_stale(timedelta(minutes=5)) == 0
    clock.now += timedelta(minutes=6)
    assert await queue.requeue_stale(timedelta(minutes=5)) == 1
    [again] = await queue.claim(("backfill",), "alive")
    assert again.id == task.id and again.attempts == 2


async def test_progress_is_stored_and_throttled(queue: TaskQueue) -> None:
    task, _ = await queue.enqueue("backfill", {"chat_id": 1}, reply_chat_id=1)
    await queue.attach_reply(task.id, 1, 5)
    ticks = iter([0.0, 0.2, 1.5])
    report = ProgressReporter(queue, task.id, monotonic=lambda: next(ticks))
    await report(done=10, total=100)
    await report(done=20)  # within a second: kept in memory only
    assert (await queue.get(task.id)).progress == {"done": 10, "total": 100}
    await report(done=30)
    assert (await queue.get(task.id)).progress == {"done": 30, "total": 100}
    [live] = await queue.live_with_reply()
    assert live.id == task.id and live.reply_message_id == 5


async def test_unknown_task_and_empty_kind_are_refused(queue: TaskQueue) -> None:
    with pytest.raises(NotFoundError):
        await queue.get(999)
    with pytest.raises(InvalidInputError):
        await queue.enqueue("")


async def test_the_worker_runs_tasks_and_survives_failures(queue: TaskQueue) -> None:
    async def ok(task, progress: ProgressReporter) -> TaskOutcome:  # type: ignore[no-untyped-def]
        await progress(force=True, done=1)
        return TaskOutcome(f"ok {task.args['n']}", {"n": task.args["n"]})

    async def refused(task, progress):  # type: ignore[no-untyped-def]
        raise InvalidInputError("no such chat")

    async def broken(task, progress):  # type: ignore[no-untyped-def]
        raise RuntimeError("bug")

    worker = TaskWorker(queue, {"ok": ok, "refused": refused, "broken": broken}, worker_id="w")
    a, _ = await queue.enqueue("ok", {"n": 1})
    b, _ = await queue.enqueue("refused")
    c, _ = await queue.enqueue("broken")
    d, _ = await queue.enqueue("ok", {"n": 2})
    other, _ = await queue.enqueue("not_mine")
    assert await worker.run_once() == 4
    assert (await queue.get(a.id)).result == {"summary": "ok 1", "n": 1}
    assert (await queue.get(b.id)).error == "no such chat"
    assert "internal error (RuntimeError)" in (await queue.get(c.id)).error  # type: ignore[operator]
    assert (await queue.get(d.id)).state == DONE
    assert (await queue.get(other.id)).state == QUEUED


async def test_the_worker_loop_wakes_on_demand_and_stops(queue: TaskQueue) -> None:
    ran = asyncio.Event()

    async def handler(task, progress):  # type: ignore[no-untyped-def]
        ran.set()
        return TaskOutcome("ok")

    worker = TaskWorker(queue, {"k": handler}, worker_id="w", poll_seconds=3600)
    stop = asyncio.Event()
    loop = asyncio.create_task(worker.run(stop))
    await asyncio.sleep(0)
    await queue.enqueue("k")
    worker.wake()
    await asyncio.wait_for(ran.wait(), 10)
    stop.set()
    await asyncio.wait_for(loop, 10)


async def test_listeners_hear_of_new_tasks_only(queue: TaskQueue) -> None:
    heard: list[str] = []
    queue.subscribe(lambda task: heard.append(task.kind))
    await queue.enqueue("backfill", dedup_key="b:1")
    await queue.enqueue("backfill", dedup_key="b:1")
    await queue.enqueue("enrich")
    assert heard == ["backfill", "enrich"]
