"""Private chats and basic groups belong to one account, on both dialects.

Telegram numbers their messages per account, so two accounts writing one would mix two
conversations under one (chat, message id). Another account's watch is refused naming the
owner, its ARCHIVE_ALL_DIALOGS leaves such a chat out (logged), its live path drops the chat's
events, and one first seen live is claimed by the account that saw it. Channels and supergroups
are not guarded: any account may ask for them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from structlog.testing import capture_logs

from core.db.database import Database
from core.db.repos.watch import numbers_messages_per_account
from core.db.tables import backfill_cursors, chats, watched_chats
from core.domain.archive import ArchivePage, Deletion
from core.domain.messages import ChatInfo
from core.ports.telegram import HistoryPage, ResolvedChat
from services.archiver.live import LiveIngestor
from services.archiver.watchlist import ChatOwnedError, WatchListService, register_account
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.tasks.queue import TaskQueue
from tests import factories as f
from tests.integration.account_support import add_accounts

NOW = datetime(2026, 1, 1, tzinfo=UTC)
ANA = f.chat(5001, kind="user", title="Ana")  # a private chat: the other person's user id
BOT = f.chat(5002, kind="bot", title="Helper bot")
FAMILY = f.chat(-4001, kind="group", title="Family")  # a basic group
ROOM = f.chat(-1001000000001, kind="supergroup", title="Room")
NEWS = f.chat(-1001000000002, kind="channel", title="News")
NEW_FRIEND = f.chat(5003, kind="user", title="New friend")
NEW_CHANNEL = f.chat(-1001000000003, kind="channel", title="New channel")


class Telegram:
    """Resolves references to known chats and lists dialogs, as the account asking sees them."""

    def __init__(self, *dialogs: ChatInfo) -> None:
        self.dialogs = list(dialogs)

    async def resolve_chat(self, reference: str) -> ResolvedChat:
        found = next(chat for chat in self.dialogs if str(chat.id) == reference)
        return ResolvedChat(found, top_message_id=10)

    async def fetch_history(self, chat_id: int, *, offset_id: int, limit: int) -> HistoryPage:
        raise NotImplementedError

    def download_media(self, chat_id: int, message_id: int):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    async def iter_dialog_chats(self) -> AsyncIterator[ChatInfo]:
        for chat in self.dialogs:
            yield chat

    async def join_invite(self, link: str) -> ResolvedChat:
        return await self.resolve_chat(link.rsplit("+", 1)[-1])  # t.me/+<chat id> here


def _service(
    db: Database, account: int | None, *dialogs: ChatInfo, all_dialogs: bool = False
) -> WatchListService:
    return WatchListService(
        db,
        Telegram(*dialogs),
        account_id=account,
        all_dialogs=all_dialogs,
        clock=lambda: NOW,
        monotonic=lambda: 0.0,  # a service's view of the watch list is read once
    )


async def _owners(db: Database) -> dict[int, tuple[int | None, bool]]:
    async with db.reader() as uow:
        query = select(watched_chats.c.chat_id, watched_chats.c.account_id, watched_chats.c.enabled)
        return {row[0]: (row[1], row[2]) for row in await uow.connection.execute(query)}


async def _unwatch(db: Database, chat_id: int) -> None:
    async with db.unit_of_work() as uow:
        await uow.watch.unwatch(chat_id)
        await uow.commit()


async def _watch_as(db: Database, chat: ChatInfo, account: int | None) -> None:
    """Store the chat as it is and put it on ``account``'s watch list (None: before accounts)."""
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([chat], NOW)
        await uow.watch.watch(chat.id, NOW, added_by=None, account_id=account)
        await uow.commit()


# -- which chats number their messages per account ---------------------------------------------


@pytest.mark.parametrize(
    ("chat_id", "kind", "per_account"),
    [
        (5001, "user", True),
        (5002, "bot", True),
        (-4001, "group", True),
        (-1001000000001, "supergroup", False),
        (-1001000000002, "channel", False),
        (-1001, "supergroup", False),  # the stored kind wins over the id's shape
        (5003, None, True),  # no kind known: the marked id tells
        (-999_999_999_999, "unknown", True),
        (-1_000_000_000_001, "unknown", False),
    ],
)
def test_private_chats_and_basic_groups_number_messages_per_account(
    chat_id: int, kind: str | None, per_account: bool
) -> None:
    assert numbers_messages_per_account(chat_id, kind) is per_account


# -- /watch ------------------------------------------------------------------------------------


