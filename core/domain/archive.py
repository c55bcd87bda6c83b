"""What an archive source (backfill, live updates, Desktop import) hands to the ingest step."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo

MEDIA_KINDS = ("photo", "video", "document", "audio", "voice", "video_note", "sticker", "animation")


@dataclass(frozen=True, slots=True)
class MediaRef:
    """A message's media as Telegram describes it, before (or instead of) downloading it.

    ``tg_file_id`` is Telegram's photo/document id (stable across messages: dedup before
    download). ``local_path`` is set when the bytes are already on disk (Desktop export).
    """

    chat_id: int
    message_id: int
    kind: str
    tg_file_id: int | None = None
    dc_id: int | None = None
    file_name: str | None = None
    mime_type: str | None = None
    declared_size: int | None = None
    local_path: Path | None = None


@dataclass(frozen=True, slots=True)
class CursorUpdate:
    """Backfill progress committed with the page it describes (resume exactly here)."""

    chat_id: int
    next_offset_id: int | None
    fetched: int
    done: bool
    top_message_id: int | None = None
    account_id: int | None = None  # the account whose session fetched it (None: leave as is)


@dataclass(frozen=True, slots=True)
class Deletion:
    """Messages Telegram says were deleted; ``chat_id`` is None for private chats and groups.

    Those ids are numbered per account, so ``account_id`` (the account that saw the deletion)
    keeps a chat-less deletion to chats no other account owns.
    """

    message_ids: tuple[int, ...]
    deleted_at: datetime
    chat_id: int | None = None
    account_id: int | None = None


@dataclass(slots=True)
class ArchivePage:
    """One transaction's worth of archive data from any source."""

    messages: list[ArchivedMessage] = field(default_factory=list)
    chats: list[ChatInfo] = field(default_factory=list)
    users: list[UserInfo] = field(default_factory=list)
    media: list[MediaRef] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    observed_at: datetime | None = None

    def extend(self, other: ArchivePage) -> None:
        """Merge another page into this one (micro-batching); later items win on conflicts."""
        self.messages.extend(other.messages)
        self.chats.extend(other.chats)
        self.users.extend(other.users)
        self.media.extend(other.media)
        self.deletions.extend(other.deletions)

    def __len__(self) -> int:
        return len(self.messages) + len(self.deletions)
