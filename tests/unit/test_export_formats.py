"""Export formats, parts and argument parsing, without a database."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from core.errors import InvalidInputError
from services.export import ExportRequest, parse_export_args
from services.export.chats import chat_reference
from services.export.csv_format import COLUMNS, CsvFormat
from services.export.desktop_json import NOT_INCLUDED, chat_head, message_object, peer_id
from services.export.desktop_text import desktop_text, text_parts
from services.export.formats import DocumentFormat, document_format
from services.export.html_format import HtmlFormat
from services.export.json_format import JsonFormat
from services.export.models import (
    EarlierVersion,
    ExportChat,
    ExportMessage,
    ExportWindow,
    MediaFacts,
)
from services.export.parts import PartWriter
from services.export.service import chat_slug
from services.importer.ids import marked_chat, marked_peer
from services.importer.text import text_and_entities
from services.search.syntax import RefKind

MADRID = ZoneInfo("Europe/Madrid")
UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
CHAT = ExportChat(id=-1001234567890, kind="supergroup", title="Comunidad Ñandú", username=None)
WINDOW = ExportWindow(CHAT, None, None)
WHEN = datetime(2024, 3, 5, 10, 30, tzinfo=UTC)


def message(message_id: int = 1, **overrides: Any) -> ExportMessage:
    base = ExportMessage(
        chat_id=CHAT.id,
        message_id=message_id,
        date=WHEN + timedelta(minutes=message_id),
        text=f"message {message_id}",
        kind="text",
        sender_id=1001,
        sender_name="Ana García",
    )
    return replace(base, **overrides)


def parse(text: str, tz: ZoneInfo = MADRID) -> ExportRequest:
    return parse_export_args(text, tz=tz, now=NOW)


# --- Desktop text parts -------------------------------------------------------------------


def test_plain_text_is_a_string_and_one_plain_part() -> None:
    parts = text_parts("hola", ())
    assert desktop_text(parts) == "hola"
    assert parts == [{"type": "plain", "text": "hola"}]


def test_empty_text_has_no_parts() -> None:
    assert desktop_text(text_parts("", ())) == ""
    assert text_parts("", ()) == []


def test_entities_become_parts_with_their_extra_keys() -> None:
    entities = (
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "text_link", "offset": 5, "length": 4, "href": "https://example.org"},
    )
    parts = text_parts("Read this now", entities)
    assert desktop_text(parts) == [
        {"type": "bold", "text": "Read"},
        " ",
        {"type": "text_link", "text": "this", "href": "https://example.org"},
        " now",
    ]


def test_utf16_offsets_after_an_emoji_land_on_the_right_characters() -> None:
    text = "🌎 mundo"  # the globe is two UTF-16 code units
    parts = text_parts(text, ({"type": "italic", "offset": 3, "length": 5},))
    assert parts[-1] == {"type": "italic", "text": "mundo"}


def test_overlapping_entities_never_lose_text() -> None:
    entities = (
        {"type": "bold", "offset": 0, "length": 10},
        {"type": "italic", "offset": 3, "length": 4},
        {"type": "code", "offset": 8, "length": 50},
    )
    parts = text_parts("abcdefghijkl", entities)
    assert "".join(p["text"] for p in parts) == "abcdefghijkl"
    assert parts[0] == {"type": "bold", "text": "abcdefghij"}


def test_parts_read_back_by_the_importer_give_the_same_text_and_entities() -> None:
    text = "Hola 🌎 @ana visit https://x.org"
    entities = (
        {"type": "mention", "offset": 8, "length": 4},
        {"type": "link", "offset": 19, "length": 13},
    )
    parts = text_parts(text, entities)
    raw = {"text": desktop_text(parts), "text_entities": parts}
    assert text_and_entities(raw) == (text, entities)


# --- Desktop JSON objects -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("chat", "expected_type"),
    [
        (ExportChat(1001, "user", "Ana", None), "personal_chat"),
        (ExportChat(93372553, "bot", "BotFather", "botfather"), "bot_chat"),
        (ExportChat(-4001, "group", "Family", None), "private_group"),
        (ExportChat(-1001234567890, "supergroup", "Public", "pub"), "public_supergroup"),
        (ExportChat(-1001234567890, "channel", "Private", None), "private_channel"),
        (ExportChat(-77, "unknown", None, None), ""),
    ],
)
def test_chat_head_ids_map_back_to_the_marked_id(chat: ExportChat, expected_type: str) -> None:
    head = chat_head(chat)
    assert head["type"] == expected_type
    assert head["name"] == chat.title
    assert marked_chat(head["id"], head["type"])[0] == chat.id


@pytest.mark.parametrize("marked", [1001, -4001, -1001234567890, -1000000000000])
def test_peer_ids_map_back_through_the_importer(marked: int) -> None:
    assert marked_peer(peer_id(marked)) == marked


def test_regular_message_object_has_the_desktop_keys() -> None:
    found = message_object(
        message(
            7,
            reply_to=3,
            fwd_from_id=-1009876543210,
            fwd_from_name="News",
            post_author="Editor",
            via_bot="helperbot",
            edit_date=WHEN + timedelta(hours=1),
            entities=({"type": "bold", "offset": 0, "length": 7},),
        ),
        MADRID,
    )
    assert found["id"] == 7
    assert found["type"] == "message"
    assert found["date"] == "2024-03-05T11:37:00"  # wall time in the zone, as Desktop writes
    assert found["date_unixtime"] == str(int((WHEN + timedelta(minutes=7)).timestamp()))
    assert found["edited_unixtime"] == str(int((WHEN + timedelta(hours=1)).timestamp()))
    assert found["from"] == "Ana García"
    assert found["from_id"] == "user1001"
    assert found["author"] == "Editor"
    assert found["forwarded_from"] == "News"
    assert found["forwarded_from_id"] == "channel9876543210"
    assert found["reply_to_message_id"] == 3
    assert found["via_bot"] == "@helperbot"
    assert found["text"] == [{"type": "bold", "text": "message"}, " 7"]
    assert "vault" not in found


def test_media_from_the_media_row_uses_desktop_keys_and_the_placeholder() -> None:
    facts = MediaFacts("voice", "note.ogg", "audio/ogg", 2048)
    found = message_object(message(kind="media", media_kind="voice", media=facts), UTC_ZONE)
    assert found["file"] == NOT_INCLUDED
    assert found["media_type"] == "voice_message"
    assert (found["file_name"], found["mime_type"], found["file_size"]) == (
        "note.ogg",
        "audio/ogg",
        2048,
    )
    photo = message_object(message(kind="media", media_kind="photo"), UTC_ZONE)
    assert photo["photo"] == NOT_INCLUDED
    assert "photo_file_size" not in photo


def test_imported_media_keys_are_kept_with_paths_replaced() -> None:
    data = {"photo": "photos/photo_1.jpg", "width": 800, "height": 600, "saved_from": "X"}
    found = message_object(message(kind="media", media_kind="photo", action_data=data), UTC_ZONE)
    assert found["photo"] == NOT_INCLUDED
    assert (found["width"], found["height"], found["saved_from"]) == (800, 600, "X")


def test_service_message_keeps_actor_action_and_its_fields() -> None:
    service = message(
        kind="service",
        action="pin_message",
        action_data={"message_id": 4, "id": 999, "text": "never"},
        text="",
    )
    found = message_object(service, UTC_ZONE)
    assert found["type"] == "service"
    assert found["actor"] == "Ana García"
    assert found["actor_id"] == "user1001"
    assert found["action"] == "pin_message"
    assert found["message_id"] == 4
    assert found["id"] == 1  # action data never overrides the message's own keys
    assert found["text"] == ""
    custom = message_object(replace(service, action="custom_action"), UTC_ZONE)
    assert "action" not in custom


def test_a_sender_without_id_keeps_the_name_an_import_kept() -> None:
    anonymous = message(sender_id=None, sender_name=None, action_data={"from": "Old Name"})
    found = message_object(anonymous, UTC_ZONE)
    assert found["from"] == "Old Name"
    assert "from_id" not in found


def test_deletion_and_earlier_versions_go_under_vault() -> None:
    edited = message(
        deleted_at=WHEN + timedelta(days=1),
        edit_date=WHEN + timedelta(hours=2),
        versions=(EarlierVersion("first", None), EarlierVersion("second", WHEN)),
    )
    vault = message_object(edited, UTC_ZONE)["vault"]
    assert vault["deleted"] == "2024-03-06T10:30:00"
    assert vault["versions"] == [
        {"text": "first"},
        {
            "text": "second",
            "edited": "2024-03-05T10:30:00",
            "edited_unixtime": str(int(WHEN.timestamp())),
        },
    ]


# --- parts --------------------------------------------------------------------------------


def write_parts(fmt: DocumentFormat, messages: list[ExportMessage], limit: int) -> list[bytes]:
    writer = PartWriter(fmt, limit)
    for item in messages:
        writer.add(fmt.item(item))
    return writer.finish()


def test_json_parts_stay_within_the_limit_and_are_each_a_whole_document() -> None:
    fmt = JsonFormat(WINDOW, UTC_ZONE)
    messages = [message(i) for i in range(1, 31)]
    limit = len(fmt.header()) + len(fmt.footer()) + 3 * len(fmt.item(messages[0])) + 10
    parts = write_parts(fmt, messages, limit)
    assert len(parts) > 3
    assert all(len(part) <= limit for part in parts)
    documents = [json.loads(part) for part in parts]
    assert all(d["name"] == CHAT.title and d["id"] == 1234567890 for d in documents)
    ids = [m["id"] for d in documents for m in d["messages"]]
    assert ids == list(range(1, 31))


def test_a_message_larger_than_the_limit_goes_alone_in_its_part() -> None:
    fmt = JsonFormat(WINDOW, UTC_ZONE)
    messages = [message(1), message(2, text="x" * 5000), message(3)]
    limit = len(fmt.header()) + len(fmt.footer()) + 2 * len(fmt.item(messages[0])) + 10
    parts = write_parts(fmt, messages, limit)
    assert [[m["id"] for m in json.loads(p)["messages"]] for p in parts] == [[1], [2], [3]]
    assert len(parts[1]) > limit
    assert len(parts[0]) <= limit and len(parts[2]) <= limit


def test_no_messages_give_one_empty_valid_document() -> None:
    for name in ("json", "csv", "html"):
        fmt = document_format(name, WINDOW, UTC_ZONE)
        [part] = write_parts(fmt, [], 100)
        assert part == fmt.header() + fmt.footer()
    assert json.loads(write_parts(JsonFormat(WINDOW, UTC_ZONE), [], 100)[0])["messages"] == []


def test_part_writer_refuses_a_limit_below_one() -> None:
    with pytest.raises(ValueError, match="positive"):
        PartWriter(CsvFormat(), 0)


# --- CSV ----------------------------------------------------------------------------------


def csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def test_csv_has_the_columns_and_survives_commas_quotes_and_newlines() -> None:
    fmt = CsvFormat()
    tricky = 'one, "two"\nthree\r\nfour'
    item = message(
        5,
        text=tricky,
        reply_to=2,
        fwd_from_id=-1009876543210,
        edit_date=WHEN + timedelta(hours=1),
        deleted_at=WHEN + timedelta(days=1),
        kind="media",
        media_kind="photo",
    )
    content = fmt.header() + fmt.item(item) + fmt.footer()
    assert content.startswith("\ufeff".encode())
    [row] = csv_rows(content)
    assert tuple(row) == COLUMNS
    assert row == {
        "chat_id": str(CHAT.id),
        "message_id": "5",
        "date": "2024-03-05T10:35:00+00:00",
        "sender_id": "1001",
        "sender_name": "Ana García",
        "text": tricky,
        "kind": "media",
        "media_kind": "photo",
        "reply_to": "2",
        "forwarded_from": "-1009876543210",
        "edited": "2024-03-05T11:30:00+00:00",
        "deleted": "2024-03-06T10:30:00+00:00",
    }


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_defuses_formulas_in_free_text(start: str) -> None:
    fmt = CsvFormat()
    hostile = message(text=f"{start}HYPERLINK(\"http://evil\")", sender_name=f"{start}1+1",
                      fwd_from_name=f"{start}cmd")  # fmt: skip
    [row] = csv_rows(fmt.header() + fmt.item(hostile))
    assert row["text"] == f'\'{start}HYPERLINK("http://evil")'
    assert row["sender_name"] == f"'{start}1+1"
    assert row["forwarded_from"] == f"'{start}cmd"
    assert row["chat_id"] == str(CHAT.id)  # numbers the vault writes stay numbers


def test_csv_empty_optional_fields_are_empty() -> None:
    [row] = csv_rows(CsvFormat().header() + CsvFormat().item(message(sender_id=None)))
    assert (row["sender_id"], row["edited"], row["deleted"], row["reply_to"]) == ("", "", "", "")


# --- HTML ---------------------------------------------------------------------------------


class TagBalance(HTMLParser):
    """Fails on a closing tag that does not match the open one; notes every script."""

    VOID = frozenset({"meta", "br", "link", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.scripts = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.scripts += tag == "script"
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.texts.append(data)


def balanced(page: bytes) -> TagBalance:
    parser = TagBalance()
    parser.feed(page.decode())
    parser.close()
    assert parser.open == []
    return parser


def test_html_escapes_everything_and_is_a_standalone_page() -> None:
    chat = ExportChat(-4001, "group", "<b>Family</b> & co", None)
    fmt = HtmlFormat(ExportWindow(chat, None, None), MADRID)
    hostile = message(
        text='<script>alert("x")</script>',
        sender_name="<img src=x onerror=alert(1)>",
        fwd_from_name='"><script>',
        post_author="</article>",
        kind="service",
        action="<i>",
    )
    page = fmt.header() + fmt.item(hostile) + fmt.footer()
    parser = balanced(page)
    assert parser.scripts == 0
    text = "".join(parser.texts)
    assert '<script>alert("x")</script>' in text
    assert "<b>Family</b> & co" in text
    assert page.startswith(b"<!DOCTYPE html>")
    assert b"Content-Security-Policy" in page


def test_html_marks_deleted_and_edited_with_earlier_versions_in_the_zone() -> None:
    fmt = HtmlFormat(WINDOW, MADRID)
    edited = message(
        3,
        text="final",
        edit_date=datetime(2024, 7, 1, 8, 0, tzinfo=UTC),
        deleted_at=datetime(2024, 7, 2, 8, 0, tzinfo=UTC),
        versions=(EarlierVersion("<first>", None), EarlierVersion("second", WHEN)),
    )
    page = (fmt.header() + fmt.item(edited) + fmt.footer()).decode()
    balanced(page.encode())
    assert 'class="deleted edited"' in page
    assert "Deleted <time" in page and "2024-07-02 10:00:00 CEST" in page
    assert "Edited <time" in page and "2024-07-01 10:00:00 CEST" in page
    assert "2024-03-05 11:33:00 CET" in page  # the message's own date, in the zone
    assert "Earlier versions (2)" in page
    assert page.index(">final<") < page.index("Earlier versions")  # the current text first
    assert page.index("Earlier versions") < page.index("&lt;first&gt;") < page.index(">second<")


def test_html_header_states_the_period_and_zone() -> None:
    window = ExportWindow(CHAT, datetime(2024, 1, 1, tzinfo=UTC), None)
    header = HtmlFormat(window, MADRID).header().decode()
    assert "from 2024-01-01 01:00:00 CET to the latest" in header
    assert "Times in Europe/Madrid" in header


# --- arguments ----------------------------------------------------------------------------


def madrid_midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=MADRID).astimezone(UTC)


def test_chat_alone_exports_everything_as_json() -> None:
    assert parse("@Channel") == ExportRequest(chat="@Channel")


@pytest.mark.parametrize(
    ("text", "since", "until"),
    [
        ("@chan 2024-01-01..2024-02-01", madrid_midnight(2024, 1, 1), madrid_midnight(2024, 2, 2)),
        ("@chan 2024-01-01..", madrid_midnight(2024, 1, 1), None),
        ("@chan ..2024-02-01", None, madrid_midnight(2024, 2, 2)),
        ("@chan 2024-03-05", madrid_midnight(2024, 3, 5), madrid_midnight(2024, 3, 6)),
        ("@chan 2024-03", madrid_midnight(2024, 3, 1), madrid_midnight(2024, 4, 1)),
        ("@chan since 2024-01-01", madrid_midnight(2024, 1, 1), None),
        ("@chan SINCE 2024-01-01", madrid_midnight(2024, 1, 1), None),
        ("@chan 7d", NOW - timedelta(days=7), None),
        ("@chan 30D", NOW - timedelta(days=30), None),
    ],
)
def test_date_range_forms(text: str, since: datetime | None, until: datetime | None) -> None:
    request = parse(text)
    assert (request.since, request.until) == (since, until)


def test_days_are_read_in_the_admins_zone() -> None:
    assert parse("@chan 2024-07-01", tz=ZoneInfo("Asia/Tokyo")).since == datetime(
        2024, 6, 30, 15, 0, tzinfo=UTC
    )


def test_format_and_range_in_either_order_any_case() -> None:
    assert parse("@chan CSV 7d") == parse("@chan 7d csv")
    assert parse("@chan Html").fmt == "html"


def test_a_title_of_several_words_takes_options_from_its_end() -> None:
    request = parse("Comunidad Ñandú  html since 2024-01-01")
    assert request == ExportRequest("Comunidad Ñandú", "html", madrid_midnight(2024, 1, 1))


def test_a_quoted_title_may_end_in_a_date() -> None:
    assert parse('"Sales 2024-01" csv') == ExportRequest("Sales 2024-01", "csv")
    assert parse("“Sales csv”").chat == "Sales csv"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "name the chat"),
        ("   ", "name the chat"),
        ("@chan xml", "'xml' is not an export format"),
        ("@chan jsn", "did you mean json"),
        ("Family cvs", "did you mean csv"),
        ("@chan json csv", "one format"),
        ("@chan 7d 2024-01-01", "one date range"),
        ("@chan 2024-02-30", "not a valid YYYY-MM-DD"),
        ("@chan 2024-13-01..", "not a valid"),
        ("@chan 2024-03-01..2024-02-01", "ends before it starts"),
        ("@chan ..", "not a date range"),
        ("@chan 2024..2025..2026", "not a date range"),
        ("@chan since", "'since' needs a date"),
        ("@chan 0d", "between 1 and"),
        ('"Open quote csv', "never closed"),
        ("@bad-name", "not a valid @username"),
        ("t.me/+AbCdEf", "invite"),
        ("https://t.me/joinchat/AbCd", "invite"),
    ],
)
def test_unparseable_arguments_are_explained(text: str, reason: str) -> None:
    with pytest.raises(InvalidInputError, match=reason):
        parse(text)


def test_errors_about_dates_name_the_accepted_forms() -> None:
    with pytest.raises(InvalidInputError) as caught:
        parse("@chan 2024-02-30")
    assert "since 2024-01-01" in str(caught.value) and "7d" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("@Some_Channel", RefKind.USERNAME, "some_channel"),
        ("https://t.me/Some_Channel", RefKind.USERNAME, "some_channel"),
        ("t.me/s/some_channel", RefKind.USERNAME, "some_channel"),
        ("http://telegram.me/some_channel/123?single", RefKind.USERNAME, "some_channel"),
        ("https://t.me/c/1234567890/55", RefKind.ID, "-1001234567890"),
        ("-1001234567890", RefKind.ID, "-1001234567890"),
        ("  Comunidad   Ñandú ", RefKind.TITLE, "Comunidad Ñandú"),
        ('"Comunidad Ñandú"', RefKind.TITLE, "Comunidad Ñandú"),
    ],
)
def test_chat_references(raw: str, kind: RefKind, value: str) -> None:
    ref = chat_reference(raw)
    assert (ref.kind, ref.value) == (kind, value)


@pytest.mark.parametrize(
    ("chat", "slug"),
    [
        (ExportChat(-1, "channel", "Whatever", "Some_Chan"), "some_chan"),
        (ExportChat(-1, "group", "Comunidad Ñandú 🌎!", None), "comunidad-nandu"),
        (ExportChat(-4001, "group", "日本語", None), "chat4001"),
        (ExportChat(-4001, "group", None, None), "chat4001"),
    ],
)
def test_chat_slugs_are_file_name_safe(chat: ExportChat, slug: str) -> None:
    assert chat_slug(chat) == slug
