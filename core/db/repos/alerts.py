"""The alert outbox table: claims with a lease, delivery outcomes, digests, acks, recipients."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.queue import claim
from core.db.tables import alert_recipients, alerts, chats, users
from core.db.upsert import insert_ignore, upsert

PENDING, RETRY, SENDING = "pending", "retry", "sending"
SENT, FAILED, DIGESTED = "sent", "failed", "digested"
WAITING_STATES = (PENDING, RETRY)
RECIPIENT_OK, RECIPIENT_BLOCKED = "ok", "blocked"


class AlertRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert alerts once per ``dedup_key``; returns the ids of the rows new now."""
        if not rows:
            return []
        stmt = insert_ignore(self._dialect, alerts, ("dedup_key",)).returning(alerts.c.id)
        return [row[0] for row in await self._conn.execute(stmt, list(rows))]

    async def claim(
        self,
        now: datetime,
        lease_until: datetime,
        limit: int,
        worker: str,
        *,
        kind: str | None = None,
        recipients: Sequence[int] | None = None,
        leave: tuple[str, Sequence[int]] | None = None,
    ) -> list[dict[str, Any]]:
        """Ready rows (see ``_ready``), oldest first, optionally of one ``kind`` and for some
        ``recipients`` only; ``leave`` = (kind, recipients) rows stay where they are.

        Taking over an expired lease counts as a failed attempt: the send may have happened.
        """
        ready = [_ready(now)]
        if kind is not None:
            ready.append(alerts.c.kind == kind)
        if recipients is not None:
            ready.append(alerts.c.recipient_chat_id.in_(recipients))
        if leave is not None and leave[1]:
            left_kind, left_recipients = leave
            ready.append(
                not_(
                    and_(
                        alerts.c.kind == left_kind, alerts.c.recipient_chat_id.in_(left_recipients)
                    )
                )
            )
        return await claim(
            self._conn,
            alerts,
            ready=ready,
            order_by=[alerts.c.id],
            limit=limit,
            claimed_by=worker,
            set_values={
                "state": SENDING,
                "next_attempt_at": lease_until,
                "attempts": alerts.c.attempts + case((alerts.c.state == SENDING, 1), else_=0),
            },
        )

    async def ready_counts(self, now: datetime, kind: str) -> dict[int, int]:
        """How many ready alerts of ``kind`` each recipient has (bursts are spotted by this)."""
        query = (
            select(alerts.c.recipient_chat_id, func.count())
            .where(_ready(now), alerts.c.kind == kind)
            .group_by(alerts.c.recipient_chat_id)
        )
        return {chat: int(n) for chat, n in await self._conn.execute(query)}

    async def fail_interrupted(self, now: datetime, max_attempts: int, reason: str) -> int:
        """Expired leases of alerts already interrupted ``max_attempts`` times: give up."""
        stmt = (
            update(alerts)
            .where(
                alerts.c.state == SENDING,
                alerts.c.next_attempt_at <= now,
                alerts.c.attempts + 1 >= max_attempts,
            )
            .values(state=FAILED, last_error=reason, claimed_by=None, next_attempt_at=None)
        )
        return int((await self._conn.execute(stmt)).rowcount or 0)

    async def fail_for_blocked(self, reason: str, chat_id: int | None = None) -> int:
        """End the alerts of recipients that blocked the bot: the waiting ones of every blocked
        recipient, or every unsent one of ``chat_id`` (those being sent right now included)."""
        blocked = select(alert_recipients.c.chat_id).where(
            alert_recipients.c.state == RECIPIENT_BLOCKED
        )
        states: tuple[str, ...] = WAITING_STATES
        if chat_id is not None:
            blocked = blocked.where(alert_recipients.c.chat_id == chat_id)
            states = (*WAITING_STATES, SENDING)
        stmt = (
            update(alerts)
            .where(alerts.c.state.in_(states), alerts.c.recipient_chat_id.in_(blocked))
            .values(state=FAILED, last_error=reason, next_attempt_at=None, claimed_by=None)
        )
        return int((await self._conn.execute(stmt)).rowcount or 0)

    async def get(self, alert_id: int) -> dict[str, Any] | None:
        row = (await self._conn.execute(select(alerts).where(alerts.c.id == alert_id))).first()
        return dict(row._mapping) if row else None

    async def mark_sent(self, alert_id: int, message_id: int, at: datetime) -> bool:
        """Record the delivery; an alert already recorded as sent keeps its first message."""
        stmt = (
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.state != SENT)
            .values(
                state=SENT,
                sent_message_id=message_id,
                sent_at=at,
                claimed_by=None,
                next_attempt_at=None,
                last_error=None,
            )
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def reschedule(
        self,
        alert_id: int,
        worker: str,
        *,
        state: str,
        next_at: datetime | None,
        error: str,
        attempts: int,
    ) -> bool:
        """Put an alert ``worker`` holds back (``retry``) or end it (``failed``); an alert
        another sender took over after this one's lease ran out is left to that sender."""
        stmt = (
            update(alerts)
            .where(
                alerts.c.id == alert_id, alerts.c.state == SENDING, alerts.c.claimed_by == worker
            )
            .values(
                state=state,
                next_attempt_at=next_at,
                last_error=error,
                attempts=attempts,
                claimed_by=None,
            )
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def add_digest(
        self, values: Mapping[str, Any], carried: Sequence[int], worker: str
    ) -> dict[str, Any]:
        """Insert a digest alert and mark the claimed alerts it carries as ``digested``."""
        stmt = alerts.insert().returning(*alerts.c)
        digest = dict((await self._conn.execute(stmt, dict(values))).mappings().one())
        await self._conn.execute(
            update(alerts)
            .where(
                alerts.c.id.in_(carried), alerts.c.state == SENDING, alerts.c.claimed_by == worker
            )
            .values(state=DIGESTED, digest_id=digest["id"], claimed_by=None, next_attempt_at=None)
        )
        return digest

    async def ack(self, alert_id: int, user_id: int, at: datetime) -> bool:
        """Acknowledge an alert and, for a digest, every alert it carried; False if already."""
        stmt = (
            update(alerts)
            .where(
                or_(alerts.c.id == alert_id, alerts.c.digest_id == alert_id),
                alerts.c.acked_at.is_(None),
            )
            .values(acked_at=at, acked_by=user_id)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def any_ready(self, now: datetime) -> bool:
        """Whether a claim would find something (a cheap read before taking the write lock)."""
        query = select(alerts.c.id).where(_ready(now)).limit(1)
        return (await self._conn.execute(query)).first() is not None

    async def waiting_count(self) -> int:
        query = select(func.count()).where(alerts.c.state.in_((*WAITING_STATES, SENDING)))
        return int((await self._conn.execute(query)).scalar_one())

    async def counts(self) -> dict[str, int]:
        query = select(alerts.c.state, func.count()).group_by(alerts.c.state)
        return {state: int(n) for state, n in await self._conn.execute(query)}

    async def set_recipient(
        self, chat_id: int, state: str, reason: str | None, at: datetime
    ) -> None:
        stmt = upsert(
            self._dialect, alert_recipients, ("chat_id",), ("state", "reason", "updated_at")
        )
        values = {"chat_id": chat_id, "state": state, "reason": reason, "updated_at": at}
        await self._conn.execute(stmt, values)

    async def recipient(self, chat_id: int) -> dict[str, Any] | None:
        query = select(alert_recipients).where(alert_recipients.c.chat_id == chat_id)
        row = (await self._conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def chat_names(self, ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
        """(title, username) of the archived chats among ``ids``."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = select(chats.c.id, chats.c.title, chats.c.username).where(chats.c.id.in_(wanted))
        return {row.id: (row.title, row.username) for row in await self._conn.execute(query)}

    async def user_names(self, ids: Iterable[int]) -> dict[int, tuple[str | None, str | None]]:
        """(full name, username) of the archived people among ``ids``."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = select(users.c.id, users.c.first_name, users.c.last_name, users.c.username).where(
            users.c.id.in_(wanted)
        )
        return {
            row.id: (
                " ".join(p for p in (row.first_name, row.last_name) if p) or None,
                row.username,
            )
            for row in await self._conn.execute(query)
        }


def _ready(now: datetime) -> ColumnElement[bool]:
    """Due waiting rows, and rows whose sender's lease ran out (it died half-way)."""
    due = and_(
        alerts.c.state.in_(WAITING_STATES),
        or_(alerts.c.next_attempt_at.is_(None), alerts.c.next_attempt_at <= now),
    )
    return or_(due, and_(alerts.c.state == SENDING, alerts.c.next_attempt_at <= now))
