"""A scheduler candidate in a process of its own, for the leader election test.

``python -m tests.integration.leader_candidate <postgres url> <media dir>`` prints each change
of its state (``standby``, ``leading``) on a line of stdout and stops on SIGTERM.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

from core.db.database import Database
from services.jobs.context import JobContext
from services.jobs.leader import SchedulerLeader, leadership_for
from services.jobs.scheduler import VaultScheduler
from services.tasks.queue import TaskQueue
from tests.integration.scheduler_support import ADMINS, TZ, detection_service, schedule

INTERVAL = 0.2  # retry and check often: the test waits for the takeover


def announce(state: str) -> None:
    print(state, flush=True)


async def main(url: str, media_dir: Path) -> None:
    db = Database.from_url(url)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    try:
        tasks = TaskQueue(db)
        context = JobContext(db, tasks, await detection_service(db), media_dir, None, TZ, ADMINS)
        leader = SchedulerLeader(
            VaultScheduler(context, schedule()),
            leadership_for(db),
            tasks=tasks,
            retry_seconds=INTERVAL,
            check_seconds=INTERVAL,
            on_change=announce,
        )
        await leader.run(stop)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2])))
