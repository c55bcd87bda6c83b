"""Alert delivery end to end: outbox rows -> AlertSender -> real aiogram -> the local Bot API.

Time is simulated: the limiter, the outbox's leases and the sender's waits share one clock
that moves only when something sleeps, so 429 waits and backoffs cost nothing and are exact.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from sqlalchemy import select

from bot.alerts.callbacks import ACK, MUTE_HOUR, AlertAction
from bot.alerts.router import alerts_router
from bot.alerts.sender import AlertSender
from bot.context import BotServices
from core.config_manager import ConfigManager
from core.db.database import Database
from core.db.tables import alerts
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind, Severity
from core.enhanced_logging_system import EnhancedLoggingSystem
from services.alerts.limits import SendLimiter
from services.alerts.outbox import BLOCKED_REASON, AlertOutbox
from services.detection.service import DetectionService, RuleDraft
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests import factories as f
from tests.fakes.botapi import FakeBotApi, SentMessage, make_bot

ADMIN, OTHER_ADMIN, THIRD_ADMIN = 111, 222, 333
LEASE = timedelta(minutes=2)
MADRID = ZoneInfo("Europe/Madrid")
CHAT = f.chat(-1001234567890, title="Traders <club>", username="traders")


class SimClock:
    """Seconds since ``factories.EPOCH``, moved only by the sleeps below."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.sender_waits: list[float] = []

    def monotonic(self) -> float:
        return self.seconds

    def utc(self) -> datetime:
        return f.EPOCH + timedelta(seconds=self.seconds)

    async def limiter_sleep(self, seconds: float) -> None:
        self.seconds += seconds

    async def sender_sleep(self, seconds: float) -> None:
        self.sender_waits.append(seconds)
        self.seconds += seconds

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@dataclass
class World:
    api: FakeBotApi
    bot: Bot
    db: Database
    clock: SimClock

    def outbox(self, worker: str = "sender-1", **options: Any) -> AlertOutbox:
        return AlertOutbox(self.db, worker=worker, clock=self.clock.utc, lease=LEASE, **options)

    def sender(
        self, outbox: AlertOutbox, limiter: SendLimiter | None = None, **options: Any
    ) -> AlertSender:
        limiter = limiter or SendLimiter(clock=self.clock.monotonic, sleep=self.clock.limiter_sleep)
        return AlertSender(
            self.bot, outbox, limiter=limiter, tz=MADRID, sleep=self.clock.sender_sleep, **options
        )

    async def rows(self) -> list[dict[str, Any]]:
        async with self.db.reader() as uow:
            result = await uow.connection.execute(select(alerts).order_by(alerts.c.id))
            return [dict(row._mapping) for row in result]


@pytest.fixture
async def world(db: Database) -> AsyncIterator[World]:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([CHAT], f.at(0))
        await uow.commit()
    async with FakeBotApi() as api:
        bot = make_bot(api)
        try:
            yield World(api, bot, db, SimClock())
        finally:
            await bot.session.close()


def detection_row(n: int, recipient: int = ADMIN, **payload: Any) -> dict[str, Any]:
    text = f"deal number {n}: send the seed phrase now"
    start = text.index("seed phrase")
    return {
        "dedup_key": f"det:{n}:{recipient}",
        "kind": "detection",
        "recipient_chat_id": recipient,
        "payload": {
            "rule_id": 1,
            "rule": "seed phrases",
            "severity": "critical",
            "chat_id": CHAT.id,
            "message_id": n,
            "sender_id": 1001,
            "date": f.at(n).isoformat(),
            "matched_text": "seed phrase",
            "context": text,
            "match_start": start,
            "match_end": start + len("seed phrase"),
            **payload,
        },
    }


def texts(messages: list[SentMessage]) -> list[str]:
    return [m.text or "" for m in messages]


# --- the whole path ------------------------------------------------------------------------


async def detection_service(db: Database, clock: SimClock) -> DetectionService:
    config = ConfigManager(env_file=None, environ={})
    config.load()
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    return DetectionService(config, logger, db=db, recipients=(ADMIN, OTHER_ADMIN), clock=clock.utc)


