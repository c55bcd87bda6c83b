"""Telethon objects -> domain objects, fed with layer-229 TL read back from the wire format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telethon.tl import functions, types

from core.domain.archive import ArchivePage, MediaRef
from core.domain.messages import ArchivedMessage, ChatInfo
from services.archiver.telethon_adapter.entities import map_chat, map_user
from services.archiver.telethon_adapter.messages import history_page, map_message
from tests.fakes.telegram import FakeChat, FakeForward, FakeTelegram, FakeUser, over_the_wire
from tests.fakes.telegram.server import TelegramServer

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def page_of(world: FakeTelegram, chat: FakeChat | FakeUser) -> ArchivePage:
    """What Telegram would answer to getHistory, parsed by Telethon and mapped."""
    if isinstance(chat, FakeUser):
        peer: Any = types.InputPeerUser(chat.id, chat.access_hash)
    elif chat.is_channel:
        peer = types.InputPeerChannel(chat.id, chat.access_hash)
    else:
        peer = types.InputPeerChat(chat.id)
    request = functions.messages.GetHistoryRequest(peer, 0, None, 0, 100, 0, 0, 0)
    raw = over_the_wire(request, TelegramServer(world).handle(request, 2))
    return history_page(raw, chat.marked_id)


def by_id(page: ArchivePage) -> dict[int, ArchivedMessage]:
    return {m.message_id: m for m in page.messages}


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def ana(world: FakeTelegram) -> FakeUser:
    return world.add_user("Ana", last_name="García", username="ana_garcia", phone="34600000000")


# -- service messages -----------------------------------------------------------------------


def test_service_messages_carry_the_export_action_names_and_their_data(
    world: FakeTelegram, ana: FakeUser
) -> None:
    group = world.add_supergroup("Talk")
    bob = world.add_user("Bob")
    note = world.post(group, "read the rules", ana)
    title = world.service(group, types.MessageActionChatEditTitle("Talk 2"), ana)
    pin = world.service(group, types.MessageActionPinMessage(), ana, reply_to_msg_id=note.id)
    joined = world.service(group, types.MessageActionChatJoinedByLink(inviter_id=ana.id), bob)
    added = world.service(group, types.MessageActionChatAddUser([bob.id]), ana)
    ttl = world.service(group, types.MessageActionSetMessagesTTL(period=86400), ana)

    got = by_id(page_of(world, group))

    assert {m.kind for m in got.values() if m.message_id != note.id} == {"service"}
    assert (got[title.id].action, got[title.id].action_data) == (
        "edit_group_title",
        {"title": "Talk 2"},
    )
    assert (got[pin.id].action, got[pin.id].action_data) == ("pin_message", {"message_id": note.id})
    assert (got[joined.id].action, got[joined.id].sender_id) == ("join_group_by_link", bob.id)
    assert got[joined.id].action_data == {"inviter_id": ana.id}
    assert (got[added.id].action, got[added.id].action_data) == (
        "invite_members",
        {"members": [bob.id]},
    )
    assert (got[ttl.id].action, got[ttl.id].action_data) == ("set_messages_ttl", {"period": 86400})
    assert got[title.id].text == ""


def test_a_migration_maps_both_sides_to_marked_ids(world: FakeTelegram, ana: FakeUser) -> None:
    group = world.add_group("Family")
    world.post(group, "before the upgrade", ana)
    supergroup = world.migrate(group)

    old_side, new_side = page_of(world, group), page_of(world, supergroup)

    moved = next(m for m in old_side.messages if m.kind == "service")
    assert moved.action == "migrate_to_supergroup"
    assert moved.action_data == {"channel_id": supergroup.marked_id}
    came = new_side.messages[0]
    assert came.action == "migrate_from_group"
    assert came.action_data == {"title": "Family", "chat_id": group.marked_id}
    group_info = next(c for c in old_side.chats if c.id == group.marked_id)
    assert (group_info.kind, group_info.migrated_to_id) == ("group", supergroup.marked_id)


def test_an_unknown_action_degrades_to_a_generic_name_without_secrets(
    world: FakeTelegram, ana: FakeUser
) -> None:
    group = world.add_supergroup("Talk")
    call = types.InputGroupCall(id=77, access_hash=123456)
    world.service(group, types.MessageActionInviteToGroupCall(call=call, users=[ana.id]), ana)
    world.service(group, types.MessageActionHistoryClear(), ana)
    cleared, message = page_of(world, group).messages  # newest first
    assert (message.action, message.action_data) == (
        "invite_to_group_call",
        {"call": {"id": 77}, "users": [ana.id]},
    )
    assert (cleared.action, cleared.action_data) == ("clear_history", None)


# -- forwards, replies, albums, topics ------------------------------------------------------


def test_forwards_keep_the_origin_peer_or_the_hidden_name(
    world: FakeTelegram, ana: FakeUser
) -> None:
    group = world.add_supergroup("Talk")
    news = world.add_channel("News", username="news")
    from_channel = world.post(
        group, "breaking", ana, forward=FakeForward(WHEN, from_id=news.marked_id, channel_post=9)
    )
    hidden = world.post(group, "psst", ana, forward=FakeForward(WHEN, from_name="Somebody"))

    page = page_of(world, group)
    got = by_id(page)

    assert (got[from_channel.id].fwd_from_id, got[from_channel.id].fwd_date) == (
        news.marked_id,
        WHEN,
    )
    assert (got[hidden.id].fwd_from_id, got[hidden.id].fwd_from_name) == (None, "Somebody")
    assert news.marked_id in {c.id for c in page.chats}  # the origin comes with the page


def test_replies_point_at_message_ids_of_the_same_chat(world: FakeTelegram, ana: FakeUser) -> None:
    group = world.add_supergroup("Talk")
    question = world.post(group, "who?", ana)
    answer = world.post(group, "me", ana, reply_to_msg_id=question.id)
    got = by_id(page_of(world, group))
    assert got[answer.id].reply_to_msg_id == question.id
    assert got[question.id].reply_to_msg_id is None


def test_a_reply_to_another_chats_message_keeps_no_dangling_id() -> None:
    raw = types.Message(
        id=5, peer_id=types.PeerChannel(10), date=WHEN, message="see there",
        reply_to=types.MessageReplyHeader(
            reply_to_msg_id=99, reply_to_peer_id=types.PeerChannel(11)
        ),
    )  # fmt: skip
    mapped = map_message(raw)
    assert mapped is not None
    assert mapped.reply_to_msg_id is None


def test_albums_share_a_grouped_id_and_each_photo_is_a_media_ref(
    world: FakeTelegram, ana: FakeUser
) -> None:
    channel = world.add_channel("Photos")
    photos = [world.add_photo(bytes([i]) * 1000) for i in range(3)]
    posted = [world.post(channel, "", media=p, grouped_id=4242) for p in photos]

    page = page_of(world, channel)

    assert {m.grouped_id for m in page.messages} == {4242}
    assert {m.kind for m in page.messages} == {"media"}
    assert sorted((r.message_id, r.tg_file_id) for r in page.media) == [
        (m.id, p.id) for m, p in zip(posted, photos, strict=True)
    ]


def test_forum_messages_know_their_topic(world: FakeTelegram, ana: FakeUser) -> None:
    forum = world.add_forum("Help desk")
    general = world.post(forum, "hello all", ana)
    topic = world.service(forum, types.MessageActionTopicCreate("Bugs", icon_color=0x6FB9F0), ana)
    inside = world.post(forum, "it crashes", ana, topic_id=topic.id)
    reply = world.post(forum, "which version?", ana, topic_id=topic.id, reply_to_msg_id=inside.id)

    page = page_of(world, forum)
    got = by_id(page)

    assert next(c for c in page.chats if c.id == forum.marked_id).is_forum is True
    assert (got[general.id].topic_id, got[general.id].reply_to_msg_id) == (1, None)
    assert (got[topic.id].topic_id, got[topic.id].action) == (topic.id, "topic_created")
    assert got[topic.id].action_data == {
        "title": "Bugs",
        "icon_color": 0x6FB9F0,
        "title_missing": False,
    }
    assert (got[inside.id].topic_id, got[inside.id].reply_to_msg_id) == (topic.id, None)
    assert (got[reply.id].topic_id, got[reply.id].reply_to_msg_id) == (topic.id, inside.id)


def test_channel_posts_keep_views_signature_and_edits(world: FakeTelegram) -> None:
    channel = world.add_channel("News", signatures=True)
    post = world.post(channel, "v1", views=1500, post_author="Editor")
    world.edit(channel, post.id, "v2")
    mapped = page_of(world, channel).messages[0]
    assert (mapped.text, mapped.views, mapped.post_author) == ("v2", 1500, "Editor")
    assert mapped.edit_date == world.histories[channel.marked_id][post.id].edit_date
    assert mapped.sender_id == channel.marked_id  # an anonymous post is the channel's own


def test_via_bot_and_entities_are_kept_as_export_style_dicts(
    world: FakeTelegram, ana: FakeUser
) -> None:
    bot = world.add_user("Gif", username="gif", bot=True)
    group = world.add_supergroup("Talk")
    text = "👋 bold link @ana code"
    entities = [
        types.MessageEntityBold(offset=3, length=4),
        types.MessageEntityTextUrl(offset=8, length=4, url="https://example.org"),
        types.MessageEntityMentionName(offset=13, length=4, user_id=ana.id),
        types.MessageEntityPre(offset=18, length=4, language="python"),
        types.MessageEntityUrl(offset=0, length=2),
        types.MessageEntityCustomEmoji(offset=0, length=2, document_id=5368324170671202286),
        types.MessageEntityStrike(offset=3, length=1),
    ]
    world.post(group, text, ana, entities=entities, via_bot_id=bot.id)

    mapped = page_of(world, group).messages[0]

    assert mapped.via_bot_id == bot.id
    assert mapped.text == text  # raw text, never Telethon's Markdown rendering
    assert mapped.entities == (
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 4, "href": "https://example.org"},
        {"type": "mention_name", "offset": 13, "length": 4, "user_id": ana.id},
        {"type": "pre", "offset": 18, "length": 4, "language": "python"},
        {"type": "link", "offset": 0, "length": 2},
        {"type": "custom_emoji", "offset": 0, "length": 2, "document_id": "5368324170671202286"},
        {"type": "strikethrough", "offset": 3, "length": 1},
    )


# -- media kinds ----------------------------------------------------------------------------


MEDIA_CASES = [
    ("video", "video/mp4", [types.DocumentAttributeVideo(duration=3.0, w=640, h=480)]),
    ("video_note", "video/mp4", [types.DocumentAttributeVideo(3.0, 240, 240, round_message=True)]),
    ("voice", "audio/ogg", [types.DocumentAttributeAudio(duration=4, voice=True)]),
    ("audio", "audio/mpeg", [types.DocumentAttributeAudio(duration=200, title="Song")]),
    (
        "animation",
        "video/mp4",
        [types.DocumentAttributeAnimated(), types.DocumentAttributeVideo(1.0, 320, 240)],
    ),
    ("sticker", "image/webp", [types.DocumentAttributeSticker("😀", types.InputStickerSetEmpty())]),
    ("document", "application/pdf", []),
]


@pytest.mark.parametrize(("kind", "mime", "attributes"), MEDIA_CASES)
def test_documents_get_their_kind_from_their_attributes(
    world: FakeTelegram, kind: str, mime: str, attributes: list[Any]
) -> None:
    channel = world.add_channel("Files")
    file = world.add_document(b"d" * 2048, mime, attributes, file_name="thing.bin", dc_id=4)
    message = world.post(channel, "", media=file)

    page = page_of(world, channel)

    assert page.messages[0].media_kind == kind
    assert page.media == [
        MediaRef(
            channel.marked_id, message.id, kind, tg_file_id=file.id, dc_id=4,
            file_name="thing.bin", mime_type=mime, declared_size=2048,
        )
    ]  # fmt: skip


def test_a_photo_is_described_by_its_largest_size(world: FakeTelegram) -> None:
    channel = world.add_channel("Photos")
    photo = world.add_photo(b"\xff\xd8" + b"p" * 4000)
    world.post(channel, "caption", media=photo)
    page = page_of(world, channel)
    assert page.media == [
        MediaRef(
            channel.marked_id, 1, "photo", tg_file_id=photo.id, dc_id=2,
            mime_type="image/jpeg", declared_size=4002,
        )
    ]  # fmt: skip
    assert (page.messages[0].kind, page.messages[0].text) == ("media", "caption")


def test_media_that_are_not_files_keep_their_kind_and_queue_nothing(world: FakeTelegram) -> None:
    channel = world.add_channel("Misc")
    world.post(channel, "", media=types.MessageMediaGeo(types.GeoPoint(2.17, 41.38, 0)))
    world.post(channel, "", media=types.MessageMediaDice(value=6, emoticon="🎲"))
    world.post(
        channel, "https://example.org", media=types.MessageMediaWebPage(types.WebPageEmpty(1))
    )

    page = page_of(world, channel)

    assert [(m.kind, m.media_kind) for m in page.messages] == [
        ("text", None),
        ("media", "dice"),
        ("media", "location"),
    ]
    assert page.media == []


# -- people and chats -----------------------------------------------------------------------


def test_users_map_with_their_flags_and_collectible_usernames() -> None:
    user = types.User(
        id=42, access_hash=99, first_name="Zoë", last_name=None, bot=True, premium=True,
        usernames=[types.Username("old_name"), types.Username("zoe_bot", active=True)],
        photo=types.UserProfilePhoto(photo_id=555, dc_id=2),
    )  # fmt: skip
    mapped = map_user(user)
    assert mapped is not None
    assert (mapped.id, mapped.username, mapped.is_bot, mapped.is_premium) == (
        42,
        "zoe_bot",
        True,
        True,
    )
    assert (mapped.access_hash, mapped.photo_id, mapped.is_deleted) == (99, 555, False)
    assert map_user(types.UserEmpty(id=1)) is None


def test_a_min_user_leaves_what_it_does_not_know_unknown() -> None:
    mapped = map_user(types.User(id=7, min=True, access_hash=1, first_name="Min"))
    assert mapped is not None
    assert (mapped.access_hash, mapped.is_premium, mapped.first_name) == (None, None, "Min")


def test_chats_map_to_their_kinds_and_marked_ids() -> None:
    channel = types.Channel(
        id=5, title="News", photo=types.ChatPhotoEmpty(), date=None, access_hash=8,
        broadcast=True, username="news", participants_count=10,
    )  # fmt: skip
    forbidden = types.ChannelForbidden(id=6, access_hash=9, title="Gone", megagroup=True)
    private = map_chat(types.User(id=3, access_hash=4, first_name="Ana", last_name="G"))

    assert map_chat(channel) == ChatInfo(
        id=-1000000000005, kind="channel", title="News", username="news", is_forum=False,
        access_hash=8, participants_count=10,
    )  # fmt: skip
    gone = map_chat(forbidden)
    assert gone is not None
    assert (gone.id, gone.kind, gone.title) == (-1000000000006, "supergroup", "Gone")
    assert private is not None
    assert (private.id, private.kind, private.title) == (3, "user", "Ana G")


def test_a_private_conversation_page_names_the_person_as_the_chat(
    world: FakeTelegram, ana: FakeUser
) -> None:
    world.post(ana, "hola", ana)
    world.post(ana, "hey", world.me, out=True)
    page = page_of(world, ana)
    assert [(m.text, m.sender_id) for m in page.messages] == [
        ("hey", world.me.id),
        ("hola", ana.id),
    ]
    assert [(c.id, c.kind, c.title) for c in page.chats] == [(ana.id, "user", "Ana García")]


def test_an_empty_message_is_skipped() -> None:
    assert map_message(types.MessageEmpty(id=3, peer_id=types.PeerChannel(1))) is None
