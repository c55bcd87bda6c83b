"""What the export speaks: the request, the files it returns, and the messages it writes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ExportRequest:
    """``/export <chat> [json|csv|html] [date range]`` as parsed; dates are UTC instants."""

    chat: str  # @username, t.me link, numeric id or title as the admin typed it
    fmt: str = "json"  # json | csv | html
    since: datetime | None = None  # inclusive, UTC
    until: datetime | None = None  # exclusive, UTC


@dataclass(frozen=True, slots=True)
class ExportFile:
    """One document to send; every part is complete and valid on its own."""

    name: str  # e.g. "vault-export-<chatslug>-<from>-<to>-part1.json"
    content: bytes
    mime_type: str


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The exported chat and its parts (each at most the part limit, unless one message is)."""

    chat_id: int
    chat_title: str | None
    messages: int
    files: tuple[ExportFile, ...]


@dataclass(frozen=True, slots=True)
class ExportChat:
    """A chat as the vault knows it (the one being exported, or named by an admin)."""

    id: int  # marked id
    kind: str
    title: str | None
    username: str | None

    @property
    def label(self) -> str:
        """``Title (id)``, or ``@username (id)`` for an untitled chat."""
        name = self.title or (f"@{self.username}" if self.username else "untitled")
        return f"{name} ({self.id})"


@dataclass(frozen=True, slots=True)
class ExportWindow:
    """The chat and the UTC period ``since <= date < until`` to export; either side may be open."""

    chat: ExportChat
    since: datetime | None
    until: datetime | None


@dataclass(frozen=True, slots=True)
class MediaFacts:
    """The stored media row of a message (the file itself is never part of an export)."""

    kind: str
    file_name: str | None
    mime_type: str | None
    size: int | None


@dataclass(frozen=True, slots=True)
class EarlierVersion:
    """A text the message had before an edit; ``edit_date`` is None for the original."""

    text: str
    edit_date: datetime | None


@dataclass(frozen=True, slots=True)
class ExportMessage:
    """One stored message with the names and history every format writes."""

    chat_id: int
    message_id: int
    date: datetime
    text: str
    kind: str  # text, media, service
    sender_id: int | None = None
    sender_name: str | None = None
    entities: tuple[dict[str, Any], ...] = ()
    action: str | None = None
    action_data: dict[str, Any] | None = None
    reply_to: int | None = None
    fwd_from_id: int | None = None
    fwd_from_name: str | None = None
    post_author: str | None = None
    via_bot: str | None = None  # the bot's username, without '@'
    media_kind: str | None = None
    media: MediaFacts | None = None
    edit_date: datetime | None = None
    deleted_at: datetime | None = None
    versions: tuple[EarlierVersion, ...] = ()

    @property
    def forwarded(self) -> bool:
        hidden = self.action_data is not None and "forwarded_from" in self.action_data
        return self.fwd_from_id is not None or self.fwd_from_name is not None or hidden

    @property
    def forwarded_label(self) -> str | None:
        """The origin's name, else its id; None when the message is not forwarded."""
        if self.fwd_from_name:
            return self.fwd_from_name
        return str(self.fwd_from_id) if self.fwd_from_id is not None else None
