"""Enrichment in batches over the real Telethon client and the fake MTProto sender, on both
dialects: flood waits, failures that stay with their user, timeouts, retries, the chat and
stale sweeps, and the enrich task through a real TaskWorker."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import pytest
from telethon.tl import TLRequest, functions

from core.db.database import Database, DatabaseFloodRecorder
from core.domain.flood import FloodWaitEvent
from core.errors import ConfigurationError, InvalidInputError, NotFoundError
from services.enrichment.task import enrich_task_handler
from services.tasks.queue import DONE, FAILED, TaskQueue
from services.tasks.worker import TaskWorker
from tests.fakes.telegram import FakeTelegram, FakeUser
from tests.fakes.telegram.enrichment import START, EnrichmentStack, build_enrichment
from tests.fakes.telegram.profiles import hang

GetFullUser = functions.users.GetFullUserRequest
Make = Callable[..., Awaitable[EnrichmentStack]]


@pytest.fixture
async def make(db: Database, tmp_path: Path) -> AsyncIterator[Make]:
    built: list[EnrichmentStack] = []

    async def _make(world: FakeTelegram, **settings: str) -> EnrichmentStack:
        built.append(await build_enrichment(world, db, tmp_path / "media", **settings))
        return built[-1]

    yield _make
    for stack in built:
        await stack.client.disconnect()


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


def _people(world: FakeTelegram, count: int) -> list[FakeUser]:
    return [world.add_user(f"Person {i}", username=f"person_{i}") for i in range(count)]


def _asked(world: FakeTelegram) -> list[int]:
    """Whose full profiles Telegram was asked for, in order."""
    requests: list[TLRequest] = world.log.received(GetFullUser)
    return [request.id.user_id for request in requests]


async def _flood_waits(db: Database) -> list[tuple[str, float, bool]]:
    async with db.reader() as uow:
        return [(e.operation, e.seconds, e.honoured) for e in await uow.flood_waits.recent()]


async def test_a_flood_wait_is_recorded_and_waited_out_and_the_batch_completes(
    make: Make, world: FakeTelegram
) -> None:
    people = _people(world, 5)
    stack = await make(world)
    await stack.vault(*people)
    world.faults.flood_wait(GetFullUser, nth=3, seconds=30)
    progress: list[tuple[int, int]] = []

    async def heard(done: int, total: int) -> None:
        progress.append((done, total))

    report = await stack.enricher.enrich_batch([p.id for p in people], progress=heard)

    assert (report.refreshed, report.failed, report.deferred) == (5, 0, 0)
    assert stack.time.sleeps == [30.0]
    assert await _flood_waits(stack.db) == [("users.GetFullUser", 30.0, True)]
    assert _asked(world) == [p.id for p in people[:3]] + [p.id for p in people[2:]]
    assert progress == [(2, 5), (4, 5), (5, 5)]


async def test_a_flood_wait_recorded_earlier_is_waited_out_before_asking(
    make: Make, world: FakeTelegram
) -> None:
    people = _people(world, 2)
    stack = await make(world)
    await stack.vault(*people)
    earlier = FloodWaitEvent(
        "users.GetFullUser", 120.0, START - timedelta(seconds=20), "FloodWaitError", True
    )
    await DatabaseFloodRecorder(stack.db).record(earlier)

    report = await stack.enricher.enrich_batch([p.id for p in people])

    assert report.refreshed == 2
    assert (stack.time.sleeps, stack.time.requests_at_sleep) == ([100.0], [0])
    assert _asked(world) == [p.id for p in people]


async def test_a_flood_wait_beyond_the_cap_leaves_the_rest_for_later(
    make: Make, world: FakeTelegram
) -> None:
    people = _people(world, 4)
    stack = await make(world)
    await stack.vault(*people)
    world.faults.flood_wait(GetFullUser, nth=2, seconds=5000)

    report = await stack.enricher.enrich_batch([p.id for p in people])
    later = await stack.enricher.enrich_batch([p.id for p in people[2:]])

    assert report.summary() == (
        "Refreshed 2 profiles: 0 changed, 1 failed (FLOOD_WAIT); "
        "2 left for later (FLOOD_WAIT, 5000 s left)"
    )
    assert later.summary() == (
        "Refreshed 0 profiles: 0 changed; 2 left for later (FLOOD_WAIT, 5000 s left)"
    )
    assert _asked(world) == [people[0].id, people[1].id]  # nobody else was asked meanwhile
    assert stack.time.sleeps == []
    assert await _flood_waits(stack.db) == [("users.GetFullUser", 5000.0, False)]


async def test_a_failing_user_does_not_stop_the_batch(make: Make, world: FakeTelegram) -> None:
    ana, gone, bruno = world.add_user("Ana"), world.add_user("Gone"), world.add_user("Bruno")
    ghost = FakeUser(id=777_777, first_name="Ghost")  # the vault knows a hash Telegram refuses
    stranger = world.add_user("Stranger")
    stack = await make(world)
    await stack.vault(ana, ghost, gone, bruno)
    await stack.vault(stranger, hashes=False)  # met without an access hash
    gone.deleted = True

    report = await stack.enricher.enrich_batch([ana.id, ghost.id, gone.id, stranger.id, bruno.id])

    assert report.summary() == (
        "Refreshed 5 profiles: 1 changed, 3 failed (USER_ID_INVALID, deleted account, not found)"
    )
    assert report.failed_users == [
        (ghost.id, "USER_ID_INVALID"), (gone.id, "deleted account"), (stranger.id, "not found"),
    ]  # fmt: skip
    assert _asked(world) == [ana.id, ghost.id, gone.id, bruno.id]
    deleted = await stack.row(gone.id)
    assert (deleted["is_deleted"], deleted["first_name"]) == (True, "Gone")
    assert [(c.field, c.old_value, c.new_value) for c in await stack.history(gone.id)] == [
        ("is_deleted", "False", "True")
    ]
    # Refused accounts go to the back of the next sweep instead of being asked first again.
    assert (await stack.row(ghost.id))["enriched_at"] == START
    assert (await stack.row(stranger.id))["enriched_at"] == START


async def test_each_attempt_is_bounded_by_the_timeout(make: Make, world: FakeTelegram) -> None:
    ana = world.add_user("Ana")
    stack = await make(world, USER_ENRICHMENT_TIMEOUT="1", USER_ENRICHMENT_MAX_RETRIES="0")
    await stack.vault(ana)
    unanswered = hang(stack.client, GetFullUser)

    result = await stack.enricher.enrich_user(ana.id)

    assert (result.refreshed, result.reason) == (False, "timeout")
    assert len(unanswered) == 1
    assert (await stack.row(ana.id))["enriched_at"] is None  # temporary: tried again next time


async def test_temporary_failures_are_retried_max_retries_times(
    make: Make, world: FakeTelegram
) -> None:
    ana = world.add_user("Ana")
    stack = await make(world, USER_ENRICHMENT_MAX_RETRIES="2")
    await stack.vault(ana)
    for nth in (1, 2, 3, 4):
        world.faults.fail(GetFullUser, nth=nth, error=lambda r: ConnectionResetError("reset"))

    failed = await stack.enricher.enrich_user(ana.id)
    assert (failed.reason, len(_asked(world)), stack.time.sleeps) == (
        "ConnectionResetError", 3, [1.0, 2.0],
    )  # fmt: skip
    recovered = await stack.enricher.enrich_user(ana.id)
    assert (recovered.refreshed, len(_asked(world))) == (True, 5)


async def test_a_revoked_session_stops_the_batch_with_its_message(
    make: Make, world: FakeTelegram
) -> None:
    people = _people(world, 3)
    stack = await make(world)
    await stack.vault(*people)
    world.faults.revoke_session()
    with pytest.raises(ConfigurationError, match="session was revoked"):
        await stack.enricher.enrich_batch([p.id for p in people])
    assert len(_asked(world)) == 1


async def test_chat_members_and_the_stale_sweep(make: Make, world: FakeTelegram) -> None:
    ana, bruno, carla, dan = _people(world, 4)
    talk = world.add_supergroup("Talk")
    stack = await make(world)
    await stack.vault(ana, bruno, chat=talk)
    await stack.vault(carla, dan)

    members = await stack.enricher.enrich_chat_members(talk.marked_id)
    assert (members.total, _asked(world)) == (2, [ana.id, bruno.id])
    with pytest.raises(NotFoundError, match="not in the vault"):
        await stack.enricher.enrich_chat_members(-1009999999)

    await stack.enricher.watch_person(carla.id)
    stack.time.advance(hours=2)
    first = await stack.enricher.enrich_stale(older_than=timedelta(hours=1), limit=2)
    assert (first.refreshed, _asked(world)[2:]) == (2, [carla.id, dan.id])
    rest = await stack.enricher.enrich_stale(older_than=timedelta(hours=1), limit=10)
    assert (rest.refreshed, _asked(world)[4:]) == (2, [ana.id, bruno.id])
    nothing = await stack.enricher.enrich_stale(older_than=timedelta(hours=1), limit=10)
    assert nothing.summary() == "No profiles to refresh"
    with pytest.raises(InvalidInputError, match="at least one profile"):
        await stack.enricher.enrich_stale(older_than=timedelta(hours=1), limit=0)
    with pytest.raises(InvalidInputError, match="cannot be negative"):
        await stack.enricher.enrich_stale(older_than=timedelta(hours=-1), limit=5)


async def test_the_enrich_task_runs_through_a_real_worker(make: Make, world: FakeTelegram) -> None:
    ana, bruno = world.add_user("Ana"), world.add_user("Bruno")
    ghost = FakeUser(id=777_777, first_name="Ghost")
    talk = world.add_supergroup("Talk")
    stack = await make(world)
    await stack.vault(ana, bruno, ghost, chat=talk)
    queue = TaskQueue(stack.db, clock=stack.time)
    worker = TaskWorker(queue, {"enrich": enrich_task_handler(stack.enricher)}, worker_id="w1")
    everyone, _ = await queue.enqueue("enrich", {"target": "all"})
    one, _ = await queue.enqueue("enrich", {"user_id": ana.id})
    chat, _ = await queue.enqueue("enrich", {"chat_id": str(talk.marked_id)})
    stale, _ = await queue.enqueue("enrich", {"target": "stale", "limit": 1})
    wrong, _ = await queue.enqueue("enrich", {"target": "everyone"})

    assert await worker.run_once() == 5

    done = await queue.get(everyone.id)
    assert (done.state, done.progress) == (DONE, {"done": 3, "total": 3})
    assert done.result is not None
    assert done.result["failed_users"] == [[ghost.id, "USER_ID_INVALID"]]
    assert [await _summary(queue, task.id) for task in (everyone, one, chat, stale)] == [
        "Refreshed 3 profiles: 0 changed, 1 failed (USER_ID_INVALID)",
        "Refreshed 1 profile: 0 changed",
        "Refreshed 3 profiles: 0 changed, 1 failed (USER_ID_INVALID)",
        "No profiles to refresh",  # everyone was refreshed a moment ago
    ]
    failed = await queue.get(wrong.id)
    assert (failed.state, failed.error) == (
        FAILED, "unknown enrich target 'everyone'; use 'all' or 'stale'",
    )  # fmt: skip


async def _summary(queue: TaskQueue, task_id: int) -> str:
    task = await queue.get(task_id)
    assert task.state == DONE and task.result is not None, task.error
    return str(task.result["summary"])
