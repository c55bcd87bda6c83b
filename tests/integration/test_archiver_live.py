"""Live updates end to end: the scripted Telegram pushes real update objects into a real, connected
Telethon client (the product's options); its update loop dispatches them to LiveEvents, which
hands pages to the LiveIngestor; the vault is checked on both dialects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from telethon.tl import functions, types

from core.db.database import Database
from core.db.tables import media as media_table
from core.db.tables import messages
from core.domain.archive import ArchivePage
from core.errors import ConfigurationError
from services.archiver.telethon_adapter.connection import connect_account, wait_disconnected
from services.archiver.telethon_adapter.live_events import LiveEvents
from services.archiver.telethon_adapter.session_errors import SESSION_REVOKED
from services.archiver.watchlist import WatchListService
from tests.fakes.telegram import FakeChat, FakeForward, FakeTelegram, FakeUser
from tests.fakes.telegram.archiver import LiveStack, build_live


@dataclass
class Script:
    world: FakeTelegram
    ana: FakeUser
    bob: FakeUser
    news: FakeChat  # a broadcast channel
    talk: FakeChat  # a supergroup
    family: FakeChat  # a basic group
    forum: FakeChat
    noise: FakeChat  # a supergroup nobody watches


@pytest.fixture
def script() -> Script:
    world = FakeTelegram()
    ana = world.add_user("Ana", last_name="García", username="ana_garcia")
    bob = world.add_user("Bob", username="bob")
    chats = (
        world.add_channel("News", username="news"),
        world.add_supergroup("Talk", username="talk"),
        world.add_group("Family", participants_count=3),
        world.add_forum("Forum", username="forum"),
        world.add_supergroup("Noise", username="noise"),
    )
    for chat in chats:
        world.post(chat, "before the archiver started", ana)
    world.post(ana, "hola")  # a private conversation, so ana is among the dialogs
    return Script(world, ana, bob, *chats)


@pytest.fixture
async def stack(script: Script, db: Database) -> AsyncIterator[LiveStack]:
    live = build_live(script.world, db)
    for reference in ("@news", "@talk", "@forum", "@ana_garcia", str(script.family.marked_id)):
        await live.watch.watch(reference, backfill=False)
    await live.start()
    yield live
    await live.stop()


async def stored(db: Database, chat_id: int) -> dict[int, dict[str, Any]]:
    async with db.reader() as uow:
        query = select(messages).where(messages.c.chat_id == chat_id)
        rows = (await uow.connection.execute(query)).mappings()
        return {row["message_id"]: dict(row) for row in rows}


async def versions(db: Database, chat_id: int, message_id: int) -> list[str]:
    async with db.reader() as uow:
        row = await uow.messages.get(chat_id, message_id)
        assert row is not None
        return [v["text"] for v in await uow.messages.versions(row["id"])]


async def test_a_channel_message_edited_then_deleted_keeps_both_versions_and_the_mark(
    script: Script, stack: LiveStack, db: Database
) -> None:
    world, news = script.world, script.news
    first = world.live.post(news, "first words")
    world.live.post(news, "stays")
    world.live.edit(news, first.id, "second words")
    world.live.delete(news, first.id)
    await stack.settle(4)
    await stack.stop()

    rows = await stored(db, news.marked_id)
    assert rows[first.id]["text"] == "second words"
    assert rows[first.id]["deleted_at"] is not None
    assert rows[first.id + 1]["deleted_at"] is None
    assert await versions(db, news.marked_id, first.id) == ["first words"]
    received = [type(u).__name__ for _, u in world.live.channels[news.id].entries]
    assert received == [
        "UpdateNewChannelMessage",
        "UpdateNewChannelMessage",
        "UpdateEditChannelMessage",
        "UpdateDeleteChannelMessages",
    ]


async def test_groups_and_private_chats_arrive_as_account_updates(
    script: Script, stack: LiveStack, db: Database
) -> None:
    world, family, ana = script.world, script.family, script.ana
    note = world.live.post(family, "dinner at eight", ana)
    world.live.edit(family, note.id, "dinner at nine")
    gone = world.live.post(family, "oops", ana)
    world.live.delete(family, gone.id)  # Telegram does not say where: ids are per account
    short = world.live.short_message(ana, "¿vienes?")
    await stack.settle(5)
    await stack.stop()

    group_rows = await stored(db, family.marked_id)
    assert group_rows[note.id]["text"] == "dinner at nine"
    assert group_rows[note.id]["sender_id"] == ana.id
    assert await versions(db, family.marked_id, note.id) == ["dinner at eight"]
    assert group_rows[gone.id]["deleted_at"] is not None
    private = await stored(db, ana.id)
    assert (private[short.id]["text"], private[short.id]["sender_id"]) == ("¿vienes?", ana.id)


async def test_chats_nobody_watches_are_ignored(
    script: Script, stack: LiveStack, db: Database
) -> None:
    world, noise = script.world, script.noise
    posted = world.live.post(noise, "nobody reads this", script.bob)
    world.live.post(script.bob, "a private chat that is not watched")
    world.live.delete(noise, posted.id)
    kept = world.live.post(script.talk, "this one counts", script.bob)
    await stack.settle(4)
    await stack.stop()

    assert await stored(db, noise.marked_id) == {}
    assert await stored(db, script.bob.id) == {}
    assert list(await stored(db, script.talk.marked_id)) == [kept.id]
    assert stack.live.stats.ignored == 3


async def test_service_messages_replies_forwards_and_topics_arrive(
    script: Script, stack: LiveStack, db: Database
) -> None:
    world, talk, forum, ana, bob = script.world, script.talk, script.forum, script.ana, script.bob
    rules = world.live.post(talk, "read the rules", ana)
    world.live.service(talk, types.MessageActionChatEditTitle("Talk 2"), ana)
    world.live.service(talk, types.MessageActionPinMessage(), ana, reply_to_msg_id=rules.id)
    world.live.service(talk, types.MessageActionChatJoinedByLink(inviter_id=ana.id), bob)
    reply = world.live.post(talk, "read them", bob, reply_to_msg_id=rules.id)
    forwarded = world.live.post(
        talk,
        "from the news",
        bob,
        forward=FakeForward(
            world.newest_first(script.news.marked_id)[0].date,
            from_id=script.news.marked_id,
            channel_post=1,
        ),
    )
    topic = world.live.service(forum, types.MessageActionTopicCreate("Trips", icon_color=0), ana)
    in_topic = world.live.post(forum, "where to?", bob, topic_id=topic.id)
    general = world.live.post(forum, "hello all", bob)
    await stack.settle(9)
    await stack.stop()

    rows = await stored(db, talk.marked_id)
    actions = [rows[i]["action"] for i in sorted(rows) if rows[i]["kind"] == "service"]
    assert actions == ["edit_group_title", "pin_message", "join_group_by_link"]
    pin = next(r for r in rows.values() if r["action"] == "pin_message")
    assert pin["action_data"] == {"message_id": rules.id}
    assert rows[reply.id]["reply_to_msg_id"] == rules.id
    assert rows[forwarded.id]["fwd_from_id"] == script.news.marked_id
    topics = await stored(db, forum.marked_id)
    assert topics[topic.id]["topic_id"] == topic.id
    assert topics[in_topic.id]["topic_id"] == topic.id
    assert topics[general.id]["topic_id"] == 1  # the General topic
    async with db.reader() as uow:
        chat = await uow.chats.get(talk.marked_id)
    assert chat is not None
    assert chat["title"] == "Talk"  # the entity still says so; the action records the change


async def test_an_album_arrives_as_messages_sharing_its_grouped_id(
    script: Script, stack: LiveStack, db: Database
) -> None:
    world = script.world
    photos = [world.add_photo(bytes([i]) * 2048) for i in range(3)]
    album = world.live.album(script.news, photos, caption="three views")
    await stack.settle(3)
    await stack.stop()

    rows = await stored(db, script.news.marked_id)
    grouped = {rows[m.id]["grouped_id"] for m in album}
    assert len(grouped) == 1
    assert None not in grouped
    assert [rows[m.id]["media_kind"] for m in album] == ["photo"] * 3
    async with db.reader() as uow:
        queued = await uow.connection.execute(
            select(func.count()).select_from(media_table).where(media_table.c.kind == "photo")
        )
    assert queued.scalar_one() == 3


async def test_a_group_upgraded_to_a_supergroup_links_both_chats(
    script: Script, db: Database
) -> None:
    stack = build_live(script.world, db)
    await stack.watch.watch(str(script.family.marked_id), backfill=False)
    await stack.start()
    supergroup = script.world.live.migrate(script.family)
    await stack.settle(2)
    await stack.live.flush()  # the migration is written in a batch of its own
    await stack.watch.watch(str(supergroup.marked_id), backfill=False)
    after = script.world.live.post(supergroup, "bigger now", script.ana)
    await stack.settle(3)
    await stack.stop()

    async with db.reader() as uow:
        group = await uow.chats.get(script.family.marked_id)
        channel = await uow.chats.get(supergroup.marked_id)
    assert group is not None
    assert channel is not None
    assert group["migrated_to_id"] == supergroup.marked_id
    assert channel["migrated_from_id"] == script.family.marked_id
    old_side = await stored(db, script.family.marked_id)
    assert any(r["action"] == "migrate_to_supergroup" for r in old_side.values())
    new_side = await stored(db, supergroup.marked_id)
    assert new_side[after.id]["text"] == "bigger now"


async def test_a_burst_of_a_thousand_events_is_written_in_a_few_transactions(
    script: Script, stack: LiveStack, db: Database
) -> None:
    for i in range(1000):
        script.world.live.post(script.talk, f"burst {i}", script.bob)
    await stack.settle(1000)
    await stack.stop()

    assert len(await stored(db, script.talk.marked_id)) == 1000
    assert stack.live.stats.batches <= 3
    assert stack.events.stats.failed == 0


async def test_updates_telegram_stopped_pushing_are_fetched_as_the_channel_difference(
    script: Script, stack: LiveStack, db: Database
) -> None:
    world, talk = script.world, script.talk
    world.live.post(talk, "seen live", script.bob)  # the client now knows the channel's pts
    await stack.settle(1)
    missed = [world.live.post(talk, f"missed {i}", script.bob, deliver=False) for i in range(5)]
    world.live.channel_too_long(talk)
    await stack.settle(6)
    await stack.stop()

    rows = await stored(db, talk.marked_id)
    assert all(rows[m.id]["text"] == m.text for m in missed)
    assert world.log.count(functions.updates.GetChannelDifferenceRequest) == 1


async def test_a_session_revoked_while_running_stops_with_one_clear_error(
    script: Script, stack: LiveStack
) -> None:
    client = stack.archiver.client
    running = asyncio.create_task(wait_disconnected(client))
    for _ in range(1000):  # let it ask for the state (login, then this) and wait for updates
        if script.world.log.count(functions.updates.GetStateRequest) >= 2:
            break
        await asyncio.sleep(0)
    script.world.auth.revoke(client.session.auth_key)  # terminated from another device
    script.world.live.push_to_key(client.session.auth_key.key_id, types.UpdatesTooLong())
    with pytest.raises(ConfigurationError) as raised:
        await running
    assert raised.value.report == SESSION_REVOKED
    # The update loop met the 401 getting the difference and disconnected: no retry loop.
    assert script.world.log.count(functions.updates.GetDifferenceRequest) == 2  # login + once
    assert not client.is_connected()


@pytest.mark.parametrize(
    ("inject", "message"),
    [("revoke", SESSION_REVOKED), ("deactivate", "the account was deactivated")],
)
async def test_a_dead_session_is_refused_at_start_up(
    script: Script, db: Database, inject: str, message: str
) -> None:
    stack = build_live(script.world, db)
    client = stack.archiver.client
    if inject == "revoke":
        script.world.auth.revoke(client.session.auth_key)
    else:
        script.world.faults.deactivate_account()
    with pytest.raises(ConfigurationError) as raised:
        await connect_account(client, stack.archiver.retry)
    await stack.stop()
    assert raised.value.report == message
    assert stack.archiver.sleep.calls == []  # never retried


async def test_an_event_that_cannot_be_handed_over_is_counted_and_the_next_one_arrives(
    script: Script, db: Database
) -> None:
    stack = build_live(script.world, db)
    await stack.watch.watch("@talk", backfill=False)
    handed: list[int] = []

    async def flaky_submit(page: ArchivePage) -> None:
        handed.append(len(page))
        if len(handed) == 1:
            raise ConnectionError("database restarting")
        await stack.live.submit(page)

    stack.events = LiveEvents(stack.archiver.client, flaky_submit)
    await stack.start()
    script.world.live.post(script.talk, "lost", script.bob)
    kept = script.world.live.post(script.talk, "kept", script.bob)
    await stack.settle(2)
    await stack.stop()

    assert (stack.events.stats.failed, stack.events.stats.submitted) == (1, 1)
    assert list(await stored(db, script.talk.marked_id)) == [kept.id]


async def test_a_migration_and_the_next_message_in_one_batch_keep_the_link(
    script: Script, db: Database
) -> None:
    stack = build_live(script.world, db)
    stack.live._watch = WatchListService(db, None, all_dialogs=True)  # every chat is watched
    await stack.start()
    supergroup = script.world.live.migrate(script.family)
    script.world.live.post(supergroup, "bigger now", script.ana)
    await stack.settle(3)
    await stack.stop()

    async with db.reader() as uow:
        channel = await uow.chats.get(supergroup.marked_id)
    assert channel is not None
    assert channel["migrated_from_id"] == script.family.marked_id
