"""The ``enrich`` task: /enrich and the scheduler queue it, the archiver's TaskWorker runs it.

Arguments: ``{"target": "all"}``, ``{"target": "stale"}`` (the scheduler's sweep, optionally
with ``limit``), ``{"user_id": 42}`` or ``{"chat_id": -100…}``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any, Final

from core.errors import InvalidInputError
from services.enrichment.models import EnrichmentReport
from services.enrichment.service import EnhancedUserEnricherService, Progress
from services.tasks.queue import Task
from services.tasks.worker import ProgressReporter, TaskHandler, TaskOutcome

TASK_KIND: Final = "enrich"
TARGET_KEYS: Final = ("target", "user_id", "chat_id")
STALE_AFTER: Final = timedelta(hours=24)  # SCHEDULER_ENRICHMENT_HOURS' default
STALE_LIMIT: Final = 200  # getFullUser is closely rate-limited: a sweep takes a few hundred
Run = Callable[[Progress], Awaitable[EnrichmentReport]]


def enrich_task_handler(
    enricher: EnhancedUserEnricherService,
    *,
    stale_after: timedelta = STALE_AFTER,
    stale_limit: int = STALE_LIMIT,
) -> TaskHandler:
    """The TaskWorker handler for ``enrich`` tasks; a stale sweep refreshes profiles older
    than ``stale_after``, at most ``stale_limit`` (or the task's ``limit``) of them."""

    async def handle(task: Task, progress: ProgressReporter) -> TaskOutcome:
        run = _run_for(enricher, task.args, stale_after, stale_limit)

        async def report(done: int, total: int) -> None:
            await progress(done=done, total=total)

        result = await run(report)
        await progress(force=True, done=result.done, total=result.total)
        return TaskOutcome(result.summary(), result.as_data())

    return handle


def _run_for(
    enricher: EnhancedUserEnricherService,
    args: Mapping[str, Any],
    stale_after: timedelta,
    stale_limit: int,
) -> Run:
    given = [key for key in TARGET_KEYS if args.get(key) is not None]
    if len(given) != 1:
        raise InvalidInputError(
            "an enrich task takes one target: {target: all|stale}, {user_id: …} or {chat_id: …}"
        )
    key = given[0]
    if key == "user_id":
        user_id = _number(key, args[key])
        return lambda progress: enricher.enrich_batch([user_id], progress=progress)
    if key == "chat_id":
        chat_id = _number(key, args[key])
        return lambda progress: enricher.enrich_chat_members(chat_id, progress=progress)
    if args["target"] == "all":
        return lambda progress: enricher.enrich_all(progress=progress)
    if args["target"] == "stale":
        limit = _number("limit", args.get("limit", stale_limit))
        return lambda progress: enricher.enrich_stale(
            older_than=stale_after, limit=limit, progress=progress
        )
    raise InvalidInputError(f"unknown enrich target {args['target']!r}; use 'all' or 'stale'")


def _number(key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidInputError(f"{key} must be a number, not {value!r}")
    try:
        return int(value)
    except ValueError:
        raise InvalidInputError(f"{key} must be a number, not {value!r}") from None