async def test_a_detection_on_ingest_reaches_every_admin_highlighted_and_linked(
    world: World,
) -> None:
    detection = await detection_service(world.db, world.clock)
    await detection.add_rule(RuleDraft("wallet words", RuleKind.KEYWORDS, "seed phrase",
                                       severity=Severity.HIGH))  # fmt: skip
    message = f.message(42, chat_id=CHAT.id, text="psst <b>: share your seed phrase & win")
    ingest = IngestService(world.db, MediaPolicy(frozenset()), scanner=detection)
    await ingest.ingest_page(ArchivePage(messages=[message], chats=[CHAT], users=[f.user(1001)]))
    outbox = world.outbox()
    report = await world.sender(outbox).drain_once()
    assert (report.claimed, report.sent) == (2, 2)
    for admin in (ADMIN, OTHER_ADMIN):
        (sent,) = world.api.messages(admin)
        assert sent.parse_mode == "HTML"
        assert "share your <b>seed phrase</b> &amp; win" in (sent.text or "")
        assert "psst &lt;b&gt;:" in (sent.text or "")
        assert '<a href="https://t.me/traders/42">Traders &lt;club&gt;</a>' in (sent.text or "")
        assert "Ana García · @user1001" in (sent.text or "")
        assert "2025-01-01 01:42" in (sent.text or "")  # 00:42 UTC, shown in Madrid
        actions = [AlertAction.unpack(data).action for data in sent.callback_data]
        assert actions == [ACK, MUTE_HOUR, "m1d"]
        assert sent.buttons[1][0]["url"] == "https://t.me/traders/42"
    rows = await world.rows()
    assert [(r["state"], r["sent_message_id"]) for r in rows] == [
        ("sent", world.api.messages(ADMIN)[0].message_id),
        ("sent", world.api.messages(OTHER_ADMIN)[0].message_id),
    ]
    assert await outbox.pending_count() == 0


# --- Bot API trouble -----------------------------------------------------------------------


async def test_a_429_is_waited_out_and_the_alert_delivered_once(world: World) -> None:
    outbox = world.outbox(max_attempts=2)
    await outbox.enqueue([detection_row(1)])
    world.api.fail("sendMessage", status=429, retry_after=7)
    sender = world.sender(outbox)
    first = await sender.drain_once()
    assert (first.rate_limited, first.sent) == (1, 0)
    assert world.clock.sender_waits == [7.0]  # exactly what Telegram asked for
    second = await sender.drain_once()
    assert second.sent == 1
    assert len(world.api.messages(ADMIN)) == 1
    assert len(world.api.calls_to("sendMessage")) == 2
    (row,) = await world.rows()
    assert (row["state"], row["attempts"]) == ("sent", 0)  # a 429 is no failed attempt


async def test_a_wait_outlasting_the_lease_puts_the_rest_of_the_batch_back(
    world: World,
) -> None:
    outbox = world.outbox()
    await outbox.enqueue([detection_row(1, ADMIN), detection_row(2, OTHER_ADMIN)])
    world.api.fail("sendMessage", status=429, retry_after=300, chat_id=ADMIN)
    report = await world.sender(outbox).drain_once()
    assert (report.rate_limited, report.released, report.sent) == (1, 1, 0)
    assert world.api.messages(OTHER_ADMIN) == []  # its claim had run out: another may hold it
    assert (await world.sender(outbox).drain_once()).sent == 2
    rows = await world.rows()
    assert [(r["state"], r["attempts"]) for r in rows] == [("sent", 0), ("sent", 0)]


async def test_server_errors_back_off_then_succeed(world: World) -> None:
    outbox = world.outbox(backoff_base=5.0)
    await outbox.enqueue([detection_row(1)])
    world.api.fail("sendMessage", status=502, times=2)
    sender = world.sender(outbox)
    assert (await sender.drain_once()).retry == 1
    world.clock.advance(4.9)
    assert (await sender.drain_once()).claimed == 0  # not before the backoff
    world.clock.advance(0.1)
    assert (await sender.drain_once()).retry == 1
    world.clock.advance(10)  # the backoff doubled
    assert (await sender.drain_once()).sent == 1
    assert len(world.api.messages(ADMIN)) == 1
    (row,) = await world.rows()
    assert (row["state"], row["attempts"], row["last_error"]) == ("sent", 2, None)


async def test_a_message_telegram_rejects_fails_with_its_reason(world: World) -> None:
    outbox = world.outbox()
    await outbox.enqueue([detection_row(1)])
    world.api.fail("sendMessage", status=400, description="Bad Request: chat not found")
    assert (await world.sender(outbox).drain_once()).failed == 1
    (row,) = await world.rows()
    assert (row["state"], row["last_error"]) == ("failed", "Bad Request: chat not found")