@pytest.mark.parametrize("chat", [ANA, BOT, FAMILY], ids=["private", "bot", "basic_group"])
async def test_another_accounts_private_chat_or_basic_group_is_refused_naming_it(
    db: Database, chat: ChatInfo
) -> None:
    main, work = await add_accounts(db, "main", "work")
    await _service(db, main, chat).watch(str(chat.id))

    with pytest.raises(ChatOwnedError) as refused:
        await _service(db, work, chat).watch(str(chat.id))

    assert str(refused.value) == (
        f"{chat.title} ({chat.id}) belongs to the account 'main': Telegram numbers the messages "
        "of a private chat or basic group per account, so only that account may archive it"
    )
    assert (refused.value.chat_id, refused.value.owner.label) == (chat.id, "main")
    assert await _owners(db) == {chat.id: (main, True)}  # nothing changed hands
    await _service(db, main, chat).watch(str(chat.id))  # its own account may watch it again


async def test_the_refusal_holds_after_the_owner_stopped_watching(db: Database) -> None:
    main, work = await add_accounts(db, "main", "work")
    await _service(db, main, FAMILY).watch(str(FAMILY.id))
    await _unwatch(db, FAMILY.id)  # what is stored is still main's numbering

    with pytest.raises(ChatOwnedError, match="'main'"):
        await _service(db, work, FAMILY).watch_invite(f"https://t.me/+{FAMILY.id}")
    assert await _owners(db) == {FAMILY.id: (main, False)}


@pytest.mark.parametrize("chat", [ROOM, NEWS], ids=["supergroup", "channel"])
async def test_any_account_may_ask_for_a_channel_or_supergroup(
    db: Database, chat: ChatInfo
) -> None:
    main, work = await add_accounts(db, "main", "work")
    await _service(db, main, chat).watch(str(chat.id))
    service = _service(db, work, chat)
    assert (await service.watch(str(chat.id))).id == chat.id
    assert await _owners(db) == {chat.id: (main, True)}  # the first account keeps archiving it
    assert (await service.owner(chat.id)).label == "main"  # type: ignore[union-attr]


async def test_an_archiver_without_an_account_is_not_guarded(db: Database) -> None:
    [main] = await add_accounts(db, "main")
    await _service(db, main, ANA).watch(str(ANA.id))
    await _service(db, None, ANA).watch(str(ANA.id))  # as before accounts: one archiver
    assert await _owners(db) == {ANA.id: (main, True)}


# -- ARCHIVE_ALL_DIALOGS -------------------------------------------------------------------------


async def test_all_dialogs_leaves_out_another_accounts_private_chats_with_a_reason(
    db: Database,
) -> None:
    main, work = await add_accounts(db, "main", "work")
    for chat in (ANA, FAMILY, ROOM):
        await _service(db, main, chat).watch(str(chat.id))
    await _unwatch(db, FAMILY.id)
    dialogs = (ANA, FAMILY, ROOM, NEW_FRIEND, NEW_CHANNEL)

    with capture_logs() as logs:
        result = await _service(db, work, *dialogs).watch_all_dialogs()

    assert sorted(chat.id for chat in result.added) == sorted([NEW_FRIEND.id, NEW_CHANNEL.id])
    assert (result.already_watched, result.excluded, result.owned_elsewhere) == (1, 0, 2)
    assert await _owners(db) == {
        ANA.id: (main, True),
        FAMILY.id: (main, False),
        ROOM.id: (main, True),
        NEW_FRIEND.id: (work, True),
        NEW_CHANNEL.id: (work, True),
    }
    skipped = [entry for entry in logs if entry["event"] == "dialog_skipped"]
    assert sorted(entry["chat_id"] for entry in skipped) == sorted([ANA.id, FAMILY.id])
    assert {entry["owner"] for entry in skipped} == {"main"}
    assert all("number their messages per account" in entry["reason"] for entry in skipped)


# -- the live path -----------------------------------------------------------------------------


async def test_live_events_of_another_accounts_private_chat_are_dropped(db: Database) -> None:
    main, work = await add_accounts(db, "main", "work")
    for chat in (ANA, FAMILY, NEWS):
        await _watch_as(db, chat, main)
    await _unwatch(db, FAMILY.id)
    await _unwatch(db, NEWS.id)

    for all_dialogs in (False, True):
        service = _service(db, work, all_dialogs=all_dialogs)
        assert not await service.is_watched(ANA.id)
        assert not await service.is_watched(FAMILY.id)  # unwatched, but still main's numbering
        # an unwatched channel is anybody's in all-dialogs mode, as before
        assert await service.is_watched(NEWS.id) is all_dialogs
    owner = _service(db, main)
    assert await owner.is_watched(ANA.id) and not await owner.is_watched(FAMILY.id)


