"""What people type to name a chat -> ChatReference (no Telegram involved)."""

from __future__ import annotations

import pytest

from core.errors import InvalidInputError
from services.archiver.telethon_adapter.references import ChatReference, parse_reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("@Durov_Channel", ChatReference(username="durov_channel")),
        ("durov", ChatReference(username="durov")),
        ("  @durov  ", ChatReference(username="durov")),
        ("t.me/durov", ChatReference(username="durov")),
        ("https://t.me/durov/", ChatReference(username="durov")),
        ("http://www.telegram.me/durov", ChatReference(username="durov")),
        ("https://telegram.dog/durov", ChatReference(username="durov")),
        ("https://t.me/durov/123", ChatReference(username="durov", message_id=123)),
        ("https://t.me/durov/123?single", ChatReference(username="durov", message_id=123)),
        ("https://t.me/forum_chat/7/123", ChatReference(username="forum_chat", message_id=123)),
        ("https://t.me/s/durov", ChatReference(username="durov")),
        ("https://t.me/c/1234567890/55", ChatReference(chat_id=-1001234567890, message_id=55)),
        ("t.me/c/1234567890/9/55", ChatReference(chat_id=-1001234567890, message_id=55)),
        ("t.me/c/1234567890", ChatReference(chat_id=-1001234567890)),
        ("-1001234567890", ChatReference(chat_id=-1001234567890)),
        ("-4567", ChatReference(chat_id=-4567)),
        ("777000", ChatReference(chat_id=777000)),
        ("tg://resolve?domain=durov&post=4", ChatReference(username="durov", message_id=4)),
        (
            "tg://privatepost?channel=1234567890&post=5",
            ChatReference(chat_id=-1001234567890, message_id=5),
        ),
    ],
)
def test_every_reference_form_is_understood(text: str, expected: ChatReference) -> None:
    assert parse_reference(text) == expected


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("", "empty"),
        ("0", "not a chat id"),
        ("hello world", "not a chat reference"),
        ("@a", "not a chat reference"),
        ("@bad__name", "not a chat reference"),
        ("@name_", "not a chat reference"),
        ("@ñandú", "not a chat reference"),
        ("https://t.me/+AbCdEf123", "invite links are joined explicitly"),
        ("https://t.me/joinchat/AbCdEf123", "invite links are joined explicitly"),
        ("tg://join?invite=AbCdEf", "invite links are joined explicitly"),
        ("https://t.me/addstickers/Animals", "feature link"),
        ("https://t.me/c/notanumber/5", "expected t.me/c/"),
        ("https://t.me/", "names no chat"),
        ("https://example.com/durov", "not a chat reference"),
        ("tg://settings", "not a chat link"),
    ],
)
def test_anything_else_is_refused_with_a_hint(text: str, hint: str) -> None:
    with pytest.raises(InvalidInputError, match=hint):
        parse_reference(text)
