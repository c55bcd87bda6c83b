"""The ``catch_up`` task: the scheduler's periodic gap fill, run by the session holder's worker.

The scheduler only queues it (it has no Telegram session); the archiver's TaskWorker claims it
and fills every watched chat's gap like start-up does, reporting progress chat by chat.
"""

from __future__ import annotations

from collections import Counter

from services.archiver.backfill import BackfillService
from services.archiver.catch_up import (
    CAUGHT_UP,
    FAILED,
    RESUMED,
    SKIPPED,
    ChatCatchUp,
    catch_up_all,
)
from services.archiver.watchlist import WatchListService
from services.tasks.queue import Task
from services.tasks.worker import ProgressReporter, TaskHandler, TaskOutcome

MAX_FAILURES_KEPT = 10  # in the task's result; every failure is in the log


def catch_up_task_handler(backfill: BackfillService, watch: WatchListService) -> TaskHandler:
    async def handle(task: Task, progress: ProgressReporter) -> TaskOutcome:
        done = 0

        async def on_chat(result: ChatCatchUp) -> None:
            nonlocal done
            done += 1
            await progress(done=done, note=f"chat {result.chat_id}: {result.action}")

        results = await catch_up_all(backfill, watch, on_chat=on_chat)
        await progress(force=True, done=done)
        return catch_up_outcome(results)

    return handle


def catch_up_outcome(results: list[ChatCatchUp]) -> TaskOutcome:
    actions = Counter(result.action for result in results)
    messages = sum(result.messages for result in results)
    failures = [{"chat_id": r.chat_id, "error": r.error} for r in results if r.action == FAILED]
    summary = f"Caught up {len(results)} chat(s): {messages} new message(s)"
    if failures:
        summary += f", {len(failures)} failed"
    data = {
        "chats": len(results),
        "messages": messages,
        "caught_up": actions[CAUGHT_UP],
        "resumed": actions[RESUMED],
        "skipped": actions[SKIPPED],
        "failed": len(failures),
        "failures": failures[:MAX_FAILURES_KEPT],
    }
    return TaskOutcome(summary, data)
