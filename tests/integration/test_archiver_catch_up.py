"""Start-up gap fill over every watched chat, with the real Telethon client over the scripted
Telegram, on both dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from telethon.tl import functions

from core.db.database import Database
from core.db.tables import messages
from core.errors import ConfigurationError
from services.archiver.catch_up import (
    CAUGHT_UP,
    FAILED,
    RESUMED,
    SKIPPED,
    ChatCatchUp,
    catch_up_all,
)
from services.archiver.telethon_adapter.session_errors import SESSION_REVOKED
from services.archiver.watchlist import WatchListService
from tests.fakes.telegram import FakeTelegram, SimulatedCrash
from tests.fakes.telegram.archiver import ArchiverStack, build_archiver

GetHistory = functions.messages.GetHistoryRequest


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def archiver(world: FakeTelegram, db: Database) -> AsyncIterator[ArchiverStack]:
    stack = build_archiver(world, db)
    yield stack
    await stack.close()


async def count(db: Database, chat_id: int) -> int:
    async with db.reader() as uow:
        query = select(func.count()).select_from(messages).where(messages.c.chat_id == chat_id)
        return int((await uow.connection.execute(query)).scalar_one())


async def test_each_watched_chat_gets_what_it_missed(
    world: FakeTelegram, archiver: ArchiverStack, db: Database
) -> None:
    ana = world.add_user("Ana", username="ana_garcia")
    done = world.add_supergroup("Done", username="done_chat")
    limited = world.add_channel("Limited", username="limited")
    live_only = world.add_supergroup("Live only", username="live_only")
    gone = world.add_channel("Gone", username="gone")
    for chat in (done, limited, live_only, gone):
        world.fill(chat, 250, ana)
    watch = WatchListService(db, archiver.gateway)
    for name in ("@done_chat", "@limited", "@gone"):
        await watch.watch(name)
    await watch.watch("@live_only", backfill=False)
    await archiver.backfill.backfill(done.marked_id)
    world.faults.crash(GetHistory, nth=world.faults.received[GetHistory.__name__] + 2)
    with pytest.raises(SimulatedCrash):  # killed in the middle of a limited pass
        await archiver.backfill.backfill(limited.marked_id, limit=150)
    world.fill(done, 30, ana)  # while the archiver was down
    gone.private = True  # the account was removed from it meanwhile

    restarted = build_archiver(world, db)
    seen: list[ChatCatchUp] = []

    async def on_chat(result: ChatCatchUp) -> None:
        seen.append(result)

    try:
        results = await catch_up_all(
            restarted.backfill, WatchListService(db, restarted.gateway), on_chat=on_chat
        )
    finally:
        await restarted.close()

    by_chat = {r.chat_id: r for r in results}
    assert seen == results
    assert [r.chat_id for r in results] == sorted(by_chat)
    assert (by_chat[done.marked_id].action, by_chat[done.marked_id].messages) == (CAUGHT_UP, 30)
    assert by_chat[limited.marked_id].action == RESUMED
    assert by_chat[live_only.marked_id].action == SKIPPED
    assert by_chat[gone.marked_id].action == FAILED
    assert "private" in (by_chat[gone.marked_id].error or "")
    assert await count(db, done.marked_id) == 280
    assert await count(db, limited.marked_id) == 150  # the pass kept its limit
    assert await count(db, live_only.marked_id) == 0


async def test_a_dead_session_stops_the_whole_catch_up(
    world: FakeTelegram, archiver: ArchiverStack, db: Database
) -> None:
    ana = world.add_user("Ana")
    first = world.add_supergroup("First", username="first")
    second = world.add_supergroup("Second", username="second")
    for chat in (first, second):
        world.fill(chat, 5, ana)
    watch = WatchListService(db, archiver.gateway)
    for chat in (first, second):
        await watch.watch(f"@{chat.username}")
        await archiver.backfill.backfill(chat.marked_id)
    world.faults.revoke_session()

    with pytest.raises(ConfigurationError) as raised:
        await catch_up_all(archiver.backfill, watch)
    assert raised.value.report == SESSION_REVOKED
    assert world.log.count(GetHistory) == 2 + 1  # the two backfills, then one refused request
