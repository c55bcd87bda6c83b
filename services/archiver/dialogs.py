"""What the watch list needs from the account beyond the TelegramGateway port: its dialogs and
joining by invite link (the Telethon adapter's gateway provides both)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

from core.domain.messages import ChatInfo
from core.ports.telegram import ResolvedChat


@runtime_checkable
class DialogSource(Protocol):
    """The account's chat list, and the one way to join a chat: an explicit invite link."""

    def iter_dialog_chats(self) -> AsyncIterator[ChatInfo]:
        """Every dialog of the account, each once."""
        ...

    async def join_invite(self, link: str) -> ResolvedChat:
        """Join the chat of a t.me/+… (or t.me/joinchat/…) link; a member just resolves it.

        NotFoundError for an invalid or expired link, InvalidInputError when it needs an
        admin's approval (the request is sent) or is no invite link.
        """
        ...
