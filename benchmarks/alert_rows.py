"""Alert delivery rows: the real AlertSender and aiogram against the local Bot API fake.

2,000 alerts for 50 admins go through the outbox on SQLite. The sending limits are the real
token buckets on a simulated clock, so one run gives two rates: what the machinery manages on
this machine (wall clock: claims, rendering, HTTP to the fake, one commit per send) and what the
limits let through (simulated clock: what Telegram would see). A second pass sends the same
burst with digests on: one message per admin. The fake lives with the tests, so the rows need a
source checkout (``python -m benchmarks`` from the repository root); elsewhere they are skipped.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.backfill_rows import quiet
from benchmarks.context import Bench
from benchmarks.figures import Figure, rate
from core.db import migrate
from core.db.database import Database
from core.db.tables import alerts
from services.alerts.digest import DIGEST_THRESHOLD
from services.alerts.limits import SendLimiter
from services.alerts.outbox import AlertOutbox

MAX_ALERTS = 2_000
RECIPIENTS = 50
ALERTS_PER_RECIPIENT = 40  # a burst each, well over the digest threshold
START = datetime(2025, 1, 1, tzinfo=UTC)
CHATTY_LOGGERS = ("bot", "services", "tests", "aiogram")
CHECKOUT_NEEDED = "alert rows skipped: the Bot API fake (tests/fakes) is not importable"


class SimulatedClock:
    """Seconds that pass only when the limiter (or a 429) makes the sender wait."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def monotonic(self) -> float:
        return self.seconds

    def utc(self) -> datetime:
        return START + timedelta(seconds=self.seconds)

    async def sleep(self, seconds: float) -> None:
        self.seconds += seconds


class TimedLimiter(SendLimiter):
    """The real limiter, noting the simulated moment of every send it lets through."""

    def __init__(self, clock: SimulatedClock) -> None:
        super().__init__(clock=clock.monotonic, sleep=clock.sleep)
        self._now = clock.monotonic
        self.sent_at: list[float] = []

    async def acquire(self, chat_id: int) -> float:
        waited = await super().acquire(chat_id)
        self.sent_at.append(self._now())
        return waited


async def alert_delivery(bench: Bench) -> list[Figure]:
    alerts = min(bench.config.size, MAX_ALERTS)
    recipients = max(1, min(RECIPIENTS, alerts // ALERTS_PER_RECIPIENT))
    try:
        with quiet(CHATTY_LOGGERS):
            single = await deliver(alerts, recipients, digests=False)
            burst = await deliver(alerts, recipients, digests=True)
    except ModuleNotFoundError as error:
        if not (error.name or "").startswith("tests"):
            raise
        bench.notes.append(CHECKOUT_NEEDED)
        return []
    load = f"{alerts:,} alerts for {recipients} private chats, SQLite outbox"
    return [
        Figure("alert delivery through aiogram (wall clock)", single["wall_rate"], "msg/s",
               notes=(load, "digests off; includes the fake Bot API's own HTTP work")),
        Figure("alert delivery inside Telegram's limits (simulated clock)",
               single["simulated_rate"], "msg/s", budget="≤ 30",
               notes=(f"{single['simulated_seconds']:.0f} simulated s for the whole load",)),
        Figure("most alerts sent in any simulated second", single["busiest_second"], "messages",
               budget="30", higher_is_better=False),
        Figure("alerts not delivered exactly once", single["not_once"], "alerts", budget="0",
               higher_is_better=False),
        Figure("messages for the same load as a burst (digests on)", burst["messages"],
               "messages", budget=f"{recipients}", higher_is_better=False,
               notes=(f"one digest per admin; alerts not carried exactly once: "
                      f"{burst['not_once']:.0f}",)),
    ]  # fmt: skip


async def deliver(alerts: int, recipients: int, *, digests: bool) -> dict[str, float]:
    """Queue ``alerts`` detections round-robin over ``recipients`` admins and drain the outbox."""
    # Imported here, not at the top: the Bot API fake is test code (see the docstring).
    from bot.alerts.sender import AlertSender
    from tests.fakes.botapi import FakeBotApi, make_bot

    clock = SimulatedClock()
    with tempfile.TemporaryDirectory(prefix="tv-alert-bench-") as folder:
        db = Database.from_url(f"sqlite+aiosqlite:///{Path(folder) / 'vault.db'}")
        try:
            await migrate.upgrade(db.engine)
            threshold = DIGEST_THRESHOLD if digests else alerts + 1
            outbox = AlertOutbox(db, worker="bench", clock=clock.utc, digest_threshold=threshold)
            await outbox.enqueue([_alert(n, 1000 + n % recipients) for n in range(alerts)])
            async with FakeBotApi() as api:
                bot = make_bot(api)
                limiter = TimedLimiter(clock)
                sender = AlertSender(bot, outbox, limiter=limiter, sleep=clock.sleep)
                try:
                    started = time.perf_counter()
                    while (await sender.drain_once()).claimed:
                        pass
                    wall = time.perf_counter() - started
                finally:
                    await bot.session.close()
                messages = len(api.all_messages)
            rows = await _rows_by_kind_and_state(db)
        finally:
            await db.dispose()
    reached = rows.get(("detection", "sent"), 0) + rows.get(("detection", "digested"), 0)
    sent_rows = sum(n for (_, state), n in rows.items() if state == "sent")
    return {
        "messages": float(messages),
        "wall_rate": rate(messages, wall),
        "simulated_seconds": clock.seconds,
        "simulated_rate": rate(messages, clock.seconds),
        "busiest_second": float(_busiest(limiter.sent_at, 1.0)),
        # Lost alerts, plus messages beyond one per sent row (duplicates).
        "not_once": float(abs(alerts - reached) + abs(messages - sent_rows)),
    }


def _alert(n: int, recipient: int) -> dict[str, Any]:
    text = f"deal {n}: send the seed phrase to the usual wallet before noon"
    start = text.index("seed phrase")
    return {
        "dedup_key": f"bench:{n}:{recipient}",
        "kind": "detection",
        "recipient_chat_id": recipient,
        "payload": {
            "rule_id": 1 + n % 7, "rule": f"rule {n % 7}", "severity": "high",
            "chat_id": -1001000000000 - n % 40, "message_id": n, "sender_id": 5000 + n % 300,
            "date": (START + timedelta(seconds=n)).isoformat(), "matched_text": "seed phrase",
            "context": text, "match_start": start, "match_end": start + len("seed phrase"),
        },
    }  # fmt: skip


async def _rows_by_kind_and_state(db: Database) -> dict[tuple[str, str], int]:
    query = select(alerts.c.kind, alerts.c.state, func.count()).group_by(
        alerts.c.kind, alerts.c.state
    )
    async with db.reader() as uow:
        return {(kind, state): int(n) for kind, state, n in await uow.connection.execute(query)}


def _busiest(times: list[float], window: float) -> int:
    """The most sends inside any window of ``window`` seconds (two pointers over sorted times)."""
    ordered, most, first = sorted(times), 0, 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] > window + 1e-9:
            first += 1
        most = max(most, last - first + 1)
    return most
