"""The ``catch_up`` task the scheduler queues, run by the session holder's TaskWorker with the
real Telethon client over the scripted Telegram, on both dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.db.database import Database
from services.archiver.catch_up_task import catch_up_task_handler
from services.archiver.watchlist import WatchListService
from services.jobs.bodies import CATCH_UP_TASK, dedup_key
from services.tasks.queue import DONE, TaskQueue
from services.tasks.worker import TaskWorker
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram.archiver import ArchiverStack, build_archiver


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def archiver(world: FakeTelegram, db: Database) -> AsyncIterator[ArchiverStack]:
    stack = build_archiver(world, db)
    yield stack
    await stack.close()


async def test_the_scheduled_catch_up_fills_every_watched_chat_and_reports_counts(
    world: FakeTelegram, archiver: ArchiverStack, db: Database
) -> None:
    ana = world.add_user("Ana", username="ana_garcia")
    done = world.add_supergroup("Done", username="done_chat")
    live_only = world.add_supergroup("Live only", username="live_only")
    gone = world.add_channel("Gone", username="gone")
    for chat in (done, live_only, gone):
        world.fill(chat, 40, ana)
    watch = WatchListService(db, archiver.gateway)
    await watch.watch("@done_chat")
    await watch.watch("@gone")
    await watch.watch("@live_only", backfill=False)
    await archiver.backfill.backfill(done.marked_id)
    await archiver.backfill.backfill(gone.marked_id)
    world.fill(done, 12, ana)  # arrived while no live update reached the vault
    gone.private = True

    queue = TaskQueue(db)
    task, _ = await queue.enqueue(CATCH_UP_TASK, {}, dedup_key=dedup_key(CATCH_UP_TASK))
    handlers = {CATCH_UP_TASK: catch_up_task_handler(archiver.backfill, watch)}
    assert await TaskWorker(queue, handlers, worker_id="archiver").run_once() == 1

    finished = await queue.get(task.id)
    assert finished.state == DONE
    assert finished.result is not None
    assert finished.result["summary"] == "Caught up 3 chat(s): 12 new message(s), 1 failed"
    counts = {key: finished.result[key] for key in
              ("chats", "messages", "caught_up", "resumed", "skipped", "failed")}  # fmt: skip
    assert counts == {"chats": 3, "messages": 12, "caught_up": 1, "resumed": 0, "skipped": 1,
                      "failed": 1}  # fmt: skip
    [failure] = finished.result["failures"]
    assert failure["chat_id"] == gone.marked_id and "private" in failure["error"]
    assert finished.progress is not None and finished.progress["done"] == 3
