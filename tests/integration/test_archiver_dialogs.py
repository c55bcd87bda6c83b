"""All my dialogs and invite links, with the real Telethon client over the scripted Telegram and the
watch list on both dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from telethon.tl import functions

from core.db.database import Database
from core.db.tables import watched_chats
from core.errors import InvalidInputError, NotFoundError
from services.archiver.watchlist import WatchListService
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser
from tests.fakes.telegram.archiver import ArchiverStack, build_archiver

GetDialogs = functions.messages.GetDialogsRequest
CheckInvite = functions.messages.CheckChatInviteRequest
ImportInvite = functions.messages.ImportChatInviteRequest


@dataclass
class Script:
    world: FakeTelegram
    ana: FakeUser
    news: FakeChat
    family: FakeChat
    groups: list[FakeChat]
    hidden: FakeChat  # private, the account is not in it yet


@pytest.fixture
def script() -> Script:
    world = FakeTelegram()
    ana = world.add_user("Ana", username="ana_garcia")
    news = world.add_channel("News", username="news")
    family = world.add_group("Family")
    groups = [world.add_supergroup(f"Group {i:03d}") for i in range(150)]  # two dialog pages
    hidden = world.add_channel("Hidden", private=True, member=False)
    for chat in (news, family, *groups, hidden):
        world.post(chat, "hello", ana)
    world.post(ana, "hola")
    return Script(world, ana, news, family, groups, hidden)


@pytest.fixture
async def archiver(script: Script, db: Database) -> AsyncIterator[ArchiverStack]:
    stack = build_archiver(script.world, db)
    yield stack
    await stack.close()


def watch_list(archiver: ArchiverStack, excluded: frozenset[int] = frozenset()) -> WatchListService:
    return WatchListService(archiver.db, archiver.gateway, excluded=excluded)


async def watched_rows(db: Database) -> dict[int, int | None]:
    """chat id -> added_by, for enabled rows."""
    async with db.reader() as uow:
        query = select(watched_chats.c.chat_id, watched_chats.c.added_by).where(
            watched_chats.c.enabled.is_(True)
        )
        return {row.chat_id: row.added_by for row in await uow.connection.execute(query)}


# -- all my dialogs --------------------------------------------------------------------------


async def test_every_dialog_is_listed_once_across_pages(
    script: Script, archiver: ArchiverStack
) -> None:
    chats = [chat async for chat in archiver.gateway.iter_dialog_chats()]

    ids = [chat.id for chat in chats]
    expected = {script.news.marked_id, script.family.marked_id, script.ana.id}
    expected |= {group.marked_id for group in script.groups}
    assert sorted(ids) == sorted(expected)  # each once; the unjoined private channel is absent
    kinds = {chat.id: chat.kind for chat in chats}
    assert (kinds[script.news.marked_id], kinds[script.ana.id]) == ("channel", "user")
    assert script.world.log.count(GetDialogs) == 2


async def test_a_flood_wait_while_listing_dialogs_is_waited_and_the_page_asked_again(
    script: Script, archiver: ArchiverStack
) -> None:
    script.world.faults.flood_wait(GetDialogs, nth=2, seconds=12)
    chats = [chat async for chat in archiver.gateway.iter_dialog_chats()]

    assert len(chats) == 153
    assert archiver.sleep.calls == [12.0]
    offsets = [type(r.offset_peer).__name__ for r in script.world.log.received(GetDialogs)]
    assert offsets == ["InputPeerEmpty", "InputPeerChannel", "InputPeerChannel"]


async def test_watching_all_dialogs_skips_the_excluded_and_is_idempotent(
    script: Script, archiver: ArchiverStack, db: Database
) -> None:
    service = watch_list(archiver, excluded=frozenset({script.groups[0].marked_id}))
    await service.watch("@news", added_by=42)

    first = await service.watch_all_dialogs()
    second = await service.watch_all_dialogs()

    rows = await watched_rows(db)
    assert len(first.added) == 151  # 153 dialogs, one excluded, one already watched
    assert (first.already_watched, first.excluded) == (1, 1)
    assert (len(second.added), second.already_watched) == (0, 152)
    assert script.groups[0].marked_id not in rows
    assert rows[script.news.marked_id] == 42  # who added it by hand is kept
    async with db.reader() as uow:
        assert await uow.chats.get(script.groups[0].marked_id) is None  # not even stored
        cursor = await uow.backfill.get(script.groups[1].marked_id)
    assert cursor is not None  # a backfill starts for every new dialog
    assert await service.is_watched(script.groups[1].marked_id)


async def test_explicit_exclusions_override_the_configured_ones(
    script: Script, archiver: ArchiverStack, db: Database
) -> None:
    service = watch_list(archiver, excluded=frozenset({script.news.marked_id}))
    result = await service.watch_all_dialogs([script.family.marked_id], backfill=False)

    rows = await watched_rows(db)
    assert script.family.marked_id not in rows
    assert script.news.marked_id in rows
    assert result.excluded == 1
    async with db.reader() as uow:
        assert await uow.backfill.get(script.news.marked_id) is None


# -- invite links ----------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["https://t.me/+{}", "t.me/joinchat/{}", "tg://join?invite={}"])
async def test_an_invite_link_joins_and_watches_the_chat_and_its_history_is_readable(
    script: Script, archiver: ArchiverStack, db: Database, form: str
) -> None:
    invite = script.world.add_invite(script.hidden)
    service = watch_list(archiver)

    chat = await service.watch_invite(form.format(invite.hash), added_by=7)

    assert (chat.id, chat.title, chat.kind) == (script.hidden.marked_id, "Hidden", "channel")
    assert script.world.log.count(CheckInvite) == 1
    assert script.world.log.count(ImportInvite) == 1
    assert (await watched_rows(db))[script.hidden.marked_id] == 7
    report = await archiver.backfill.backfill(script.hidden.marked_id)
    assert report.inserted == 1


async def test_an_invite_to_a_chat_the_account_is_in_only_resolves_it(
    script: Script, archiver: ArchiverStack
) -> None:
    invite = script.world.add_invite(script.news)
    resolved = await archiver.gateway.join_invite(invite.link)

    assert resolved.chat.id == script.news.marked_id
    assert script.world.log.count(ImportInvite) == 0


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        ("expired", NotFoundError, "expired"),
        ("unknown", NotFoundError, "not valid"),
        ("approval", InvalidInputError, "join request was sent"),
        ("not a link", InvalidInputError, "not an invite link"),
    ],
)
async def test_invite_links_that_cannot_be_joined_say_why(
    script: Script, archiver: ArchiverStack, make: str, error: type[Exception], message: str
) -> None:
    links = {
        "expired": script.world.add_invite(script.hidden, expired=True).link,
        "unknown": "https://t.me/+DoesNotExist0",
        "approval": script.world.add_invite(script.hidden, request_needed=True).link,
        "not a link": "@news",
    }
    with pytest.raises(error, match=message):
        await watch_list(archiver).watch_invite(links[make])
    assert not script.hidden.member


async def test_resolving_an_invite_link_never_joins(
    script: Script, archiver: ArchiverStack
) -> None:
    invite = script.world.add_invite(script.hidden)
    with pytest.raises(InvalidInputError, match="joined explicitly"):
        await watch_list(archiver).watch(invite.link)
    assert script.world.log.count(ImportInvite) == 0


async def test_without_a_telegram_session_dialogs_and_invites_are_refused(db: Database) -> None:
    service = WatchListService(db, None)
    with pytest.raises(InvalidInputError, match="session"):
        await service.watch_all_dialogs()
    with pytest.raises(InvalidInputError, match="session"):
        await service.watch_invite("https://t.me/+AbCdEfGh")
