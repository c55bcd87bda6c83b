"""Messages, chats and users as the archive stores them, independent of Telegram's types."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ArchivedMessage:
    """One Telegram message (or service message) in a chat, as mapped by an archive source."""

    chat_id: int
    message_id: int
    date: datetime
    text: str = ""
    sender_id: int | None = None
    entities: tuple[dict[str, Any], ...] | None = None
    kind: str = "text"  # text, media, service
    action: str | None = None
    action_data: dict[str, Any] | None = None
    reply_to_msg_id: int | None = None
    topic_id: int | None = None
    fwd_from_id: int | None = None
    fwd_from_name: str | None = None
    fwd_date: datetime | None = None
    grouped_id: int | None = None
    via_bot_id: int | None = None
    post_author: str | None = None
    views: int | None = None
    media_kind: str | None = None
    edit_date: datetime | None = None

    @property
    def key(self) -> tuple[int, int]:
        return (self.chat_id, self.message_id)


@dataclass(frozen=True, slots=True)
class ChatInfo:
    """What the archive knows of a chat; ``None`` fields are unknown, not empty."""

    id: int
    kind: str
    title: str | None = None
    username: str | None = None
    about: str | None = None
    is_forum: bool | None = None
    access_hash: int | None = None
    photo_id: int | None = None
    participants_count: int | None = None
    migrated_to_id: int | None = None
    migrated_from_id: int | None = None


@dataclass(frozen=True, slots=True)
class UserInfo:
    """What the archive knows of a person or bot; ``None`` fields are unknown, not empty."""

    id: int
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    bio: str | None = None
    lang_code: str | None = None
    is_bot: bool | None = None
    is_premium: bool | None = None
    is_verified: bool | None = None
    is_scam: bool | None = None
    is_fake: bool | None = None
    is_deleted: bool | None = None
    access_hash: int | None = None
    photo_id: int | None = None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or (f"@{self.username}" if self.username else str(self.id))


@dataclass(frozen=True, slots=True)
class StoredMessageRef:
    """Where a message landed: its row key and its Telegram identity."""

    pk: int
    chat_id: int
    message_id: int


@dataclass(frozen=True, slots=True)
class WrittenMessage:
    """A message exactly as a write stored it (text included), with its row key.

    The detection step scans these inside the transaction that wrote them, instead of reading
    back what was just written.
    """

    pk: int
    message: ArchivedMessage


@dataclass(slots=True)
class IngestOutcome:
    """What a batch write changed; the detection step scans ``written_messages``."""

    inserted: list[StoredMessageRef] = field(default_factory=list)
    edited: list[StoredMessageRef] = field(default_factory=list)
    stored: dict[tuple[int, int], int] = field(default_factory=dict)  # every key -> row pk
    older_versions: int = 0
    unchanged: int = 0
    # The inserted, then the edited messages, as stored (the same order as the two lists).
    written_messages: list[WrittenMessage] = field(default_factory=list)

    @property
    def written(self) -> int:
        return len(self.inserted) + len(self.edited)