async def test_a_recipient_that_blocked_the_bot_is_recorded_and_not_retried(
    world: World,
) -> None:
    outbox = world.outbox()
    await outbox.enqueue([detection_row(n, ADMIN) for n in (1, 2, 3)] + [detection_row(4, 222)])
    world.api.block_chat(ADMIN)
    sender = world.sender(outbox)
    report = await sender.drain_once()
    assert (report.blocked, report.sent) == (1, 1)
    assert await outbox.recipient_state(ADMIN) == "blocked"
    await outbox.enqueue([detection_row(5, ADMIN)])
    world.clock.advance(3600)
    assert (await sender.drain_once()).claimed == 0
    to_admin = [c for c in world.api.calls_to("sendMessage") if c.params["chat_id"] == ADMIN]
    assert len(to_admin) == 1  # one 403, then never again
    states = {r["payload"]["message_id"]: (r["state"], r["last_error"]) for r in await world.rows()}
    assert states[4] == ("sent", None)
    assert {states[n] for n in (1, 2, 3, 5)} == {("failed", BLOCKED_REASON)}


# --- restarts ------------------------------------------------------------------------------


class SimulatedCrash(BaseException):
    """The process dies: nothing in the sender may catch this."""


class CrashingLimiter(SendLimiter):
    def __init__(self, crash_at: int, **options: Any) -> None:
        super().__init__(**options)
        self._left = crash_at

    async def acquire(self, chat_id: int) -> float:
        self._left -= 1
        if self._left < 0:
            raise SimulatedCrash
        return await super().acquire(chat_id)


async def test_a_restart_in_the_middle_delivers_every_alert_exactly_once(world: World) -> None:
    recipients = [1000 + n for n in range(10)]
    first_outbox = world.outbox("dies")
    await first_outbox.enqueue([detection_row(n, chat) for n, chat in enumerate(recipients)])
    limiter = CrashingLimiter(4, clock=world.clock.monotonic, sleep=world.clock.limiter_sleep)
    with pytest.raises(SimulatedCrash):
        await world.sender(first_outbox, limiter).drain_once()
    assert len(world.api.calls_to("sendMessage")) == 4
    successor = world.sender(world.outbox("takes-over"))
    assert (await successor.drain_once()).claimed == 0  # the dead sender's lease still holds
    world.clock.advance(LEASE.total_seconds())
    assert (await successor.drain_once()).sent == 6
    for chat in recipients:
        assert len(world.api.messages(chat)) == 1
    rows = await world.rows()
    assert {r["state"] for r in rows} == {"sent"}
    assert sorted(r["attempts"] for r in rows) == [0] * 4 + [1] * 6


async def test_the_only_duplicate_window_is_a_crash_between_send_and_record(
    world: World,
) -> None:
    class CrashAfterSecondSend(AlertOutbox):
        recorded = 0

        async def mark_sent(self, alert_id: int, message_id: int) -> bool:
            if self.recorded == 1:
                raise SimulatedCrash
            self.recorded += 1
            return await super().mark_sent(alert_id, message_id)

    dying = CrashAfterSecondSend(world.db, worker="dies", clock=world.clock.utc, lease=LEASE)
    await dying.enqueue([detection_row(n, 1000 + n) for n in range(3)])
    with pytest.raises(SimulatedCrash):
        await world.sender(dying).drain_once()
    world.clock.advance(LEASE.total_seconds())
    assert (await world.sender(world.outbox("heir")).drain_once()).sent == 2
    delivered = [len(world.api.messages(1000 + n)) for n in range(3)]
    assert delivered == [1, 2, 1]  # at least once: only the send caught mid-record repeats


# --- bursts --------------------------------------------------------------------------------


async def test_a_burst_becomes_one_digest_per_recipient(world: World) -> None:
    outbox = world.outbox()
    await outbox.enqueue([detection_row(n, ADMIN) for n in range(1, 13)])
    await outbox.enqueue([detection_row(n, OTHER_ADMIN, rule_id=2, rule="iban", severity="low")
                          for n in range(20, 28)])  # fmt: skip
    await outbox.enqueue([detection_row(n, THIRD_ADMIN) for n in (30, 31)])
    report = await world.sender(outbox).drain_once()
    assert report.sent == 4
    (to_admin,) = world.api.messages(ADMIN)
    assert "<b>12 alerts</b>" in (to_admin.text or "")
    assert to_admin.text is not None and to_admin.text.count("https://t.me/traders/") == 3
    assert "…and 9 more." in to_admin.text
    (to_other,) = world.api.messages(OTHER_ADMIN)
    assert "<b>8 alerts</b>" in (to_other.text or "") and "<b>iban</b> — 8" in (to_other.text or "")
    assert len(world.api.messages(THIRD_ADMIN)) == 2  # two alerts are no burst
    rows = await world.rows()
    assert sum(r["state"] == "digested" for r in rows) == 20
    assert [r["kind"] for r in rows if r["state"] == "sent"].count("digest") == 2


