"""Durable queues hand each row to one worker; the flood-wait ledger keeps what the server asked."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from core.db.database import Database, DatabaseFloodRecorder
from core.db.queue import claim, due
from core.db.tables import alerts, tasks
from core.domain.flood import FloodWaitEvent
from tests import factories as f


async def _enqueue(db: Database, count: int) -> None:
    async with db.unit_of_work() as uow:
        await uow.connection.execute(
            tasks.insert(), [{"kind": "enrich", "args": {"n": i}} for i in range(count)]
        )
        await uow.commit()


async def _claim(db: Database, worker: str, limit: int, hold: float = 0.0) -> list[int]:
    async with db.unit_of_work() as uow:
        rows = await claim(
            uow.connection,
            tasks,
            ready=[tasks.c.state == "queued"],
            order_by=[tasks.c.priority.desc(), tasks.c.id],
            limit=limit,
            claimed_by=worker,
            set_values={"state": "running", "claimed_at": f.at(1)},
        )
        await asyncio.sleep(hold)  # keep the row locks while the other worker claims
        await uow.commit()
    return [r["id"] for r in rows]


async def test_claims_are_disjoint_even_when_concurrent(db: Database) -> None:
    await _enqueue(db, 10)
    first, second = await asyncio.gather(_claim(db, "a", 4, hold=0.2), _claim(db, "b", 4))
    assert len(first) == 4
    assert len(second) == 4
    assert not set(first) & set(second)
    async with db.reader() as uow:
        owners = dict((await uow.connection.execute(select(tasks.c.id, tasks.c.claimed_by))).all())
    assert {owners[i] for i in first} == {"a"}
    assert {owners[i] for i in second} == {"b"}
    assert await _claim(db, "c", 10) == sorted(set(range(1, 11)) - set(first) - set(second))


async def test_only_due_rows_are_claimed(db: Database) -> None:
    when = {"never": None, "past": f.at(-5), "future": f.at(5), "sent": None}
    async with db.unit_of_work() as uow:
        await uow.connection.execute(
            alerts.insert(),
            [
                {
                    "dedup_key": key,
                    "kind": "detection",
                    "recipient_chat_id": 1,
                    "payload": {},
                    "next_attempt_at": at,
                    "state": "sent" if key == "sent" else "pending",
                }
                for key, at in when.items()
            ],
        )
        claimed = await claim(
            uow.connection,
            alerts,
            ready=due(alerts, f.at(0), ["pending"]),
            order_by=[alerts.c.id],
            limit=10,
            claimed_by="sender",
            set_values={"state": "sending"},
        )
        await uow.commit()
    assert [r["dedup_key"] for r in claimed] == ["never", "past"]
    assert {r["state"] for r in claimed} == {"sending"}


async def test_flood_waits_are_recorded_and_listed_while_active(db: Database) -> None:
    recorder = DatabaseFloodRecorder(db)
    await recorder.record(FloodWaitEvent("get_history", 300, f.at(0), "FloodWaitError", True))
    await recorder.record(FloodWaitEvent("send_message", 5000, f.at(0), "FloodWaitError", False))
    async with db.reader() as uow:
        active = await uow.flood_waits.active(f.at(1))
        recent = await uow.flood_waits.recent()
    assert [e.operation for e in active] == ["get_history", "send_message"][::-1]
    assert [e.operation for e in recent] == ["send_message", "get_history"]
    async with db.reader() as uow:
        assert [e.operation for e in await uow.flood_waits.active(f.at(60))] == ["send_message"]
