"""Accounts side by side, on both dialects: a chat belongs to the account that watched it, and
each archiver keeps to its account's chats, tasks and media (chats from before accounts are
anybody's)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from core.db.database import Database
from core.db.tables import accounts, watched_chats
from core.ports.telegram import HistoryPage, ResolvedChat
from services.archiver.watchlist import WatchListService, register_account
from services.jobs.bodies import catch_up, retry_media
from services.tasks.queue import TaskQueue
from tests import factories as f
from tests.integration.account_support import add_accounts, media_of, queue_media, watch_chat
from tests.integration.scheduler_support import job_context

MINE, THEIRS, ANYBODYS, UNWATCHED = -1001, -1002, -1003, -1004
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class OneChatGateway:
    """Resolves any reference to one chat, as Telegram would for the account asking."""

    def __init__(self, chat_id: int) -> None:
        self.chat_id = chat_id

    async def resolve_chat(self, reference: str) -> ResolvedChat:
        return ResolvedChat(f.chat(self.chat_id), top_message_id=10)

    async def fetch_history(self, chat_id: int, *, offset_id: int, limit: int) -> HistoryPage:
        raise NotImplementedError

    def download_media(self, chat_id: int, message_id: int):  # type: ignore[no-untyped-def]
        raise NotImplementedError


async def _owners(db: Database) -> dict[int, int | None]:
    async with db.reader() as uow:
        query = select(watched_chats.c.chat_id, watched_chats.c.account_id)
        return dict((await uow.connection.execute(query)).all())


async def _three_chats(db: Database) -> tuple[int, int]:
    """MINE watched by account ``main``, THEIRS by ``work``, ANYBODYS from before accounts."""
    main, work = await add_accounts(db, "main", "work")
    await watch_chat(db, MINE, main)
    await watch_chat(db, THEIRS, work)
    await watch_chat(db, ANYBODYS, None)
    return main, work


# -- accounts and who owns a chat ------------------------------------------------------------


async def test_an_account_is_registered_once_per_label_and_follows_its_login(db: Database) -> None:
    main = await register_account(db, "main", 42)
    assert await register_account(db, "main", 43) == main  # logged in again as another user
    work = await register_account(db, "work", 44)
    assert work != main
    async with db.reader() as uow:
        rows = await uow.connection.execute(select(accounts.c.label, accounts.c.telegram_user_id))
        assert sorted(rows.all()) == [("main", 43), ("work", 44)]
        assert await uow.watch.account_ids() == [main, work]


async def test_a_chat_belongs_to_the_account_that_watched_it_first(db: Database) -> None:
    main, work = await add_accounts(db, "main", "work")
    await watch_chat(db, MINE, main)
    await watch_chat(db, MINE, work)  # the other archiver watches it too: it stays main's
    await watch_chat(db, ANYBODYS, None)
    await watch_chat(db, ANYBODYS, work)  # a chat from before accounts is adopted
    assert await _owners(db) == {MINE: main, ANYBODYS: work}

    async with db.unit_of_work() as uow:
        await uow.watch.unwatch(MINE)
        await uow.commit()
    await watch_chat(db, MINE, work)  # unwatched, then watched by another: now that one's
    assert await _owners(db) == {MINE: work, ANYBODYS: work}


async def test_watching_through_an_accounts_service_makes_the_chat_its_own(db: Database) -> None:
    [work] = await add_accounts(db, "work")
    service = WatchListService(db, OneChatGateway(MINE), account_id=work)
    await service.watch("@mine")
    legacy = WatchListService(db, OneChatGateway(ANYBODYS))  # a single-account archiver
    await legacy.watch("@anybodys")
    assert await _owners(db) == {MINE: work, ANYBODYS: None}


# -- the live path and the catch-up keep to the account's chats ------------------------------


async def test_each_archiver_keeps_the_events_of_its_own_chats_and_of_nobodys(
    db: Database,
) -> None:
    main, work = await _three_chats(db)
    mine = WatchListService(db, None, account_id=main)
    theirs = WatchListService(db, None, account_id=work)
    everyone = WatchListService(db, None)  # the bot, or an archiver from before accounts
    chats = (MINE, THEIRS, ANYBODYS, UNWATCHED)
    assert [await mine.is_watched(c) for c in chats] == [True, False, True, False]
    assert [await theirs.is_watched(c) for c in chats] == [False, True, True, False]
    assert [await everyone.is_watched(c) for c in chats] == [True, True, True, False]


async def test_all_dialogs_keeps_everything_except_another_accounts_chats(db: Database) -> None:
    main, _ = await _three_chats(db)
    service = WatchListService(
        db, None, account_id=main, all_dialogs=True, excluded=frozenset({-1009})
    )
    chats = (MINE, THEIRS, ANYBODYS, UNWATCHED, -1009)
    assert [await service.is_watched(c) for c in chats] == [True, False, True, True, False]


async def test_the_catch_up_fills_the_gaps_of_the_accounts_chats_only(db: Database) -> None:
    main, work = await _three_chats(db)
    for account, expected in ((main, [ANYBODYS, MINE]), (work, [ANYBODYS, THEIRS])):
        states = await WatchListService(db, None, account_id=account).backfill_states()
        assert sorted(state.chat_id for state in states) == sorted(expected)
    everything = await WatchListService(db, None).backfill_states()
    assert sorted(state.chat_id for state in everything) == sorted([MINE, THEIRS, ANYBODYS])


# -- tasks ------------------------------------------------------------------------------------


async def test_a_task_about_a_chat_goes_to_the_account_that_watches_it(db: Database) -> None:
    main, work = await _three_chats(db)
    queue = TaskQueue(db, clock=lambda: NOW)
    routed = {
        chat: (await queue.enqueue("backfill", {"chat_id": chat}))[0].account_id
        for chat in (MINE, THEIRS, ANYBODYS, UNWATCHED)
    }
    assert routed == {MINE: main, THEIRS: work, ANYBODYS: None, UNWATCHED: None}
    about_nothing, _ = await queue.enqueue("enrich", {"target": "stale", "chat_id": True})
    assert about_nothing.account_id is None  # not a chat id: anybody's
    reserved, _ = await queue.enqueue("backfill", {"chat_id": MINE}, account_id=work)
    assert reserved.account_id == work  # an explicit account wins
    assert (await queue.get(reserved.id)).account_id == work


async def test_a_worker_claims_its_accounts_tasks_and_anybodys(db: Database) -> None:
    main, work = await add_accounts(db, "main", "work")
    queue = TaskQueue(db, clock=lambda: NOW)
    ids = {}
    for name, account in (("main", main), ("work", work), ("any", None)):
        ids[name] = (await queue.enqueue("k", {"n": name}, account_id=account))[0].id
    taken = await queue.claim(("k",), "w-main", limit=10, account_id=main)
    assert sorted(t.id for t in taken) == sorted([ids["main"], ids["any"]])
    assert await queue.claim(("k",), "w-none", limit=10) == []  # no account: anybody's only
    [left] = await queue.claim(("k",), "w-work", limit=10, account_id=work)
    assert left.id == ids["work"] and left.account_id == work


async def test_work_for_every_account_is_queued_once_for_each(db: Database) -> None:
    queue = TaskQueue(db, clock=lambda: NOW)
    [(alone, created)] = await queue.enqueue_per_account("catch_up", dedup_key="job:catch_up")
    assert created and alone.account_id is None  # no account registered yet: anybody's
    await queue.claim(("catch_up",), "w")
    assert await queue.finish(alone.id, "w", "done")

    main, work = await add_accounts(db, "main", "work")
    first = await queue.enqueue_per_account("catch_up", dedup_key="job:catch_up")
    assert [(t.account_id, created) for t, created in first] == [(main, True), (work, True)]
    again = await queue.enqueue_per_account("catch_up", dedup_key="job:catch_up")
    assert [(t.id, created) for t, created in again] == [(t.id, False) for t, _ in first]


# -- media ------------------------------------------------------------------------------------


async def test_media_are_claimed_by_the_account_that_can_see_them(db: Database) -> None:
    main, work = await _three_chats(db)
    rows = {chat: await queue_media(db, chat, 3) for chat in (MINE, THEIRS, ANYBODYS, UNWATCHED)}
    async with db.unit_of_work() as uow:
        taken = await uow.media.claim_due(NOW, 100, "w-main", account_id=main)
        await uow.commit()
    assert sorted(r["id"] for r in taken) == sorted(rows[MINE] + rows[ANYBODYS] + rows[UNWATCHED])
    assert {r["chat_id"] for r in taken} == {MINE, ANYBODYS, UNWATCHED}
    async with db.unit_of_work() as uow:
        theirs = await uow.media.claim_due(NOW, 100, "w-work", account_id=work)
        await uow.commit()
    assert [r["id"] for r in theirs] == rows[THEIRS]


async def test_media_of_an_unwatched_chat_stay_with_its_account(db: Database) -> None:
    main, work = await add_accounts(db, "main", "work")
    await watch_chat(db, THEIRS, work)
    async with db.unit_of_work() as uow:
        await uow.watch.unwatch(THEIRS)  # its archived media still need work's session
        await uow.commit()
    await queue_media(db, THEIRS, 2)
    async with db.unit_of_work() as uow:
        assert await uow.media.claim_due(NOW, 10, "w-main", account_id=main) == []
        anyone = await uow.media.claim_due(NOW, 10, "w-old")  # no account: every row, as before
        await uow.commit()
    assert [r["id"] for r in anyone] == await media_of(db, THEIRS)


async def test_the_scheduled_catch_up_and_media_retry_reach_every_account(
    db: Database, tmp_path: Path
) -> None:
    main, _work = await add_accounts(db, "main", "work")
    context = await job_context(db, tmp_path)
    for body in (catch_up, retry_media):
        first = await body(context)
        assert first.data["queued"] is True and len(first.data["task_ids"]) == 2
        again = await body(context)  # each account's task is still queued: nothing new
        assert again.data["queued"] is False and again.data["task_ids"] == first.data["task_ids"]
    claimed = await TaskQueue(db).claim(("catch_up", "retry_media"), "w-main", 10, account_id=main)
    assert sorted(t.kind for t in claimed) == ["catch_up", "retry_media"]
    assert {t.account_id for t in claimed} == {main}