# --- task results --------------------------------------------------------------------------


async def test_a_task_result_edits_its_progress_message_or_says_it_anew(world: World) -> None:
    progress = await world.bot.send_message(ADMIN, "Enriching… 10%")
    outbox = world.outbox()
    done = {"task_id": 1, "kind": "enrich", "state": "done", "text": "3 <users>"}
    await outbox.enqueue_task_result(**done, chat_id=ADMIN, edit_message_id=progress.message_id)
    lost = {"task_id": 2, "kind": "backfill", "state": "failed", "text": "gone"}
    await outbox.enqueue_task_result(**lost, chat_id=ADMIN, edit_message_id=999)
    assert (await world.sender(outbox).drain_once()).sent == 2
    edited, fresh = world.api.messages(ADMIN)
    assert edited.message_id == progress.message_id and edited.edits == 1
    assert edited.text == "✅ Task #1 (enrich) done\n3 &lt;users&gt;"
    assert fresh.text == "❌ Task #2 (backfill) failed\ngone"  # message 999 does not exist


# --- the buttons ---------------------------------------------------------------------------


async def services_for(world: World) -> BotServices:
    unused = cast(Any, None)  # the alerts router reads only the outbox, detection, tz, clock
    return BotServices(
        settings=unused, db=world.db, search=unused,
        detection=await detection_service(world.db, world.clock), watch=unused, tasks=unused,
        status=unused, export=unused, outbox=world.outbox(), tz=MADRID, clock=world.clock.utc,
    )  # fmt: skip


async def press(world: World, dp: Dispatcher, message: SentMessage, data: str) -> None:
    update = world.api.callback_update(user_id=ADMIN, data=data, message=message)
    await dp.feed_update(world.bot, Update.model_validate(update))


async def test_ack_marks_the_alert_and_shows_who_on_the_message(world: World) -> None:
    services = await services_for(world)
    dp = Dispatcher(services=services)
    dp.include_router(alerts_router())
    await services.outbox.enqueue([detection_row(1)])
    await world.sender(services.outbox).drain_once()
    (sent,) = world.api.messages(ADMIN)
    await press(world, dp, sent, sent.callback_data[0])
    (acked,) = world.api.messages(ADMIN)
    assert acked.buttons[0][0]["text"] == "☑ Acknowledged by Admin"
    assert acked.text == sent.text  # only the keyboard changed
    (row,) = await world.rows()
    assert (row["acked_by"], row["acked_at"]) == (ADMIN, world.clock.utc())
    await press(world, dp, acked, acked.callback_data[0])
    assert [a.text for a in world.api.callback_answers] == [
        "Acknowledged.",
        "Already acknowledged.",
    ]


async def test_mute_silences_the_rule_and_stale_buttons_answer_gracefully(world: World) -> None:
    services = await services_for(world)
    dp = Dispatcher(services=services)
    dp.include_router(alerts_router())
    rule = await services.detection.add_rule(RuleDraft("seeds", RuleKind.KEYWORDS, "seed"))
    await services.outbox.enqueue([detection_row(1, rule_id=rule.id)])
    await world.sender(services.outbox).drain_once()
    (sent,) = world.api.messages(ADMIN)
    mute_hour = AlertAction(action=MUTE_HOUR, alert_id=1, rule_id=rule.id).pack()
    await press(world, dp, sent, mute_hour)
    muted = await services.detection.get_rule(rule.id)
    assert muted.muted_until == world.clock.utc() + timedelta(hours=1)
    await services.detection.delete_rule(rule.id)
    await press(world, dp, sent, mute_hour)
    await press(world, dp, sent, AlertAction(action=ACK, alert_id=999).pack())
    await press(world, dp, sent, AlertAction(action=MUTE_HOUR, alert_id=1).pack())
    assert [a.text for a in world.api.callback_answers] == [
        "Rule seeds muted until 2025-01-01 02:00.",
        "That rule no longer exists.",
        "This alert is no longer in the outbox",
        "This alert has no single rule to mute.",
    ]


# --- the loop ------------------------------------------------------------------------------


async def test_run_wakes_on_new_alerts_and_stops_when_asked(world: World) -> None:
    outbox = world.outbox()
    sender = world.sender(outbox, poll_interval=3600)  # only wake() can start a round
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    await outbox.enqueue([detection_row(1)])
    sender.wake()
    await world.api.wait_for_messages(ADMIN, 1)
    await outbox.enqueue([detection_row(2)])
    sender.wake()
    await world.api.wait_for_messages(ADMIN, 2)
    stop.set()
    await asyncio.wait_for(running, 5)
    assert len(world.api.messages(ADMIN)) == 2
