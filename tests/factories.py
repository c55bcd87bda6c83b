"""Builders for domain objects in tests: valid by default, override only what a test is about."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)


def chat(chat_id: int = -1001000000001, **overrides: Any) -> ChatInfo:
    base = ChatInfo(id=chat_id, kind="supergroup", title=f"Chat {chat_id}", username=None)
    return replace(base, **overrides)


def user(user_id: int = 1001, **overrides: Any) -> UserInfo:
    base = UserInfo(id=user_id, first_name="Ana", last_name="García", username=f"user{user_id}")
    return replace(base, **overrides)


def message(
    message_id: int = 1, chat_id: int = -1001000000001, **overrides: Any
) -> ArchivedMessage:
    base = ArchivedMessage(
        chat_id=chat_id,
        message_id=message_id,
        date=EPOCH + timedelta(minutes=message_id),
        text=f"message number {message_id}",
        sender_id=1001,
    )
    return replace(base, **overrides)


def at(minutes: int) -> datetime:
    return EPOCH + timedelta(minutes=minutes)
