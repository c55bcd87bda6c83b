"""The counting part of /status: archive totals, queue depths and sizes in one statement.

Every count is a scalar subquery of one SELECT, so the whole section is a single round trip.
The filtered counts match indexes: the partial ``ix_messages_date_edited``/``_deleted`` indexes
(their WHERE is exactly ``edit_date``/``deleted_at IS NOT NULL``) and the ``(state, …)`` indexes
of the queue tables, so only the matching index entries are visited.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import ColumnElement, ScalarSelect, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.repos.media import DONE, DOWNLOADING, FAILED, PENDING, RETRY
from core.db.tables import (
    alerts,
    chats,
    detection_rules,
    detections,
    media,
    media_blobs,
    messages,
    tasks,
    users,
    watched_chats,
)
from services.status.snapshot import ArchiveTotals, QueueCounts

MEDIA_WAITING_STATES = (PENDING, RETRY, DOWNLOADING)
# The alert outbox: "pending" rows wait for the sender, which claims them ("sending") and ends
# them "sent", "retry" (a later attempt) or "failed".
ALERT_WAITING_STATES = ("pending", "retry", "sending")
ALERT_FAILED = "failed"
TASK_QUEUED, TASK_RUNNING, TASK_FAILED = "queued", "running", "failed"


@dataclass(frozen=True, slots=True)
class VaultCounts:
    """The counting section's results, split into the DTOs /status shows."""

    totals: ArchiveTotals
    queues: QueueCounts
    watched_chats: int
    media_bytes: int


def _count(table: Table, *where: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


def _watched(excluded: Collection[int]) -> ScalarSelect[int]:
    where = [watched_chats.c.enabled.is_(True)]
    if excluded:
        where.append(watched_chats.c.chat_id.not_in(sorted(excluded)))
    return _count(watched_chats, *where)


def _totals_columns() -> dict[str, ScalarSelect[int]]:
    return {
        "messages": _count(messages),
        "chats": _count(chats),
        "users": _count(users),
        "edited": _count(messages, messages.c.edit_date.is_not(None)),
        "deleted": _count(messages, messages.c.deleted_at.is_not(None)),
        "media_files": _count(media),
        "media_stored": _count(media, media.c.state == DONE),
        "detections": _count(detections),
        "rules_enabled": _count(detection_rules, detection_rules.c.enabled.is_(True)),
    }


def _queue_columns() -> dict[str, ScalarSelect[int]]:
    return {
        "media_pending": _count(media, media.c.state.in_(MEDIA_WAITING_STATES)),
        "media_failed": _count(media, media.c.state == FAILED),
        "alerts_pending": _count(alerts, alerts.c.state.in_(ALERT_WAITING_STATES)),
        "alerts_failed": _count(alerts, alerts.c.state == ALERT_FAILED),
        "tasks_queued": _count(tasks, tasks.c.state == TASK_QUEUED),
        "tasks_running": _count(tasks, tasks.c.state == TASK_RUNNING),
        "tasks_failed": _count(tasks, tasks.c.state == TASK_FAILED),
    }


async def read_counts(conn: AsyncConnection, excluded: Collection[int]) -> VaultCounts:
    """Totals, queue depths, the watched-chat count and the stored media bytes, in one query."""
    totals, queues = _totals_columns(), _queue_columns()
    blob_bytes = select(func.coalesce(func.sum(media_blobs.c.size), 0)).scalar_subquery()
    query = select(
        *(column.label(name) for name, column in {**totals, **queues}.items()),
        _watched(excluded).label("watched_chats"),
        blob_bytes.label("media_bytes"),
    )
    row = (await conn.execute(query)).mappings().one()
    return VaultCounts(
        totals=ArchiveTotals(**{name: int(row[name]) for name in totals}),
        queues=QueueCounts(**{name: int(row[name]) for name in queues}),
        watched_chats=int(row["watched_chats"]),
        media_bytes=int(row["media_bytes"]),
    )
