"""The JSON cursor under the export reader: values cut by chunks, strictness, big values, and
the cheaper pickling of pages."""

from __future__ import annotations

import io
import json
import pickle
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from core.domain.archive import MediaRef
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo
from core.errors import InvalidInputError
from services.importer.events import JsonCursor
from services.importer.repair import RepairingReader
from services.importer.stream import ChatClosed, ExportReader, MessagesRead
from services.importer.transport import dumps


def read(data: bytes, chunk_size: int = 64 * 1024) -> tuple[list[Any], ExportReader]:
    reader = ExportReader(io.BytesIO(data), "result.json", chunk_size=chunk_size)
    events = list(reader)
    messages = [m for e in events if isinstance(e, MessagesRead) for m in e.messages]
    return messages, reader


def single_chat(*messages: str, chat_id: str = "1234567890123") -> bytes:
    body = ",\n".join(messages)
    text = f'{{"name": "Chat", "type": "private_group", "id": {chat_id},\n "messages": [\n{body}]}}'
    return text.encode()


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 7, 64])
def test_numbers_and_literals_cut_by_a_chunk_are_read_whole(chunk_size: int) -> None:
    data = single_chat('{"id": 98765, "x": true, "y": null, "z": -12.5e3, "w": false}')
    messages, _ = read(data, chunk_size)
    assert messages == [{"id": 98765, "x": True, "y": None, "z": -12500.0, "w": False}]
    header = next(e.header for e in reader_events(data, chunk_size) if isinstance(e, ChatClosed))
    assert header.id == 1234567890123


def reader_events(data: bytes, chunk_size: int) -> list[Any]:
    return list(ExportReader(io.BytesIO(data), "result.json", chunk_size=chunk_size))


@pytest.mark.parametrize(
    "value",
    [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"[1, 2,]", b'{"a": 1,}', b"'single'", b"01"],
)
def test_what_python_accepts_but_json_does_not_is_invalid(value: bytes) -> None:
    data = single_chat('{"id": 1, "x": ' + value.decode() + "}")
    with pytest.raises(InvalidInputError, match="invalid JSON"):
        read(data)


def test_a_control_character_inside_a_string_is_invalid() -> None:
    data = single_chat('{"id": 1, "text": "a\tb"}')
    with pytest.raises(InvalidInputError, match="invalid JSON"):
        read(data)


def test_text_that_is_not_utf8_is_invalid_json_and_not_quoted() -> None:
    data = single_chat('{"id": 1, "text": "secret-ok"}').replace(b"ok", b"\xff\xfe")
    with pytest.raises(InvalidInputError, match="not UTF-8") as caught:
        read(data, chunk_size=8)
    assert "secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("escaped", "expected", "repairs"),
    [
        (r"a\ud83d\ude00b", "a😀b", 0),  # a pair: an emoji, kept
        (r"a\ud83db", "a\ufffdb", 1),  # a high surrogate alone
        (r"a\ude00b", "a\ufffdb", 1),  # a low surrogate alone
        (r"\ud800\u0041", "\ufffdA", 1),  # a high one followed by another escape
        (r"\ud800\ud800\udc00", "\ufffd\U00010000", 1),  # alone, then a pair
        (r"a\\ud800", "a\\ud800", 0),  # an escaped backslash: plain text, not an escape
    ],
)
def test_lone_surrogate_escapes_become_replacement_characters(
    escaped: str, expected: str, repairs: int
) -> None:
    messages, reader = read(single_chat('{"id": 1, "text": "' + escaped + '"}'))
    assert messages[0]["text"] == expected
    assert messages[0]["text"].encode("utf-8")  # storable: no surrogate is left
    assert reader.repairs.get("lone UTF-16 surrogate replaced", 0) == repairs


def test_a_message_far_larger_than_a_chunk_is_read_in_few_passes() -> None:
    entities = [{"type": "bold", "text": f"parte {n} año"} for n in range(6000)]
    message = {"id": 1, "date_unixtime": "1", "text_entities": entities}
    data = single_chat(json.dumps(message, ensure_ascii=False, indent=1))
    assert len(data) > 300 * 1024
    cursor = JsonCursor(RepairingReader(io.BytesIO(data)), "result.json", chunk_size=1024)
    cursor.take("{")
    while cursor.key() != "messages":
        cursor.skip_value()
        assert cursor.after_item("}")
    cursor.take("[")
    assert cursor.value() == message
    # Each retry reads at least as much again as it holds: logarithmic, not one per chunk.
    assert cursor.refills < 20


def test_deeply_nested_unknown_sections_are_skipped_without_recursion() -> None:
    depth = 50_000
    data = b'{"other_data": ' + b"[" * depth + b"]" * depth + b', "messages": [{"id": 3}]}'
    messages, reader = read(data, chunk_size=4096)
    assert messages == [{"id": 3}]
    assert reader.sections == {"other_data": 1}


def test_a_value_broken_by_the_end_of_the_file_is_truncation_not_invalid_json() -> None:
    whole = single_chat('{"id": 1, "x": 12}')
    data = whole[: whole.index(b'"x": 12') + len('"x": 1')]  # the file ends inside the number
    with pytest.raises(InvalidInputError, match="truncated") as caught:
        read(data, chunk_size=4)
    assert f"byte {len(data):,}:" in str(caught.value)


def message(**fields: Any) -> ArchivedMessage:
    values: dict[str, Any] = {
        "chat_id": -1001, "message_id": 7, "date": datetime(2024, 1, 2, tzinfo=UTC),
        "text": "hola 👋", "entities": ({"type": "bold", "offset": 0, "length": 4},),
        "action_data": {"poll": {"answers": [1, 2]}}, "edit_date": None,
    }  # fmt: skip
    return ArchivedMessage(**{**values, **fields})


def test_pages_pickled_for_the_writer_come_back_equal() -> None:
    page = {
        "messages": [message(), message(message_id=8, kind="service", action="pin_message")],
        "people": [UserInfo(id=5, first_name="Ana"), ChatInfo(id=-9, kind="group", title="G")],
        "media": [MediaRef(-1001, 7, "photo", local_path=Path("photos/a.jpg"))],
    }
    restored = pickle.loads(dumps(page))
    assert restored == page
    assert type(restored["messages"][0]) is ArchivedMessage
    with pytest.raises(AttributeError):
        restored["messages"][0].text = "changed"  # still frozen
    assert pickle.loads(pickle.dumps(message())) == message()  # pickle's own path untouched
