"""Desktop export values to domain objects: ids, dates, text, media kinds, service actions."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.domain.messages import ChatInfo, UserInfo
from services.importer.attachments import attachment_of
from services.importer.chats import ChatContext, ChatFacts
from services.importer.dates import DateFormatError, parse_date
from services.importer.ids import marked_chat, marked_peer
from services.importer.mapper import InvalidMessageError, MappingStats, MessageMapper
from services.importer.text import text_and_entities

MADRID = ZoneInfo("Europe/Madrid")


def context(chat_type: str = "private_supergroup", bare_id: int = 42, forum: bool = False):
    facts = ChatFacts(0, "chat", "Chat", chat_type, bare_id, 0, forum)
    return ChatContext.open(facts)


def mapper() -> MessageMapper:
    return MessageMapper(MADRID, MappingStats())


def message(**fields: Any) -> dict[str, Any]:
    return {"id": 7, "type": "message", "date": "2024-09-21T15:16:03",
            "date_unixtime": "1726924563", "text": "", **fields}  # fmt: skip


@pytest.mark.parametrize(
    ("chat_type", "expected"),
    [
        ("personal_chat", (123, "user")), ("bot_chat", (123, "bot")),
        ("saved_messages", (123, "user")), ("replies", (123, "user")),
        ("verification_codes", (123, "user")), ("private_group", (-123, "group")),
        ("private_supergroup", (-1000000000123, "supergroup")),
        ("public_supergroup", (-1000000000123, "supergroup")),
        ("public_group", (-1000000000123, "supergroup")),
        ("private_channel", (-1000000000123, "channel")),
        ("public_channel", (-1000000000123, "channel")),
        ("", (123, "unknown")), (None, (123, "unknown")), ("new_type", (123, "unknown")),
    ],
)  # fmt: skip
def test_chat_ids_are_marked_from_the_export_type(
    chat_type: str | None, expected: tuple[int, str]
) -> None:
    assert marked_chat(123, chat_type) == expected


def test_an_already_marked_chat_id_is_kept() -> None:
    assert marked_chat(-1001234, "public_channel") == (-1001234, "channel")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("user653911985", 653911985), ("chat555", -555), ("channel1234567890", -1001234567890),
        (653911985, 653911985), ("653911985", 653911985), ("-1001234", -1001234),
        (None, None), (True, None), ("userX", None), ("bot5", None), ({"id": 1}, None),
    ],
)  # fmt: skip
def test_peer_references_in_every_form(value: Any, expected: int | None) -> None:
    assert marked_peer(value) == expected


def test_unixtime_wins_over_the_local_text() -> None:
    raw = {"date": "2024-09-21T15:16:03", "date_unixtime": "1726924563"}
    assert parse_date(raw, "date", MADRID) == (datetime(2024, 9, 21, 13, 16, 3, tzinfo=UTC), False)


def test_old_dates_are_read_in_the_export_zone_including_daylight_saving() -> None:
    summer = parse_date({"date": "2020-07-15T12:00:00"}, "date", MADRID)
    winter = parse_date({"date": "2020-12-31T23:59:59"}, "date", MADRID)
    assert summer == (datetime(2020, 7, 15, 10, 0, tzinfo=UTC), True)
    assert winter == (datetime(2020, 12, 31, 22, 59, 59, tzinfo=UTC), True)


def test_an_ambiguous_local_time_takes_the_earlier_instant() -> None:
    # 2020-10-25 02:30 happened twice in Madrid (clocks went back at 03:00 CEST).
    value, _ = parse_date({"date": "2020-10-25T02:30:00"}, "date", MADRID)
    assert value == datetime(2020, 10, 25, 0, 30, tzinfo=UTC)


def test_without_a_zone_the_machine_local_zone_is_used() -> None:
    value, local = parse_date({"date": "2020-07-15T12:00:00"}, "date", None)
    assert local
    assert value == datetime(2020, 7, 15, 12, 0).astimezone().astimezone(UTC)


def test_an_explicit_offset_is_honoured_and_not_counted_as_local() -> None:
    value = parse_date({"edited": "2020-07-15T12:00:00+05:00"}, "edited", MADRID)
    assert value == (datetime(2020, 7, 15, 7, 0, tzinfo=UTC), False)


@pytest.mark.parametrize(
    "raw",
    [{"date": "21/09/2024"}, {"date": 5}, {"date_unixtime": "soon"},
     {"date_unixtime": "99999999999999999999"}],
)  # fmt: skip
def test_unreadable_dates_raise(raw: dict[str, Any]) -> None:
    with pytest.raises(DateFormatError, match="date"):
        parse_date(raw, "date", MADRID)


def test_entities_use_utf16_offsets_across_emoji_and_cjk() -> None:
    raw = message(text_entities=[
        {"type": "plain", "text": "👍 東京 "},
        {"type": "bold", "text": "мир"},
        {"type": "plain", "text": " "},
        {"type": "text_link", "text": "资料", "href": "https://example.org/資料"},
        {"type": "mention_name", "text": "José", "user_id": 111},
    ])  # fmt: skip
    text, entities = text_and_entities(raw)
    assert text == "👍 東京 мир 资料José"
    assert entities == (
        {"type": "bold", "offset": 6, "length": 3},
        {"type": "text_link", "offset": 10, "length": 2, "href": "https://example.org/資料"},
        {"type": "mention_name", "offset": 12, "length": 4, "user_id": 111},
    )


def test_old_exports_build_entities_from_the_text_array() -> None:
    raw = {"text": ["Mira ", {"type": "link", "text": "https://example.es/año"}, " ¡ojo!"]}
    text, entities = text_and_entities(raw)
    assert text == "Mira https://example.es/año ¡ojo!"
    assert entities == ({"type": "link", "offset": 5, "length": 22},)
    assert text_and_entities({"text": "sin formato"}) == ("sin formato", None)


@pytest.mark.parametrize(
    ("fields", "kind", "file_kind"),
    [
        ({"photo": "photos/p.jpg"}, "photo", "photo"),
        ({"file": "f/a.mp4", "media_type": "video_file"}, "video", "video"),
        ({"file": "f/a.ogg", "media_type": "voice_message"}, "voice", "voice"),
        ({"file": "f/a.mp4", "media_type": "video_message"}, "video_note", "video_note"),
        ({"file": "f/a.mp3", "media_type": "audio_file"}, "audio", "audio"),
        ({"file": "f/a.webp", "media_type": "sticker"}, "sticker", "sticker"),
        ({"file": "f/a.mp4", "media_type": "animation"}, "animation", "animation"),
        ({"file": "f/a.pdf"}, "document", "document"),
        ({"file": "f/a.bin", "media_type": "hologram"}, "document", "document"),
        ({"contact_information": {}, "contact_vcard": "f/c.vcf"}, "contact", "document"),
        ({"contact_information": {}}, "contact", None),
        ({"location_information": None}, "location", None),
        ({"place_name": "Café", "address": "Calle 1"}, "venue", None),
        ({"game_title": "G"}, "game", None), ({"invoice_information": "{}"}, "invoice", None),
        ({"poll": {}}, "poll", None), ({"todo_list": {}}, "todo", None),
        ({"giveaway_information": {}}, "giveaway", None),
        ({"giveaway_results": {}}, "giveaway_results", None),
        ({"paid_stars_amount": 5}, "paid_media", None),
    ],
)  # fmt: skip
def test_every_media_kind(fields: dict[str, Any], kind: str, file_kind: str | None) -> None:
    found = attachment_of(fields)
    assert found is not None
    assert (found.media_kind, found.file_kind) == (kind, file_kind)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("(File not included. Change data exporting settings to download.)", "not included"),
        ("(File exceeds maximum size. Change data exporting settings to download.)", "size"),
        ("(File unavailable, please try again later)", "unavailable"),
        ("(Photo not included. Change data exporting settings to download.)", "not included"),
        ("", "no file path"),
    ],
)
def test_placeholders_mean_no_local_file(value: str, reason: str) -> None:
    found = attachment_of({"photo": value, "photo_file_size": 2003698620})
    assert found is not None
    assert found.path is None
    assert found.missing is not None and reason in found.missing
    assert found.size == 2003698620


def test_a_regular_message_maps_every_column_and_keeps_the_rest() -> None:
    chat = context()
    raw = message(
        **{"edited": "2024-09-21T15:20:00", "edited_unixtime": "1726924800",
           "from": "José Núñez", "from_id": "user111", "author": "Equipo",
           "forwarded_from": "Canal", "forwarded_from_id": "channel777",
           "reply_to_message_id": 5, "reply_to_peer_id": "channel777", "via_bot": "@gif",
           "file": "video_files/a.mp4", "file_size": 10, "media_type": "video_file",
           "mime_type": "video/mp4", "duration_seconds": 3, "width": 640, "height": 360,
           "text": "Hola", "reactions": [{"type": "emoji", "count": 1, "emoji": "👍"}],
           "future_flag": True}
    )  # fmt: skip
    m = mapper()
    mapped = m.map(chat, raw)
    assert mapped is not None
    msg = mapped.message
    assert (msg.chat_id, msg.message_id, msg.sender_id) == (-1000000000042, 7, 111)
    assert (msg.kind, msg.media_kind, msg.text) == ("media", "video", "Hola")
    assert msg.edit_date == datetime(2024, 9, 21, 13, 20, tzinfo=UTC)
    assert (msg.reply_to_msg_id, msg.fwd_from_id, msg.fwd_from_name) == (5, -1000000000777, "Canal")
    assert msg.post_author == "Equipo"
    assert msg.action_data is not None
    assert msg.action_data["via_bot"] == "@gif"
    assert msg.action_data["reply_to_peer_id"] == "channel777"
    assert msg.action_data["duration_seconds"] == 3
    assert "future_flag" not in msg.action_data
    assert m.stats.unknown_keys == {"future_flag (message)": 1}
    assert m.stats.edited == 1
    ref = mapped.media_ref()
    assert ref is not None
    assert (ref.kind, ref.declared_size, ref.mime_type, str(ref.local_path)) == (
        "video", 10, "video/mp4", "video_files/a.mp4",
    )  # fmt: skip
    assert mapped.people == [
        UserInfo(id=111, first_name="José Núñez", is_deleted=None),
        ChatInfo(id=-1000000000777, kind="unknown", title="Canal"),
    ]


def test_deleted_accounts_become_deleted_users_without_a_name() -> None:
    chat = context()
    for name in (None, "Deleted Account"):
        mapped = mapper().map(chat, message(**{"from": name, "from_id": "user999"}))
        assert mapped is not None
        assert mapped.message.sender_id == 999
        assert mapped.people == [UserInfo(id=999, first_name=None, is_deleted=True)]


def test_a_hidden_forward_origin_is_kept_as_a_fact() -> None:
    mapped = mapper().map(context(), message(forwarded_from=None, text="x"))
    assert mapped is not None
    assert mapped.message.fwd_from_name is None
    assert mapped.message.action_data == {"forwarded_from": None}


def test_posts_of_the_chat_itself_add_no_separate_chat() -> None:
    mapped = mapper().map(context(bare_id=42), message(**{"from": "Chat", "from_id": "channel42"}))
    assert mapped is not None
    assert mapped.message.sender_id == -1000000000042
    assert mapped.people == []


def test_json_written_inside_a_string_is_decoded() -> None:
    raw = message(invoice_information='{"title": "Camiseta", "amount": 1999}')
    mapped = mapper().map(context(), raw)
    assert mapped is not None and mapped.message.action_data is not None
    assert mapped.message.action_data["invoice_information"] == {
        "title": "Camiseta",
        "amount": 1999,
    }


def service(**fields: Any) -> dict[str, Any]:
    return {"id": 9, "type": "service", "date": "2024-09-21T15:16:03",
            "date_unixtime": "1726924563", "actor": "Ana", "actor_id": "user1001",
            "text": "", "text_entities": [], **fields}  # fmt: skip


def test_service_messages_keep_the_action_and_all_its_fields() -> None:
    m = mapper()
    mapped = m.map(context(), service(action="invite_members", members=["José", None]))
    assert mapped is not None
    msg = mapped.message
    assert (msg.kind, msg.action, msg.sender_id) == ("service", "invite_members", 1001)
    assert msg.action_data == {"members": ["José", None]}
    assert mapped.people == [UserInfo(id=1001, first_name="Ana", is_deleted=None)]


def test_the_custom_action_and_unknown_actions_are_stored_and_counted() -> None:
    m = mapper()
    custom = m.map(context(), service(information_text="Ana se unió"))
    novel = m.map(context(), service(action="warp_drive", speed=9))
    assert custom is not None and novel is not None
    assert (custom.message.action, custom.message.action_data) == (
        "custom_action", {"information_text": "Ana se unió"},
    )  # fmt: skip
    assert (novel.message.action, novel.message.action_data) == ("warp_drive", {"speed": 9})
    assert m.stats.unknown_keys == {"action warp_drive": 1, "speed (service message)": 1}


def test_a_service_photo_is_media_of_the_service_message() -> None:
    mapped = mapper().map(context(), service(action="edit_group_photo", photo="photos/g.jpg"))
    assert mapped is not None
    assert (mapped.message.kind, mapped.message.media_kind) == ("service", "photo")
    ref = mapped.media_ref()
    assert ref is not None and ref.kind == "photo"


def test_forum_topics_follow_the_reply_chain() -> None:
    chat = context(forum=True)
    m = mapper()

    def topic(raw: dict[str, Any]) -> int | None:
        mapped = m.map(chat, raw)
        assert mapped is not None
        return mapped.message.topic_id

    assert topic(service(id=2, action="topic_created", title="Noticias")) == 2
    assert topic(message(id=3, reply_to_message_id=2)) == 2
    assert topic(service(id=4, action="topic_created", title="Soporte")) == 4
    assert topic(message(id=5, reply_to_message_id=3)) == 2
    assert topic(message(id=6, reply_to_message_id=4)) == 4
    assert topic(message(id=7)) is None  # General


def test_replies_outside_a_forum_have_no_topic() -> None:
    mapped = mapper().map(context(), message(reply_to_message_id=1))
    assert mapped is not None
    assert (mapped.message.reply_to_msg_id, mapped.message.topic_id) == (1, None)


def test_migrated_group_messages_keep_their_negative_ids_and_replies() -> None:
    mapped = mapper().map(context(), message(id=-999999939, reply_to_message_id=-999999940))
    assert mapped is not None
    assert (mapped.message.message_id, mapped.message.reply_to_msg_id) == (-999999939, -999999940)


def test_unsupported_messages_are_skipped_with_a_reason() -> None:
    m = mapper()
    assert m.map(context(), {"id": 3, "type": "unsupported"}) is None
    assert sum(m.stats.skipped.values()) == 1


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ({"type": "message", "date_unixtime": "1"}, "has no id"),
        ({"id": "7", "type": "message", "date_unixtime": "1"}, "not a number"),
        ({"id": 7, "type": "message", "text": "x"}, "has no date"),
        ({"id": 7, "type": "message", "date": "ayer"}, "does not parse"),
        ({"id": 7, "date_unixtime": "1", "edited": "mañana"}, "'edited'"),
        ([1, 2], "not an object"),
    ],
)
def test_messages_that_cannot_be_stored_raise(raw: Any, problem: str) -> None:
    with pytest.raises(InvalidMessageError, match=problem):
        mapper().map(context(), raw)
