"""The daily digest: what the vault did in the last 24 hours, queued for each admin.

It goes through the alert outbox as kind ``digest`` with the plain text in ``payload["text"]``
(the bot's alert sender renders it), once per admin and local day: the dedup key names both,
so a second run on the same day queues nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, func, select
from sqlalchemy.sql.expression import ScalarSelect

from core.db.database import Database
from core.db.tables import alerts, media, messages, tasks
from services.jobs.context import JobContext
from services.jobs.models import JobOutcome

WINDOW = timedelta(hours=24)
DIGEST_KIND = "digest"
ALERT_DELIVERED = ("sent", "digested")  # digested: carried by a burst digest that was sent
ALERT_WAITING = ("pending", "retry", "sending")


@dataclass(frozen=True, slots=True)
class DigestCounts:
    messages: int
    chats: int
    alerts_sent: int
    alerts_pending: int
    alerts_failed: int
    media_stored: int
    media_failed: int
    tasks_done: int
    tasks_failed: int


def _count(table: Table, *where: ColumnElement[bool]) -> ScalarSelect[int]:
    return select(func.count()).select_from(table).where(*where).scalar_subquery()


async def digest_counts(db: Database, since: datetime) -> DigestCounts:
    archived = messages.c.archived_at >= since
    detection_alerts = (alerts.c.kind == "detection", alerts.c.created_at >= since)
    media_recent = media.c.updated_at >= since
    finished = tasks.c.finished_at >= since
    query = select(
        _count(messages, archived),
        select(func.count(func.distinct(messages.c.chat_id))).where(archived).scalar_subquery(),
        _count(alerts, *detection_alerts, alerts.c.state.in_(ALERT_DELIVERED)),
        _count(alerts, *detection_alerts, alerts.c.state.in_(ALERT_WAITING)),
        _count(alerts, *detection_alerts, alerts.c.state == "failed"),
        _count(media, media_recent, media.c.state == "done"),
        _count(media, media_recent, media.c.state == "failed"),
        _count(tasks, finished, tasks.c.state == "done"),
        _count(tasks, finished, tasks.c.state == "failed"),
    )
    async with db.reader() as uow:
        row = (await uow.connection.execute(query)).one()
    return DigestCounts(*(int(value) for value in row))


def digest_text(counts: DigestCounts, day: date) -> str:
    """Plain text (the sender escapes it), one fact per line."""
    c = counts
    lines = [
        f"Daily digest for {day.isoformat()} (last 24 hours)",
        f"Archived: {c.messages} message(s) in {c.chats} chat(s)",
        f"Alerts: {c.alerts_sent} sent, {c.alerts_pending} pending, {c.alerts_failed} failed",
        f"Media: {c.media_stored} stored, {c.media_failed} failed",
        f"Tasks: {c.tasks_done} done, {c.tasks_failed} failed",
    ]
    if c.alerts_failed or c.media_failed or c.tasks_failed:
        lines.append("Failures need a look: /status shows the latest errors.")
    return "\n".join(lines)


def digest_rows(
    text: str, day: date, admins: tuple[int, ...], now: datetime
) -> list[dict[str, Any]]:
    return [
        {
            "dedup_key": f"digest:{day.isoformat()}:{admin}",
            "kind": DIGEST_KIND,
            "recipient_chat_id": admin,
            "payload": {"text": text},
            "created_at": now,
        }
        for admin in admins
    ]


async def send_digest(context: JobContext) -> JobOutcome:
    now = context.clock()
    day = now.astimezone(context.tz).date()
    counts = await digest_counts(context.db, now - WINDOW)
    rows = digest_rows(digest_text(counts, day), day, context.admins, now)
    async with context.db.unit_of_work() as uow:
        queued = await uow.detections.enqueue_alerts(rows)
        await uow.commit()
    if not context.admins:
        summary = "no admin to send it to"
    elif queued:
        summary = f"queued for {queued} admin(s)"
    else:
        summary = f"already queued for {day.isoformat()}"
    return JobOutcome(summary, {"day": day.isoformat(), "queued": queued, **asdict(counts)})
