"""A page crosses from the parser process to the writer unchanged, its messages as columns."""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.db import sqlite_bulk
from core.domain.archive import MediaRef
from core.domain.detection import RuleMatch
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo
from services.importer.pages import PageDraft
from services.importer.transport import dumps, message_columns, messages_from_columns

WHEN = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def varied_messages() -> list[ArchivedMessage]:
    return [
        ArchivedMessage(chat_id=-1001, message_id=1, date=WHEN, text="hola año", sender_id=5),
        ArchivedMessage(
            chat_id=-1001,
            message_id=2,
            date=WHEN,
            text="",
            kind="service",
            action="pin_message",
            action_data={"message_id": 1},
            sender_id=None,
        ),
        ArchivedMessage(
            chat_id=-1001,
            message_id=3,
            date=WHEN,
            text="mira https://t.me/x",
            entities=({"type": "url", "offset": 5, "length": 14},),
            reply_to_msg_id=1,
            topic_id=9,
            fwd_from_id=-1002,
            fwd_from_name="Canal",
            fwd_date=WHEN,
            grouped_id=77,
            via_bot_id=88,
            post_author="Ana",
            views=1000,
            media_kind="photo",
            kind="media",
            edit_date=WHEN,
        ),
    ]


def full_page() -> PageDraft:
    messages = varied_messages()
    values, folded = sqlite_bulk.prepare(messages)
    return PageDraft(
        messages=messages,
        media=[MediaRef(-1001, 3, "photo", local_path=Path("photos/a.jpg"))],
        files={(-1001, 3): "photos/a.jpg"},
        missing=Counter({"file not included": 2}),
        chats={-1001: ChatInfo(id=-1001, kind="channel", title="Canal")},
        users={5: UserInfo(id=5, first_name="Ana")},
        opened=1,
        bytes_read=12345,
        matches={0: [RuleMatch(rule_id=4, message_pk=0, matched_text="hola", start=0, end=4)]},
        sqlite_values=values,
        folded=folded,
    )


def test_a_page_round_trips_field_for_field() -> None:
    page = full_page()
    restored = pickle.loads(dumps(("page", page)))[1]
    assert restored == page
    assert all(type(m) is ArchivedMessage for m in restored.messages)
    with pytest.raises(AttributeError):
        restored.messages[0].text = "changed"  # still frozen


def test_a_text_is_carried_once_for_the_message_and_its_row() -> None:
    restored: PageDraft = pickle.loads(dumps(full_page()))
    text_at = sqlite_bulk.MESSAGE_COLUMNS.index("text")
    assert restored.sqlite_values is not None
    shape, values = restored.sqlite_values[2]
    assert values[sum(shape[:text_at])] is restored.messages[2].text  # its place among non-NULLs


def test_an_empty_page_round_trips() -> None:
    assert pickle.loads(dumps(PageDraft())) == PageDraft()


def test_columns_rebuild_the_same_messages() -> None:
    messages = varied_messages()
    columns = message_columns(messages)
    assert len(columns) == len(ArchivedMessage.__slots__)
    assert messages_from_columns(columns) == messages
    assert messages_from_columns(message_columns([])) == []
