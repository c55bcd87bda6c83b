"""The alert outbox on both dialects: leases, restart recovery, retries, blocked recipients,
digests, acknowledgements, and (PostgreSQL) two senders never claiming the same alert."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from core.db import migrate
from core.db.database import Database
from core.db.tables import alerts, chats, users
from core.errors import NotFoundError
from services.alerts import outbox as outbox_module
from services.alerts.outbox import BLOCKED_REASON, AlertOutbox
from tests.factories import EPOCH

ADMIN, OTHER_ADMIN = 111, 222
LEASE = timedelta(minutes=2)


class Clock:
    def __init__(self) -> None:
        self.now = EPOCH

    def __call__(self) -> Any:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def outbox(db: Database, clock: Clock, worker: str = "sender-1", **options: Any) -> AlertOutbox:
    return AlertOutbox(db, worker=worker, clock=clock, lease=LEASE, **options)


def detection_row(n: int, recipient: int = ADMIN, **payload: Any) -> dict[str, Any]:
    return {
        "dedup_key": f"det:{n}:{recipient}",
        "kind": "detection",
        "recipient_chat_id": recipient,
        "payload": {
            "rule_id": 1,
            "rule": "secrets",
            "severity": "high",
            "chat_id": -1001000000001,
            "message_id": n,
            "sender_id": 42,
            "matched_text": "secret",
            **payload,
        },
    }


async def rows(db: Database) -> dict[int, dict[str, Any]]:
    async with db.reader() as uow:
        result = await uow.connection.execute(select(alerts).order_by(alerts.c.id))
        return {row.id: dict(row._mapping) for row in result}


async def test_enqueue_is_idempotent_per_dedup_key(db: Database, clock: Clock) -> None:
    box = outbox(db, clock)
    assert await box.enqueue([detection_row(1), detection_row(2)]) == 2
    assert await box.enqueue([detection_row(1), detection_row(3)]) == 1
    assert await box.pending_count() == 3


async def test_claim_leases_alerts_to_one_sender(db: Database, clock: Clock) -> None:
    box = outbox(db, clock)
    await box.enqueue([detection_row(n) for n in range(1, 4)])
    batch = await box.claim(2)
    assert [a.id for a in batch.alerts] == [1, 2]
    assert all(a.state == "sending" and a.lease_until == EPOCH + LEASE for a in batch.alerts)
    stored = await rows(db)
    assert stored[1]["claimed_by"] == "sender-1" and stored[3]["state"] == "pending"
    other = outbox(db, clock, "sender-2")
    assert [a.id for a in (await other.claim(10)).alerts] == [3]
    assert (await other.claim(10)).alerts == ()
    assert await box.pending_count() == 3  # being sent still counts as not delivered


async def test_a_dead_senders_alerts_are_taken_over_when_its_lease_ends(
    db: Database, clock: Clock
) -> None:
    dead = outbox(db, clock, "dead")
    await dead.enqueue([detection_row(n) for n in range(1, 4)])
    first = await dead.claim(10)
    await dead.mark_sent(first.alerts[0].id, 501)  # it sent one, then the process died
    heir = outbox(db, clock, "heir")
    clock.advance(seconds=LEASE.total_seconds() - 1)
    assert (await heir.claim(10)).alerts == ()  # the lease still holds
    clock.advance(seconds=1)
    taken = await heir.claim(10)
    assert [a.id for a in taken.alerts] == [2, 3]
    assert [a.attempts for a in taken.alerts] == [1, 1]  # an interrupted send may have happened
    stored = await rows(db)
    assert stored[1]["state"] == "sent" and stored[1]["sent_message_id"] == 501
    assert stored[2]["claimed_by"] == "heir"


async def test_a_sender_that_lost_its_lease_cannot_undo_the_successors_claim(
    db: Database, clock: Clock
) -> None:
    slow = outbox(db, clock, "slow")
    await slow.enqueue([detection_row(1)])
    (alert,) = (await slow.claim(1)).alerts
    clock.advance(seconds=LEASE.total_seconds())
    heir = outbox(db, clock, "heir")
    assert len((await heir.claim(1)).alerts) == 1
    assert await slow.retry_later(alert.id, None, "late") == "sending"
    assert not await slow.fail(alert.id, "late")
    stored = (await rows(db))[1]
    assert (stored["state"], stored["claimed_by"], stored["last_error"]) == (
        "sending",
        "heir",
        None,
    )


async def test_mark_sent_keeps_the_first_delivery(db: Database, clock: Clock) -> None:
    box = outbox(db, clock)
    await box.enqueue([detection_row(1)])
    (alert,) = (await box.claim(1)).alerts
    assert await box.mark_sent(alert.id, 10)
    assert not await box.mark_sent(alert.id, 11)
    stored = (await rows(db))[alert.id]
    assert (stored["state"], stored["sent_message_id"], stored["sent_at"]) == ("sent", 10, EPOCH)
    assert stored["claimed_by"] is None
    assert await box.pending_count() == 0


async def test_failures_back_off_exponentially_then_give_up(db: Database, clock: Clock) -> None:
    box = outbox(db, clock, max_attempts=4, backoff_base=5.0)
    await box.enqueue([detection_row(1)])
    for delay in (5, 10, 20):
        (alert,) = (await box.claim(1)).alerts
        assert await box.retry_later(alert.id, None, "TelegramServerError: 502") == "retry"
        clock.advance(seconds=delay - 1)
        assert (await box.claim(1)).alerts == ()
        clock.advance(seconds=1)
    (alert,) = (await box.claim(1)).alerts
    assert await box.retry_later(alert.id, None, "TelegramServerError: 502") == "failed"
    stored = (await rows(db))[alert.id]
    assert stored["state"] == "failed" and stored["attempts"] == 4
    assert stored["last_error"] == "TelegramServerError: 502 (gave up after 4 attempts)"
    clock.advance(days=1)
    assert (await box.claim(1)).alerts == ()


async def test_waits_that_are_no_failure_do_not_count(db: Database, clock: Clock) -> None:
    box = outbox(db, clock, max_attempts=2)
    await box.enqueue([detection_row(1)])
    for _ in range(5):
        (alert,) = (await box.claim(1)).alerts
        state = await box.retry_later(
            alert.id, 0, "Telegram asked to wait 3 s", count_attempt=False
        )
        assert state == "retry"
    stored = (await rows(db))[1]
    assert stored["attempts"] == 0 and stored["last_error"] == "Telegram asked to wait 3 s"


async def test_an_explicit_delay_is_honoured(db: Database, clock: Clock) -> None:
    box = outbox(db, clock)
    await box.enqueue([detection_row(1)])
    (alert,) = (await box.claim(1)).alerts
    await box.retry_later(alert.id, 30, "wait")
    clock.advance(seconds=29)
    assert (await box.claim(1)).alerts == ()
    clock.advance(seconds=1)
    assert len((await box.claim(1)).alerts) == 1


async def test_fail_records_telegrams_reason(db: Database, clock: Clock) -> None:
    box = outbox(db, clock)
    await box.enqueue([detection_row(1)])
    (alert,) = (await box.claim(1)).alerts
    assert await box.fail(alert.id, "Bad Request: can't parse entities")
    stored = (await rows(db))[1]
    assert stored["state"] == "failed"
    assert stored["last_error"] == "Bad Request: can't parse entities"
    with pytest.raises(NotFoundError, match="no longer in the outbox"):
        await box.fail(999, "gone")


async def test_alerts_interrupted_too_often_fail(db: Database, clock: Clock) -> None:
    box = outbox(db, clock, max_attempts=3)
    await box.enqueue([detection_row(1)])
    for _ in range(3):  # claimed three times, never finished: a send that kills the process
        assert len((await box.claim(1)).alerts) == 1
        clock.advance(seconds=LEASE.total_seconds())
    assert (await box.claim(1)).alerts == ()
    stored = (await rows(db))[1]
    assert stored["state"] == "failed"
    assert stored["last_error"] == "delivery was interrupted 3 times"


async def test_a_blocked_recipient_is_recorded_and_its_alerts_fail(
    db: Database, clock: Clock
) -> None:
    box = outbox(db, clock)
    await box.enqueue([detection_row(n, ADMIN) for n in (1, 2)] + [detection_row(3, OTHER_ADMIN)])
    (first, *_) = (await box.claim(1)).alerts  # alert 1 is being sent, 2 waits
    assert await box.block_recipient(ADMIN, "Forbidden: bot was blocked by the user") == 2
    assert await box.recipient_state(ADMIN) == "blocked"
    assert await box.recipient_state(OTHER_ADMIN) is None
    stored = await rows(db)
    assert [stored[n]["state"] for n in (1, 2, 3)] == ["failed", "failed", "pending"]
    assert stored[first.id]["last_error"] == BLOCKED_REASON
    await box.enqueue([detection_row(4, ADMIN)])  # detection keeps alerting that admin
    assert [a.id for a in (await box.claim(10)).alerts] == [3]
    assert (await rows(db))[4]["state"] == "failed"  # not retried forever: not even tried
    await box.unblock_recipient(ADMIN)
    await box.enqueue([detection_row(5, ADMIN)])
    assert [a.id for a in (await box.claim(10)).alerts] == [5]
    assert await box.recipient_state(ADMIN) == "ok"


async def test_a_burst_is_claimed_as_one_digest(db: Database, clock: Clock) -> None:
    box = outbox(db, clock, digest_threshold=5)
    await box.enqueue([detection_row(n, ADMIN) for n in range(1, 9)])
    await box.enqueue([detection_row(n, OTHER_ADMIN) for n in (20, 21)])
    batch = await box.claim(50)
    kinds = [(a.kind, a.recipient_chat_id) for a in batch.alerts]
    assert kinds == [("digest", ADMIN), ("detection", OTHER_ADMIN), ("detection", OTHER_ADMIN)]
    digest = batch.alerts[0]
    assert digest.payload["count"] == 8 and digest.state == "sending"
    assert digest.lease_until == EPOCH + LEASE
    stored = await rows(db)
    carried = [r for r in stored.values() if r["digest_id"] == digest.id]
    assert len(carried) == 8 and {r["state"] for r in carried} == {"digested"}
    assert stored[digest.id]["dedup_key"] == f"digest:1:{ADMIN}"
    clock.advance(seconds=LEASE.total_seconds())  # the sender died before sending the digest
    again = await outbox(db, clock, "heir").claim(50)
    taken = {(a.id, a.kind) for a in again.alerts}
    assert taken == {(digest.id, "digest"), (9, "detection"), (10, "detection")}  # none carried
    assert await box.pending_count() == 3


async def test_a_burst_larger_than_the_batch_is_still_one_digest_per_recipient(
    db: Database, clock: Clock
) -> None:
    box = outbox(db, clock, digest_threshold=5)
    interleaved = [detection_row(n, chat) for n in range(1, 41) for chat in (ADMIN, OTHER_ADMIN)]
    await box.enqueue([*interleaved, detection_row(99, 333)])
    batch = await box.claim(10)  # the batch limit counts messages, not the alerts they carry
    assert [(a.kind, a.recipient_chat_id) for a in batch.alerts] == [
        ("digest", ADMIN),
        ("digest", OTHER_ADMIN),
        ("detection", 333),
    ]
    assert [a.payload["count"] for a in batch.alerts[:2]] == [40, 40]
    assert await box.pending_count() == 3


async def test_a_digest_carries_at_most_its_cap(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox_module, "MAX_DIGEST_ALERTS", 10)
    box = outbox(db, clock, digest_threshold=5)
    await box.enqueue([detection_row(n) for n in range(1, 26)])
    counts = []
    while batch := (await box.claim(50)).alerts:
        counts += [a.payload.get("count", 1) for a in batch]
        for alert in batch:
            await box.mark_sent(alert.id, alert.id)
    assert counts == [10, 10, 1, 1, 1, 1, 1]  # the last five are no burst


async def test_ack_records_who_and_covers_what_a_digest_carried(db: Database, clock: Clock) -> None:
    box = outbox(db, clock, digest_threshold=2)
    await box.enqueue([detection_row(n) for n in range(1, 4)])
    (digest,) = (await box.claim(10)).alerts
    clock.advance(minutes=1)
    outcome = await box.ack(digest.id, 555)
    assert outcome.newly and outcome.alert.acked_by == 555
    assert outcome.alert.acked_at == EPOCH + timedelta(minutes=1)
    stored = await rows(db)
    assert {r["acked_by"] for r in stored.values()} == {555}
    again = await box.ack(digest.id, 666)
    assert not again.newly and again.alert.acked_by == 555
    with pytest.raises(NotFoundError, match="no longer in the outbox"):
        await box.ack(12345, 555)


async def test_claimed_batches_carry_the_names_of_chats_and_senders(
    db: Database, clock: Clock
) -> None:
    async with db.unit_of_work() as uow:
        conn = uow.connection
        await conn.execute(chats.insert(), [
            {"id": -1001000000001, "kind": "supergroup", "title": "Club", "username": "club"},
            {"id": -1003, "kind": "channel", "title": "News", "username": None},
        ])  # fmt: skip
        await conn.execute(users.insert(), {"id": 42, "first_name": "Ana", "last_name": "Gil"})
        await uow.commit()
    box = outbox(db, clock)
    await box.enqueue([detection_row(1), detection_row(2, sender_id=-1003)])
    names = (await box.claim(10)).names
    assert names.chat(-1001000000001) is not None
    assert names.chat(-1001000000001).username == "club"  # type: ignore[union-attr]
    assert names.sender(42).title == "Ana Gil"  # type: ignore[union-attr]
    assert names.sender(-1003).title == "News"  # type: ignore[union-attr]
    assert names.sender(43) is None


async def test_task_results_are_queued_once_with_their_edit_target(
    db: Database, clock: Clock
) -> None:
    box = outbox(db, clock)
    first = {"task_id": 9, "kind": "enrich", "state": "done", "text": "3 refreshed"}
    assert await box.enqueue_task_result(**first, chat_id=ADMIN, edit_message_id=77)
    assert not await box.enqueue_task_result(**first, chat_id=ADMIN)
    (alert,) = (await box.claim(10)).alerts
    assert alert.kind == "task" and alert.recipient_chat_id == ADMIN
    assert alert.payload == {**first, "edit_message_id": 77}


@pytest.mark.postgres
@pytest.mark.parametrize("dialect", ["postgresql"])  # SQLite has one writer: nothing to race
async def test_two_senders_on_postgresql_never_claim_the_same_alert(
    db: Database, clock: Clock
) -> None:
    await outbox(db, clock).enqueue([detection_row(n, recipient=n) for n in range(1, 301)])

    async def drain(box: AlertOutbox) -> list[int]:
        claimed: list[int] = []
        while batch := (await box.claim(7)).alerts:
            claimed += [a.id for a in batch]
            await asyncio.sleep(0)
        return claimed

    first, second = await asyncio.gather(
        drain(outbox(db, clock, "a")), drain(outbox(db, clock, "b"))
    )
    assert first and second  # both took part
    assert not set(first) & set(second)
    assert sorted(first + second) == list(range(1, 301))


async def test_migration_0003_keeps_alerts_on_the_way_down_and_up(empty_db_url: str) -> None:
    db = Database.from_url(empty_db_url)
    try:
        await migrate.upgrade(db.engine, "0002")
        async with db.engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO alerts (dedup_key, kind, recipient_chat_id, payload, state)"
                    " VALUES ('det:1:1', 'detection', 1, '{}', 'sent')"
                )
            )
        await migrate.upgrade(db.engine)
        async with db.engine.begin() as conn:
            await conn.execute(text("UPDATE alerts SET acked_by = 5, digest_id = 9"))
            await conn.execute(
                text("INSERT INTO alert_recipients VALUES (1, 'blocked', 'x', CURRENT_TIMESTAMP)")
            )
        await migrate.downgrade(db.engine, "0002")
        async with db.engine.connect() as conn:
            kept = (await conn.execute(text("SELECT dedup_key, state FROM alerts"))).all()
        assert [tuple(row) for row in kept] == [("det:1:1", "sent")]
        await migrate.upgrade(db.engine)
        assert await migrate.is_up_to_date(db.engine)
    finally:
        await db.dispose()
