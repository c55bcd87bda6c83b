"""An archiver's share of the queues in a process of its own, for the multi-archiver tests.

``python -m tests.integration.archiver_worker_process <postgres url> <tasks|media> <name>
<account id or -> <stale after, seconds> <hold, seconds>``

It prints ``ready`` once set up and starts when a line arrives on stdin, so that every process
of a test starts claiming at the same moment. Each task or media row it takes is recorded in
the ``worker_runs`` table the test created, with the process's name.

- ``tasks``: a real TaskWorker for the account runs the ``count`` tasks; the handler records the
  task and holds it ``hold`` seconds (so that workers overlap). Running tasks of a worker that
  stopped beating for ``stale after`` seconds are queued again. It exits once no task it could
  run is queued or running.
- ``media``: claims due media rows for the account through MediaRepo.claim_due, a few at a
  time, records them in the claim's own transaction and holds that transaction (its row locks)
  ``hold`` seconds before committing. It exits when nothing is left to claim.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.database import Database
from core.db.repos.tasks import LIVE_STATES
from core.db.repos.watch import belongs_to
from core.db.tables import tasks
from services.tasks.queue import Task, TaskQueue
from services.tasks.worker import ProgressReporter, TaskOutcome, TaskWorker

KIND = "count"
POLL = 0.05
MEDIA_BATCH = 3
RECORD = text("INSERT INTO worker_runs (kind, item_id, worker) VALUES (:kind, :item, :worker)")


async def record(conn: AsyncConnection, kind: str, item_id: int, worker: str) -> None:
    await conn.execute(RECORD, {"kind": kind, "item": item_id, "worker": worker})


async def tasks_left(db: Database, account_id: int | None) -> int:
    """Tasks this worker could still run or wait for (a dead worker's, until requeued)."""
    query = select(func.count()).where(
        tasks.c.state.in_(LIVE_STATES), belongs_to(tasks.c.account_id, account_id)
    )
    async with db.reader() as uow:
        return int((await uow.connection.execute(query)).scalar_one())


async def run_tasks(
    db: Database, name: str, account_id: int | None, stale: float, hold: float
) -> None:
    async def count(task: Task, progress: ProgressReporter) -> TaskOutcome:
        async with db.unit_of_work() as uow:
            await record(uow.connection, "task", task.id, name)
            await uow.commit()
        await asyncio.sleep(hold)
        return TaskOutcome(f"counted by {name}")

    worker = TaskWorker(
        TaskQueue(db), {KIND: count}, worker_id=name, account_id=account_id,
        poll_seconds=POLL, stale_after=timedelta(seconds=stale), beat_seconds=stale / 10,
    )  # fmt: skip
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    running = asyncio.create_task(worker.run(stop))
    while await tasks_left(db, account_id):
        ended, _ = await asyncio.wait({running}, timeout=POLL)
        if ended:
            break  # stopped by SIGTERM, or failed: its result says which
    stop.set()
    await running


async def run_media(db: Database, name: str, account_id: int | None, hold: float) -> None:
    while True:
        async with db.unit_of_work() as uow:
            rows = await uow.media.claim_due(
                datetime.now(UTC), MEDIA_BATCH, name, account_id=account_id
            )
            for row in rows:
                await record(uow.connection, "media", row["id"], name)
            await asyncio.sleep(hold)  # the rows stay locked meanwhile: the other must skip
            await uow.commit()
        if not rows:
            return


async def main(argv: list[str]) -> None:
    url, mode, name, account, stale, hold = argv
    account_id = None if account == "-" else int(account)
    db = Database.from_url(url)
    try:
        print("ready", flush=True)
        await asyncio.to_thread(sys.stdin.readline)  # the go signal
        if mode == "tasks":
            await run_tasks(db, name, account_id, float(stale), float(hold))
        else:
            await run_media(db, name, account_id, float(hold))
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