async def test_a_private_chat_first_seen_live_is_claimed_by_the_account_that_saw_it(
    db: Database,
) -> None:
    main, work = await add_accounts(db, "main", "work")
    seeing = _service(db, work, all_dialogs=True)

    assert await seeing.is_watched(NEW_FRIEND.id)
    assert await seeing.is_watched(NEW_FRIEND.id)  # claimed once, then known
    assert await seeing.is_watched(NEW_CHANNEL.id)  # a channel is written without a claim

    assert await _owners(db) == {NEW_FRIEND.id: (work, True)}
    async with db.reader() as uow:
        stub = await uow.chats.get(NEW_FRIEND.id)
        cursor = (
            await uow.connection.execute(
                select(backfill_cursors.c.done).where(backfill_cursors.c.chat_id == NEW_FRIEND.id)
            )
        ).scalar_one()
    assert stub is not None and stub["kind"] == "unknown"  # filled in by the page written next
    assert cursor is False  # the next catch-up fills its history
    other = _service(db, main, all_dialogs=True)
    assert not await other.is_watched(NEW_FRIEND.id)
    assert await other.is_watched(NEW_CHANNEL.id)


async def test_the_second_claim_of_a_chat_loses_to_the_first(db: Database) -> None:
    main, work = await add_accounts(db, "main", "work")
    await _watch_as(db, ROOM, main)
    first, second = _service(db, main, all_dialogs=True), _service(db, work, all_dialogs=True)
    for service in (first, second):
        await service.is_watched(ROOM.id)  # each has read the watch list: neither knows -4003

    assert await first.is_watched(-4003)
    assert not await second.is_watched(-4003)  # its claim finds main's row
    assert not await second.is_watched(-4003)
    assert (await _owners(db))[-4003] == (main, True)


async def test_without_all_dialogs_a_chat_nobody_watches_is_neither_written_nor_claimed(
    db: Database,
) -> None:
    [work] = await add_accounts(db, "work")
    assert not await _service(db, work).is_watched(NEW_FRIEND.id)
    assert await _owners(db) == {}
    async with db.reader() as uow:
        assert await uow.chats.get(NEW_FRIEND.id) is None


# -- chats from before accounts ----------------------------------------------------------------


async def test_private_chats_from_before_accounts_go_to_the_first_account(db: Database) -> None:
    for chat in (ANA, FAMILY, NEWS):
        await _watch_as(db, chat, None)  # watched by the single archiver of old
    async with db.unit_of_work() as uow:
        assert await uow.watch.adopt_unowned() == 0  # no account yet: nothing to give them to
        await uow.commit()

    main = await register_account(db, "main", 7000)
    work = await register_account(db, "work", 7001)

    assert await _owners(db) == {
        ANA.id: (main, True),
        FAMILY.id: (main, True),
        NEWS.id: (None, True),  # a channel stays anybody's
    }
    service = _service(db, work)
    assert not await service.is_watched(ANA.id) and await service.is_watched(NEWS.id)
    routed, _ = await TaskQueue(db, clock=lambda: NOW).enqueue("backfill", {"chat_id": ANA.id})
    assert routed.account_id == main


async def test_a_chat_of_unknown_kind_is_judged_by_its_id(db: Database) -> None:
    main, work = await add_accounts(db, "main", "work")
    unknown_private = ChatInfo(id=5009, kind="unknown", title=None)
    unknown_channel = ChatInfo(id=-1001000000009, kind="unknown", title=None)
    for chat in (unknown_private, unknown_channel):
        await _watch_as(db, chat, main)
        await _unwatch(db, chat.id)
    service = _service(db, work, all_dialogs=True)
    assert not await service.is_watched(unknown_private.id)
    assert await service.is_watched(unknown_channel.id)
    async with db.reader() as uow:
        kinds = dict((await uow.connection.execute(select(chats.c.id, chats.c.kind))).all())
    assert kinds == {unknown_private.id: "unknown", unknown_channel.id: "unknown"}


async def test_a_deletion_without_a_chat_stays_in_the_chats_of_the_account_that_saw_it(
    db: Database,
) -> None:
    # Telegram sends private-chat and basic-group deletions without the chat: message 7 of
    # Ana's chat is main's, message 7 of the Family group is work's.
    main, work = await add_accounts(db, "main", "work")
    await _watch_as(db, ANA, main)
    await _watch_as(db, FAMILY, work)
    async with db.unit_of_work() as uow:
        await uow.messages.upsert_batch(
            [f.message(7, chat_id=ANA.id), f.message(7, chat_id=FAMILY.id)]
        )
        await uow.commit()
    ingest = IngestService(db, MediaPolicy(frozenset()), clock=lambda: NOW)
    live = LiveIngestor(ingest, _service(db, work))
    await live.submit(ArchivePage(deletions=[Deletion((7,), NOW)]))
    await live.flush()

    async with db.reader() as uow:
        ana = await uow.messages.get(ANA.id, 7)
        family = await uow.messages.get(FAMILY.id, 7)
    assert ana is not None and ana["deleted_at"] is None
    assert family is not None and family["deleted_at"] == NOW
