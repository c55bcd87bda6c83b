"""The latest failures of the three queues (media, tasks, alerts), newest first, one query.

Each queue contributes its own newest few (a small sort over its failed rows, found through its
``state`` index); a UNION ALL merges them and keeps the newest overall. Alerts record no
failure time, so an alert's error is dated by when it was queued.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import BigInteger, String, cast, func, literal, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Select

from core.db.repos.media import FAILED, RETRY
from core.db.tables import alerts, media, messages, tasks
from core.redaction import Redactor
from services.status.counts import ALERT_FAILED, ALERT_WAITING_STATES, TASK_FAILED
from services.status.snapshot import RecentError

RECENT_ERRORS = 5
SUMMARY_ERROR_CHARS = 120


def _media_errors(limit: int) -> Select[Any]:
    return (
        select(
            literal("media", String).label("source"),
            media.c.updated_at.label("at"),
            media.c.id.label("ref_id"),
            media.c.kind.label("kind"),
            messages.c.chat_id.label("chat_id"),
            messages.c.message_id.label("message_id"),
            media.c.last_error.label("error"),
        )
        .join(messages, messages.c.id == media.c.message_pk)
        .where(media.c.state.in_((FAILED, RETRY)), media.c.last_error.is_not(None))
        .order_by(media.c.updated_at.desc(), media.c.id.desc())
        .limit(limit)
    )


def _task_errors(limit: int) -> Select[Any]:
    at = func.coalesce(tasks.c.finished_at, tasks.c.created_at)
    return (
        select(
            literal("task", String).label("source"),
            at.label("at"),
            tasks.c.id.label("ref_id"),
            tasks.c.kind.label("kind"),
            cast(null(), BigInteger).label("chat_id"),
            cast(null(), BigInteger).label("message_id"),
            tasks.c.error.label("error"),
        )
        .where(tasks.c.state == TASK_FAILED, tasks.c.error.is_not(None))
        .order_by(at.desc(), tasks.c.id.desc())
        .limit(limit)
    )


def _alert_errors(limit: int) -> Select[Any]:
    return (
        select(
            literal("alert", String).label("source"),
            alerts.c.created_at.label("at"),
            alerts.c.id.label("ref_id"),
            alerts.c.kind.label("kind"),
            alerts.c.recipient_chat_id.label("chat_id"),
            cast(null(), BigInteger).label("message_id"),
            alerts.c.last_error.label("error"),
        )
        .where(
            alerts.c.state.in_((ALERT_FAILED, *ALERT_WAITING_STATES)),
            alerts.c.last_error.is_not(None),
        )
        .order_by(alerts.c.created_at.desc(), alerts.c.id.desc())
        .limit(limit)
    )


def _short(error: str, redactor: Redactor) -> str:
    lines = error.strip().splitlines()
    first = redactor.redact_text(lines[0].strip() if lines else "")
    if len(first) <= SUMMARY_ERROR_CHARS:
        return first
    return first[: SUMMARY_ERROR_CHARS - 1].rstrip() + "…"


def summarise(row: Mapping[Any, Any], redactor: Redactor) -> str:
    """One line: what failed, where, and the first line of its error (redacted, cut short)."""
    error = _short(row["error"] or "", redactor)
    if row["source"] == "media":
        where = f"{row['kind']} in chat {row['chat_id']} msg {row['message_id']}"
    elif row["source"] == "alert":
        where = f"alert {row['kind']} #{row['ref_id']} to chat {row['chat_id']}"
    else:
        where = f"task {row['kind']} #{row['ref_id']}"
    return f"{where}: {error}"


async def read_recent_errors(
    conn: AsyncConnection, redactor: Redactor, limit: int = RECENT_ERRORS
) -> list[RecentError]:
    """The newest ``limit`` errors over the media, task and alert queues."""
    parts = [part(limit).subquery() for part in (_media_errors, _task_errors, _alert_errors)]
    merged = union_all(*(select(*part.c) for part in parts)).subquery()
    query = select(merged).order_by(merged.c.at.desc(), merged.c.ref_id.desc()).limit(limit)
    rows = (await conn.execute(query)).mappings()
    return [RecentError(row["source"], row["at"], summarise(row, redactor)) for row in rows]
