"""The streaming reader of result.json: both forms, key order, broken input, bounded memory."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from core.errors import InvalidInputError
from services.importer.bench import generate_export
from services.importer.stream import ChatClosed, ChatOpened, ExportReader, MessagesRead

FIXTURES = Path(__file__).parents[1] / "fixtures" / "exports"
PEAK_BOUND = 3_000_000


def read_all(data: bytes, chunk_size: int = 64 * 1024) -> tuple[list[Any], ExportReader]:
    reader = ExportReader(io.BytesIO(data), "result.json", chunk_size=chunk_size)
    return list(reader), reader


def chats_and_ids(events: list[Any]) -> list[tuple[Any, str, list[int]]]:
    """(chat id, section, message ids) per chat, from the header complete at ChatClosed."""
    result: dict[int, list[int]] = {}
    closed = []
    for event in events:
        if isinstance(event, MessagesRead):
            result.setdefault(event.header.ordinal, []).extend(m["id"] for m in event.messages)
        elif isinstance(event, ChatClosed):
            closed.append(event.header)
    return [(h.id, h.section, result.get(h.ordinal, [])) for h in closed]


def test_a_single_chat_export_is_one_chat_at_the_root() -> None:
    events, reader = read_all((FIXTURES / "forum" / "result.json").read_bytes())
    assert isinstance(events[0], ChatOpened)
    assert chats_and_ids(events) == [(3000000001, "chat", list(range(1, 10)))]
    closed = events[-1]
    assert isinstance(closed, ChatClosed)
    assert (closed.header.name, closed.header.type, closed.header.count) == (
        "Foro 論壇", "public_supergroup", 9,
    )  # fmt: skip
    assert reader.unknown_keys == {}


def test_a_full_account_export_lists_chats_and_left_chats_and_skips_other_sections() -> None:
    events, reader = read_all((FIXTURES / "full_account" / "result.json").read_bytes())
    found = chats_and_ids(events)
    assert [(chat_id, section) for chat_id, section, _ in found] == [
        (111, "chats"), (5000000001, "chats"), (1001, "chats"), (6666, "chats"),
        (1777000000, "chats"), (1271266957, "chats"), (489000, "chats"),
        (1888000000, "left_chats"),
    ]  # fmt: skip
    assert found[-1][2] == [10, 11]
    assert set(reader.sections) >= {"personal_information", "contacts", "chats", "left_chats"}
    assert reader.unknown_keys == {}


def test_the_chat_header_may_come_after_the_messages() -> None:
    """Files re-serialized with sorted keys (jq -S) put name and type after messages."""
    data = json.loads((FIXTURES / "forum" / "result.json").read_bytes())
    sorted_bytes = json.dumps(data, sort_keys=True, indent=2).encode()
    assert sorted_bytes.index(b'"messages"') < sorted_bytes.index(b'"name": "Foro')
    events, _ = read_all(sorted_bytes, chunk_size=97)
    closed = [e.header for e in events if isinstance(e, ChatClosed)]
    assert [(h.name, h.type, h.id, h.count) for h in closed] == [
        ("Foro 論壇", "public_supergroup", 3000000001, 9)
    ]


def test_tiny_chunks_give_the_same_messages_as_one_big_chunk() -> None:
    data = (FIXTURES / "single_modern" / "result.json").read_bytes()
    whole, _ = read_all(data, chunk_size=len(data))
    tiny, _ = read_all(data, chunk_size=7)
    assert chats_and_ids(tiny) == chats_and_ids(whole)
    messages = [m for e in tiny if isinstance(e, MessagesRead) for m in e.messages]
    assert messages == json.loads(data)["messages"]


def test_unknown_keys_at_the_top_and_chat_level_are_counted_not_fatal() -> None:
    data = {
        "about": "x",
        "brand_new_section": {"deep": [1, {"x": 2}]},
        "chats": {
            "about": "y",
            "extra": 1,
            "list": [{"name": "A", "type": "private_group", "id": 5, "color": 2, "messages": []}],
        },
    }
    events, reader = read_all(json.dumps(data).encode())
    assert chats_and_ids(events) == [(5, "chats", [])]
    assert reader.unknown_keys == {
        "brand_new_section (top level)": 1, "extra (in chats)": 1, "color (chat)": 1,
    }  # fmt: skip


def test_known_desktop_json_bugs_are_repaired_and_counted() -> None:
    events, reader = read_all((FIXTURES / "desktop_bugs" / "result.json").read_bytes())
    messages = [m for e in events if isinstance(e, MessagesRead) for m in e.messages]
    assert messages[0]["text_entities"][0]["document_id"] == "video_files/sticker (2).webm"
    button = messages[1]["inline_bot_buttons"][0][0]
    assert button["data"] == "1=412\x012=97180\x013=292430"
    assert reader.repairs == {
        "custom emoji document_id without quotes": 2, "control character escaped as \\x": 4,
        "NUL character replaced": 2,
    }  # fmt: skip


def test_a_byte_order_mark_is_ignored() -> None:
    data = b"\xef\xbb\xbf" + (FIXTURES / "forum" / "result.json").read_bytes()
    events, _ = read_all(data, chunk_size=2)
    assert chats_and_ids(events)[0][0] == 3000000001


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(b"", "ends before the JSON is complete", id="empty"),
        pytest.param(b"[1, 2]", "the top level is an array", id="array"),
        pytest.param(b'"text"', "the top level is a string", id="string"),
        pytest.param(b'{"about": "x", "other": 1}', None, id="no-chats-is-fine"),
        pytest.param(b'{"a": 1}', "not a Telegram Desktop export", id="no-chats"),
        pytest.param(
            b'{"name": "A", "messages": {"id": 1}}',
            "'messages' is not an array",
            id="messages-object",
        ),
        pytest.param(b'{"chats": []}', "'chats' is not an object", id="chats-array"),
        pytest.param(b'{"chats": {"list": {}}}', "'chats.list' is not an array", id="list-obj"),
        pytest.param(
            b'{"chats": {"list": [1]}}', "an entry of 'chats.list' is a number", id="chat-number"
        ),
        pytest.param(b'{"name": {"x": 1}, "messages": []}', "'name' is an object", id="name"),
        pytest.param(b'{"messages": []} {}', "invalid JSON", id="trailing-data"),
        pytest.param(b'{"messages": [{"id": 1, "text": "a}]}', "truncated", id="open-string"),
        pytest.param(b'{"messages": [{"id": 1, "text": a}]}', "invalid JSON", id="bare-word"),
    ],
)
def test_malformed_structure_is_rejected_with_the_place(data: bytes, expected: str | None) -> None:
    if expected is None:
        read_all(data)
        return
    with pytest.raises(InvalidInputError, match=expected) as caught:
        read_all(data)
    assert str(caught.value).startswith("result.json: ")


def test_a_truncated_file_names_the_byte_range_where_it_stopped() -> None:
    data = (FIXTURES / "single_modern" / "result.json").read_bytes()
    cut = data[: len(data) // 2]
    with pytest.raises(InvalidInputError, match="ends before the JSON is complete") as caught:
        read_all(cut, chunk_size=1024)
    assert f"byte {len(cut):,}:" in str(caught.value)


def test_invalid_json_names_the_bytes_being_read_and_not_the_text() -> None:
    data = (
        (FIXTURES / "forum" / "result.json").read_bytes().replace(b'"Te ayudamos"', b"Te ayudamos")
    )
    with pytest.raises(InvalidInputError, match="invalid JSON") as caught:
        read_all(data, chunk_size=512)
    message = str(caught.value)
    found = re.search(r"bytes ([\d,]+)-([\d,]+):", message)
    assert found is not None
    start, end = (int(group.replace(",", "")) for group in found.groups())
    assert start <= data.index(b"Te ayudamos") < end
    assert "ayudamos" not in message


def test_parsing_is_streamed_with_bounded_batches_and_memory(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    generate_export(path, 15_000, seed=7, chats=3)
    size = path.stat().st_size
    assert size > 5_000_000
    chunk = 64 * 1024
    largest_batch = 0
    bytes_at_first_batch = None
    messages = 0
    tracemalloc.start()
    try:
        with path.open("rb") as stream:
            reader = ExportReader(stream, "result.json", chunk_size=chunk)
            for event in reader:
                if isinstance(event, MessagesRead):
                    if bytes_at_first_batch is None:
                        bytes_at_first_batch = reader.bytes_read
                    largest_batch = max(largest_batch, len(event.messages))
                    messages += len(event.messages)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert messages == 15_000
    # A batch holds only the messages one chunk completes (each message is > 100 bytes).
    assert largest_batch <= chunk // 100
    assert bytes_at_first_batch is not None and bytes_at_first_batch <= 2 * chunk
    # Loading the file whole takes several times its size; the reader's peak is a constant
    # (one chunk of events and its messages), measured at about 1.7 MB whatever the file size.
    assert peak < PEAK_BOUND < size // 2, f"peak {peak:,} bytes for a {size:,}-byte file"


def test_a_binary_file_is_refused_without_quoting_its_bytes() -> None:
    data = b'{"messages": [' + b"\x89PNG\r\n\x1a\n private-bytes-of-a-photo"
    with pytest.raises(InvalidInputError, match="invalid JSON") as caught:
        read_all(data, chunk_size=512)
    assert "private-bytes" not in str(caught.value)
    assert "PNG" not in str(caught.value)
