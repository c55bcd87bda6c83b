"""AlertSender: drains the alert outbox into Telegram inside the sending limits.

Each round claims a batch (bursts arrive already folded into digests), interleaves the
recipients so that one slow group does not hold up the others, waits for the limiter, sends,
and records the outcome at once. Bot API answers decide what happens next:

- 429: wait what Telegram asks, then put the alert back without counting a failure;
- 5xx, network trouble, other API errors: retry later with exponential backoff, capped;
- 403 (blocked, kicked): the recipient is recorded and its alerts are failed, never retried;
- 400 (Telegram rejects the message): failed with Telegram's reason.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import structlog
from aiogram import Bot
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNotFound,
    TelegramRetryAfter,
)

from bot.alerts.presenter import present_alert
from bot.keyboards import markup, preview
from bot.ui import Reply
from core.db.repos.alerts import FAILED
from services.alerts.limits import SendLimiter
from services.alerts.models import TASK, Names, OutboxAlert
from services.alerts.outbox import DEFAULT_BATCH, AlertOutbox

log = structlog.get_logger(__name__)

DEFAULT_POLL_INTERVAL = 1.0  # an idle poll is one indexed read
LEASE_MARGIN = timedelta(seconds=15)  # never start a send this close to the end of the lease
LEASE_RAN_OUT = "the claim ran out before the send; queued again"
NOT_MODIFIED = "message is not modified"


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # a failure: backoff, counted
    RATE_LIMITED = "rate_limited"  # a 429: waited, queued again, not counted
    RELEASED = "released"  # the lease was about to end: queued again, not counted
    FAILED = "failed"
    BLOCKED = "blocked"


@dataclass(slots=True)
class DeliveryReport:
    """What one round did: alerts claimed, and how each ended."""

    claimed: int = 0
    sent: int = 0
    retry: int = 0
    rate_limited: int = 0
    released: int = 0
    failed: int = 0
    blocked: int = 0

    def count(self, outcome: Outcome) -> None:
        name = outcome.value
        setattr(self, name, getattr(self, name) + 1)


class AlertSender:
    """The outbox's consumer in the bot process; ``run`` until ``stop`` is set."""

    def __init__(
        self,
        bot: Bot,
        outbox: AlertOutbox,
        *,
        limiter: SendLimiter | None = None,
        tz: ZoneInfo | None = None,
        batch_size: int = DEFAULT_BATCH,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._bot = bot
        self._outbox = outbox
        self._limiter = limiter or SendLimiter()
        self._tz = tz or ZoneInfo("UTC")
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._sleep = sleep
        self._wakeup = asyncio.Event()
        self._margin = min(LEASE_MARGIN, outbox.lease / 4)  # short leases in tests stay usable

    def wake(self) -> None:
        """New alerts were queued: start a round now instead of at the next poll."""
        self._wakeup.set()

    async def run(self, stop: asyncio.Event) -> None:
        log.info("alert_sender_started", worker=self._outbox.worker)
        while not stop.is_set():
            self._wakeup.clear()  # before the round: a wake during it starts the next one
            try:
                report = await self.drain_once()
            except Exception:  # a database hiccup must not end alert delivery for good
                log.exception("alert_round_failed")
                report = DeliveryReport()
            if report.claimed < self._batch_size:
                await _first_of(stop, self._wakeup, within=self._poll_interval)
        log.info("alert_sender_stopped", worker=self._outbox.worker)

    async def drain_once(self) -> DeliveryReport:
        """One round: claim a batch and deliver it."""
        batch = await self._outbox.claim(self._batch_size)
        report = DeliveryReport(claimed=len(batch.alerts))
        queues = _by_recipient(batch.alerts)
        blocked: set[int] = set()
        while queues:
            chat = self._limiter.pick(queues)
            alert = queues[chat].popleft()
            if not queues[chat]:
                del queues[chat]
            if chat in blocked:  # failed in the outbox together with the 403
                continue
            await self._limiter.acquire(chat)
            outcome = await self._deliver(alert, batch.names)
            report.count(outcome)
            if outcome is Outcome.BLOCKED:
                blocked.add(chat)
        if report.claimed:
            log.info("alert_round_done", **asdict(report))
        return report

    async def _deliver(self, alert: OutboxAlert, names: Names) -> Outcome:
        if alert.lease_until is not None and self._outbox.now() >= alert.lease_until - self._margin:
            await self._outbox.retry_later(alert.id, 0, LEASE_RAN_OUT, count_attempt=False)
            return Outcome.RELEASED
        try:
            reply = present_alert(alert, names, self._tz)
        except Exception as error:  # a payload the presenter cannot read is a bug, not a wait
            log.exception("alert_render_failed", alert_id=alert.id)
            await self._outbox.fail(alert.id, f"cannot render the alert: {error!r}")
            return Outcome.FAILED
        try:
            message_id = await self._send(alert, reply)
        except TelegramAPIError as error:
            return await self._failed(alert, error)
        await self._outbox.mark_sent(alert.id, message_id)
        return Outcome.SENT

    async def _send(self, alert: OutboxAlert, reply: Reply) -> int:
        chat_id = alert.recipient_chat_id
        edit_id = alert.payload.get("edit_message_id") if alert.kind == TASK else None
        if isinstance(edit_id, int):
            try:
                await self._bot.edit_message_text(
                    text=reply.text,
                    chat_id=chat_id,
                    message_id=edit_id,
                    parse_mode="HTML",
                    reply_markup=markup(reply),
                    link_preview_options=preview(reply),
                )
                return edit_id
            except TelegramBadRequest as error:
                if NOT_MODIFIED in error.message:
                    return edit_id
                # The progress message is gone or too old to edit: say it in a new one.
                log.info("alert_edit_replaced", alert_id=alert.id, reason=error.message)
        message = await self._bot.send_message(
            chat_id=chat_id,
            text=reply.text,
            parse_mode="HTML",
            reply_markup=markup(reply),
            link_preview_options=preview(reply),
        )
        return message.message_id

    async def _failed(self, alert: OutboxAlert, error: TelegramAPIError) -> Outcome:
        fields = {"alert_id": alert.id, "chat_id": alert.recipient_chat_id}
        if isinstance(error, TelegramRetryAfter):
            log.warning("alert_rate_limited", retry_after=error.retry_after, **fields)
            await self._sleep(float(error.retry_after))
            reason = f"Telegram asked to wait {error.retry_after} s"
            await self._outbox.retry_later(alert.id, 0, reason, count_attempt=False)
            return Outcome.RATE_LIMITED
        if isinstance(error, TelegramForbiddenError):
            await self._outbox.block_recipient(alert.recipient_chat_id, error.message)
            return Outcome.BLOCKED
        if isinstance(error, TelegramMigrateToChat):
            reason = f"the group is now the supergroup {error.migrate_to_chat_id}; alert it there"
            await self._outbox.fail(alert.id, reason)
            return Outcome.FAILED
        if isinstance(error, TelegramBadRequest | TelegramNotFound):
            await self._outbox.fail(alert.id, error.message)
            return Outcome.FAILED
        log.warning("alert_send_failed", error=type(error).__name__, reason=error.message, **fields)
        reason = f"{type(error).__name__}: {error.message}"
        state = await self._outbox.retry_later(alert.id, None, reason)
        return Outcome.FAILED if state == FAILED else Outcome.RETRY


def _by_recipient(alerts: Sequence[OutboxAlert]) -> dict[int, deque[OutboxAlert]]:
    """Each recipient's alerts in claim order; recipients in the order they first appear."""
    queues: dict[int, deque[OutboxAlert]] = {}
    for alert in alerts:
        queues.setdefault(alert.recipient_chat_id, deque()).append(alert)
    return queues


async def _first_of(*events: asyncio.Event, within: float) -> None:
    """Wait until any of ``events`` is set, or ``within`` seconds."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
