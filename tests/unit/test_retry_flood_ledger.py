"""The in-memory flood-wait ledger behind /status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.flood import FloodWaitEvent
from core.flood_ledger import InMemoryFloodLedger

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def event(seconds: float, at_second: int = 0, operation: str = "op") -> FloodWaitEvent:
    return FloodWaitEvent(
        operation=operation,
        seconds=seconds,
        occurred_at=T0 + timedelta(seconds=at_second),
        error_type="FloodWaitError",
        honoured=True,
    )


async def test_recent_lists_newest_first_up_to_the_limit() -> None:
    ledger = InMemoryFloodLedger()
    for second in range(5):
        await ledger.record(event(1, at_second=second, operation=f"op{second}"))

    assert [e.operation for e in ledger.recent(3)] == ["op4", "op3", "op2"]
    assert [e.operation for e in ledger.recent()] == ["op4", "op3", "op2", "op1", "op0"]
    assert ledger.recent(0) == []


async def test_the_ledger_is_bounded_and_drops_the_oldest() -> None:
    ledger = InMemoryFloodLedger(capacity=3)
    for second in range(5):
        await ledger.record(event(10, at_second=second, operation=f"op{second}"))

    assert len(ledger) == 3
    assert [e.operation for e in ledger.recent(10)] == ["op4", "op3", "op2"]
    assert ledger.total_seconds == 50.0  # counts the evicted waits too


async def test_active_lists_waits_still_in_force() -> None:
    ledger = InMemoryFloodLedger()
    await ledger.record(event(30, at_second=0, operation="long"))
    await ledger.record(event(5, at_second=10, operation="short"))
    await ledger.record(event(3600, at_second=20, operation="huge"))

    assert [e.operation for e in ledger.active(T0 + timedelta(seconds=12))] == [
        "huge",
        "short",
        "long",
    ]
    assert [e.operation for e in ledger.active(T0 + timedelta(seconds=30))] == ["huge"]
    assert ledger.active(T0 + timedelta(hours=2)) == []


async def test_concurrent_records_are_all_kept() -> None:
    ledger = InMemoryFloodLedger()
    await asyncio.gather(*(ledger.record(event(1, at_second=i)) for i in range(100)))

    assert len(ledger) == 100
    assert ledger.total_seconds == 100.0


def test_capacity_must_be_positive() -> None:
    with pytest.raises(ValueError, match="capacity"):
        InMemoryFloodLedger(capacity=0)
