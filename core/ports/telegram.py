"""What the services need from a Telegram user session; the archiver's Telethon adapter provides it.

Errors raised through these ports are Telegram's own (categorized by APIRetryWrapper) or
core.errors ones: NotFoundError (no such chat or message), InvalidInputError (a reference that
cannot name a chat), MediaUnavailableError (the message no longer has downloadable media).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Protocol

from core.domain.archive import ArchivePage
from core.domain.messages import ChatInfo


@dataclass(frozen=True, slots=True)
class ResolvedChat:
    chat: ChatInfo
    top_message_id: int | None  # the newest message id when resolved (None when unknown/empty)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    """Messages older than the requested offset, newest first, with their senders and media.

    ``lowest_id`` is the smallest message id in the page: the offset of the next request.
    An empty page (``lowest_id is None``) means the start of the history was reached.
    """

    page: ArchivePage
    lowest_id: int | None


class TelegramGateway(Protocol):
    """One Telegram account, as the archive needs it."""

    async def resolve_chat(self, reference: str) -> ResolvedChat:
        """@username, t.me link (public, t.me/c/<id>/<msg>) or numeric id -> the chat."""
        ...

    async def fetch_history(self, chat_id: int, *, offset_id: int, limit: int) -> HistoryPage:
        """One request: up to ``limit`` messages older than ``offset_id`` (0 = the newest)."""
        ...

    def download_media(self, chat_id: int, message_id: int) -> AsyncIterator[bytes]:
        """Stream the media of a message; an expired file reference is refreshed inside."""
        ...
