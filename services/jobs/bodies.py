"""The jobs' bodies: plain async functions over an explicit JobContext.

Work that needs the Telegram session is not done here: it is queued as a task for the process
that holds the session (one dedup key per job, so a slow archiver never gets a pile of the
same sweep). Work that needs only the database runs in the scheduler's process.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

from services.jobs.context import JobContext
from services.jobs.digest import send_digest
from services.jobs.maintenance import maintain
from services.jobs.models import (
    CATCH_UP,
    DIGEST,
    ENRICH,
    MAINTENANCE,
    RESCAN,
    RETRY_MEDIA,
    JobBody,
    JobOutcome,
)

# Task kinds the archiver's worker handles (see services/archiver and services/media).
CATCH_UP_TASK, RETRY_MEDIA_TASK, ENRICH_TASK = "catch_up", "retry_media", "enrich"


def dedup_key(kind: str) -> str:
    return f"job:{kind}"


async def enqueue(context: JobContext, kind: str, args: Mapping[str, Any]) -> JobOutcome:
    """Queue ``kind`` for the session holder unless the previous one is still queued or running."""
    task, created = await context.tasks.enqueue(kind, args, dedup_key=dedup_key(kind))
    summary = f"task #{task.id} queued" if created else f"task #{task.id} still {task.state}"
    return JobOutcome(summary, {"task_id": task.id, "queued": created})


async def enqueue_for_each_account(context: JobContext, kind: str) -> JobOutcome:
    """Queue ``kind`` once per account: each archiver catches up and downloads for its own
    chats only, so one task for all would leave the other accounts' chats out."""
    queued = await context.tasks.enqueue_per_account(kind, {}, dedup_key=dedup_key(kind))
    summary = "; ".join(
        f"task #{task.id} queued" if created else f"task #{task.id} still {task.state}"
        for task, created in queued
    )
    fresh = any(created for _, created in queued)
    return JobOutcome(summary, {"queued": fresh, "task_ids": [task.id for task, _ in queued]})


async def catch_up(context: JobContext) -> JobOutcome:
    return await enqueue_for_each_account(context, CATCH_UP_TASK)


async def retry_media(context: JobContext) -> JobOutcome:
    return await enqueue_for_each_account(context, RETRY_MEDIA_TASK)


async def enrich(context: JobContext) -> JobOutcome:
    return await enqueue(context, ENRICH_TASK, {"target": "stale"})


async def rescan(context: JobContext) -> JobOutcome:
    """Scan messages that were stored but never scanned (a crash between the two)."""
    hits = await context.detection.rescan_unscanned()
    return JobOutcome(f"{hits} new detection(s)", {"new_detections": hits})


def job_bodies(context: JobContext) -> dict[str, JobBody]:
    """Every job's body bound to ``context``, by job id."""
    return {
        CATCH_UP: partial(catch_up, context),
        RETRY_MEDIA: partial(retry_media, context),
        ENRICH: partial(enrich, context),
        RESCAN: partial(rescan, context),
        MAINTENANCE: partial(maintain, context),
        DIGEST: partial(send_digest, context),
    }
