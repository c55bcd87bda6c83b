"""AlertOutbox: the durable queue between whatever raises an alert and the bot that sends it.

Delivery is at least once, with the duplicate window kept to one send: a sender claims alerts
with a lease, sends each one and records it at once in its own short transaction. A sender that
dies mid-batch leaves its rows "sending" until the lease ends; then any sender takes them over,
counting the interruption as an attempt (the send may have happened just before the crash).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from core.db.database import Database
from core.db.repos.alerts import FAILED, RETRY, SENDING
from core.db.repos.alerts import RECIPIENT_BLOCKED as BLOCKED
from core.db.repos.alerts import RECIPIENT_OK as OK
from core.db.uow import UnitOfWork
from core.errors import InvalidInputError, NotFoundError
from services.alerts.digest import DIGEST_THRESHOLD, DigestDraft, plan_delivery
from services.alerts.models import (
    DETECTION,
    DIGEST,
    AckOutcome,
    ClaimedBatch,
    Names,
    OutboxAlert,
    task_result_row,
)
from services.alerts.names import names_for

log = structlog.get_logger(__name__)

DEFAULT_LEASE = timedelta(minutes=2)  # far longer than one batch takes inside the limits
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_BACKOFF_BASE = 5.0
DEFAULT_BACKOFF_MAX = 900.0
DEFAULT_BATCH = 50
MAX_DIGEST_ALERTS = 5000  # one digest carries at most this many; the rest make the next
MAX_ERROR_CHARS = 500
BLOCKED_REASON = "recipient blocked the bot"
ALERT_GONE = "this alert is no longer in the outbox"


def default_worker() -> str:
    """Unique per outbox instance, readable in the table: host, process, a random tag."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class AlertOutbox:
    """Claims, delivery outcomes, acknowledgements and recipients of the alert outbox."""

    def __init__(
        self,
        db: Database,
        *,
        worker: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lease: timedelta = DEFAULT_LEASE,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        backoff_base: float = DEFAULT_BACKOFF_BASE,
        backoff_max: float = DEFAULT_BACKOFF_MAX,
        digest_threshold: int = DIGEST_THRESHOLD,
    ) -> None:
        if lease <= timedelta(0) or max_attempts < 1 or backoff_base <= 0:
            raise InvalidInputError("the alert lease, attempts and backoff must be positive")
        self._db = db
        self.worker = (worker or default_worker())[:64]
        self._clock = clock
        self.lease = lease
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = max(backoff_max, backoff_base)
        self._digest_threshold = digest_threshold

    def now(self) -> datetime:
        return self._clock()

    def backoff(self, attempts: int) -> float:
        """Seconds before the next try after ``attempts`` failures: doubling, capped."""
        return min(self._backoff_max, self._backoff_base * 2.0 ** (max(attempts, 1) - 1))

    # --- the sender's side ---------------------------------------------------------------

    async def claim(self, limit: int = DEFAULT_BATCH) -> ClaimedBatch:
        """Take up to ``limit`` due alerts (expired leases included) for this worker.

        A recipient with more due detections than the digest threshold gets them all (up to
        ``MAX_DIGEST_ALERTS``) folded into one digest, outside ``limit``: it is one message.
        The digest is stored and claimed in the same transaction, so a crash can neither lose
        the burst nor send it twice.
        """
        if limit < 1:
            raise InvalidInputError("claim at least one alert")
        now = self._clock()
        lease_until = now + self.lease
        async with self._db.reader() as reader:  # an idle poll never takes the write lock
            if not await reader.alerts.any_ready(now):
                return ClaimedBatch((), Names())
        async with self._db.unit_of_work() as uow:
            await self._end_hopeless(uow, now)
            bursting = await self._bursting(uow, now)
            claimed = await self._claim_bursts(uow, now, lease_until, bursting)
            claimed += await self._claim_rows(uow, now, lease_until, limit, bursting)
            plan = plan_delivery(claimed, self._digest_threshold)
            ordered: list[tuple[int, OutboxAlert]] = [(a.id, a) for a in plan.singles]
            for draft in plan.digests:
                digest = await self._store_digest(uow, draft, now, lease_until)
                ordered.append((draft.alerts[0].id, digest))
            names = await names_for(uow, claimed)
            await uow.commit()
        if plan.digests:
            carried = sum(len(draft.alerts) for draft in plan.digests)
            log.info("alert_burst_digested", digests=len(plan.digests), alerts=carried)
        return ClaimedBatch(tuple(alert for _, alert in sorted(ordered)), names)

    async def _end_hopeless(self, uow: UnitOfWork, now: datetime) -> None:
        """Fail what must not be tried again: alerts of blocked recipients, and alerts whose
        delivery was interrupted ``max_attempts`` times (a send that kills the process)."""
        await uow.alerts.fail_for_blocked(BLOCKED_REASON)
        interrupted = f"delivery was interrupted {self._max_attempts} times"
        await uow.alerts.fail_interrupted(now, self._max_attempts, interrupted)

    async def _bursting(self, uow: UnitOfWork, now: datetime) -> list[int]:
        counts = await uow.alerts.ready_counts(now, DETECTION)
        return sorted(chat for chat, n in counts.items() if n > self._digest_threshold)

    async def _claim_bursts(
        self, uow: UnitOfWork, now: datetime, lease_until: datetime, bursting: list[int]
    ) -> list[OutboxAlert]:
        claimed: list[OutboxAlert] = []
        for chat in bursting:
            rows = await uow.alerts.claim(
                now, lease_until, MAX_DIGEST_ALERTS, self.worker, kind=DETECTION, recipients=[chat]
            )
            claimed += [OutboxAlert.from_row(row) for row in rows]
        return claimed

    async def _claim_rows(
        self, uow: UnitOfWork, now: datetime, lease_until: datetime, limit: int, bursting: list[int]
    ) -> list[OutboxAlert]:
        """Everything else; a capped burst's leftovers wait for the next digest."""
        rows = await uow.alerts.claim(
            now, lease_until, limit, self.worker, leave=(DETECTION, bursting)
        )
        return [OutboxAlert.from_row(row) for row in rows]

    async def _store_digest(
        self, uow: UnitOfWork, draft: DigestDraft, now: datetime, lease_until: datetime
    ) -> OutboxAlert:
        values = {
            "dedup_key": draft.dedup_key,
            "kind": DIGEST,
            "recipient_chat_id": draft.recipient_chat_id,
            "payload": draft.payload(),
            "state": SENDING,
            "claimed_by": self.worker,
            "next_attempt_at": lease_until,
            "created_at": now,
        }
        carried = [alert.id for alert in draft.alerts]
        return OutboxAlert.from_row(await uow.alerts.add_digest(values, carried, self.worker))

    async def mark_sent(self, alert_id: int, message_id: int) -> bool:
        """Record a delivery right after the send (its own transaction: the duplicate window)."""
        async with self._db.unit_of_work() as uow:
            recorded = await uow.alerts.mark_sent(alert_id, message_id, self._clock())
            await uow.commit()
        return recorded

    async def retry_later(
        self, alert_id: int, delay: float | None, error: str, *, count_attempt: bool = True
    ) -> str:
        """Put a claimed alert back: after ``delay`` seconds, or the backoff when None.

        A counted attempt past the maximum fails the alert with ``error`` as the reason;
        ``count_attempt=False`` is for waits that are no failure (a 429, a lease running out).
        Returns the alert's state afterwards.
        """
        now = self._clock()
        async with self._db.unit_of_work() as uow:
            row = await _existing(uow, alert_id)
            attempts = row["attempts"] + (1 if count_attempt else 0)
            reason = error[:MAX_ERROR_CHARS]
            if count_attempt and attempts >= self._max_attempts:
                state, next_at = FAILED, None
                reason = f"{reason[: MAX_ERROR_CHARS - 40]} (gave up after {attempts} attempts)"
            else:
                wait = self.backoff(attempts) if delay is None else max(delay, 0.0)
                state, next_at = RETRY, now + timedelta(seconds=wait)
            changed = await uow.alerts.reschedule(
                alert_id, self.worker, state=state, next_at=next_at, error=reason, attempts=attempts
            )
            await uow.commit()
        log.info("alert_retry_scheduled", alert_id=alert_id, state=state, attempts=attempts)
        return state if changed else str(row["state"])

    async def fail(self, alert_id: int, reason: str) -> bool:
        """End a claimed alert that cannot be delivered as it is (e.g. Telegram rejected it)."""
        async with self._db.unit_of_work() as uow:
            row = await _existing(uow, alert_id)
            changed = await uow.alerts.reschedule(
                alert_id,
                self.worker,
                state=FAILED,
                next_at=None,
                error=reason[:MAX_ERROR_CHARS],
                attempts=row["attempts"] + 1,
            )
            await uow.commit()
        log.warning("alert_failed", alert_id=alert_id, reason=reason[:200])
        return changed

    async def block_recipient(self, chat_id: int, reason: str) -> int:
        """The bot may not write to ``chat_id``: remember it and fail its unsent alerts."""
        async with self._db.unit_of_work() as uow:
            await uow.alerts.set_recipient(chat_id, BLOCKED, reason[:MAX_ERROR_CHARS], self.now())
            failed = await uow.alerts.fail_for_blocked(BLOCKED_REASON, chat_id=chat_id)
            await uow.commit()
        log.warning("alert_recipient_blocked", chat_id=chat_id, reason=reason[:200], failed=failed)
        return failed

    async def unblock_recipient(self, chat_id: int) -> None:
        """The recipient can be written to again (it talked to the bot): alerts flow again."""
        async with self._db.unit_of_work() as uow:
            await uow.alerts.set_recipient(chat_id, OK, None, self.now())
            await uow.commit()

    async def recipient_state(self, chat_id: int) -> str | None:
        """``ok``, ``blocked``, or None for a recipient never recorded."""
        async with self._db.reader() as uow:
            row = await uow.alerts.recipient(chat_id)
        return None if row is None else str(row["state"])

    # --- the admins' side ----------------------------------------------------------------

    async def ack(self, alert_id: int, user_id: int) -> AckOutcome:
        """Acknowledge an alert (a digest: with everything it carried)."""
        async with self._db.unit_of_work() as uow:
            before = await _existing(uow, alert_id)
            await uow.alerts.ack(alert_id, user_id, self._clock())
            alert = OutboxAlert.from_row(await _existing(uow, alert_id))
            names = await names_for(uow, [alert])
            await uow.commit()
        return AckOutcome(alert, names, newly=before["acked_at"] is None)

    async def get(self, alert_id: int) -> OutboxAlert:
        async with self._db.reader() as uow:
            return OutboxAlert.from_row(await _existing(uow, alert_id))

    async def pending_count(self) -> int:
        """Alerts not yet delivered: waiting, retrying, or being sent."""
        async with self._db.reader() as uow:
            return await uow.alerts.waiting_count()

    async def counts(self) -> dict[str, int]:
        async with self._db.reader() as uow:
            return await uow.alerts.counts()

    # --- producers -----------------------------------------------------------------------

    async def enqueue(self, rows: Sequence[dict[str, Any]]) -> int:
        """Add alert rows (``dedup_key``, ``kind``, ``recipient_chat_id``, ``payload``) once."""
        now = self._clock()
        async with self._db.unit_of_work() as uow:
            added = await uow.alerts.add([{"created_at": now, **row} for row in rows])
            await uow.commit()
        return len(added)

    async def enqueue_task_result(
        self,
        *,
        task_id: int,
        kind: str,
        state: str,
        text: str,
        chat_id: int,
        edit_message_id: int | None = None,
    ) -> bool:
        """Tell the admin how a task ended; with ``edit_message_id`` its progress message is
        edited in place. Once per task: False when its result was queued already."""
        row = task_result_row(
            task_id=task_id,
            kind=kind,
            state=state,
            text=text,
            chat_id=chat_id,
            edit_message_id=edit_message_id,
        )
        return await self.enqueue([row]) == 1


async def _existing(uow: UnitOfWork, alert_id: int) -> dict[str, Any]:
    row = await uow.alerts.get(alert_id)
    if row is None:
        raise NotFoundError(ALERT_GONE)
    return row
