"""LiveEvents: Telethon's event handlers for the archive; every update becomes an ArchivePage."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from telethon import TelegramClient, events
from telethon.tl import types

from core.domain.archive import ArchivePage
from services.archiver.telethon_adapter.entities import marked_id
from services.archiver.telethon_adapter.live_pages import deletion_page, forum_flags, message_page

log = structlog.get_logger(__name__)

PageSink = Callable[[ArchivePage], Awaitable[None]]
NEW_MESSAGE_UPDATES = (types.UpdateNewMessage, types.UpdateNewChannelMessage)


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _is_service_message(update: Any) -> bool:
    return isinstance(update.message, types.MessageService)


@dataclass(slots=True)
class LiveEventStats:
    received: int = 0  # events the handlers were called with
    submitted: int = 0  # pages handed to the sink
    empty: int = 0  # events with nothing to archive (an empty message)
    failed: int = 0  # events that could not be mapped or handed over (logged)

    @property
    def handled(self) -> int:
        """Events completely dealt with: handed over, empty, or failed."""
        return self.submitted + self.empty + self.failed


class LiveEvents:
    """Registers handlers on ``client`` and hands each event's page to ``sink``
    (``LiveIngestor.submit``), which keeps what belongs to watched chats.

    New and edited messages come through ``events.NewMessage`` / ``events.MessageEdited``,
    which also unpack the short forms Telegram pushes for private chats and small groups;
    deletions through ``events.MessageDeleted``. Service messages come through a raw handler:
    ``events.ChatAction`` builds no event for many actions (migrations, forum topics, calls,
    cleared history ...) and every one must be archived. Albums need no grouping: each part
    arrives at once as its own message carrying the album's ``grouped_id``, instead of after
    ``events.Album``'s wait.

    Use a client built with ``sequential_updates=True`` (``client_from_settings`` does): then a
    message, its edit and its deletion reach the sink in the order Telegram sent them.
    """

    def __init__(
        self, client: TelegramClient, sink: PageSink, *, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self._client = client
        self._sink = sink
        self._clock = clock
        self._forums: dict[int, bool] = {}
        self._attached = False
        self.stats = LiveEventStats()

    def _handlers(self) -> list[tuple[Callable[[Any], Awaitable[None]], Any]]:
        return [
            (self.on_new_message, events.NewMessage()),
            (self.on_message_edited, events.MessageEdited()),
            (self.on_message_deleted, events.MessageDeleted()),
            (
                self.on_service_message,
                events.Raw(types=list(NEW_MESSAGE_UPDATES), func=_is_service_message),
            ),
        ]

    def attach(self) -> None:
        """Start receiving: register the handlers (once)."""
        if self._attached:
            return
        for callback, builder in self._handlers():
            self._client.add_event_handler(callback, builder)
        self._attached = True

    def detach(self) -> None:
        for callback, builder in self._handlers():
            self._client.remove_event_handler(callback, builder)
        self._attached = False

    async def on_new_message(self, event: Any) -> None:
        # ``_entities``: the users and chats the update came with (Telethon keeps them there).
        await self._message(event.message, event._entities, "new")

    async def on_message_edited(self, event: Any) -> None:
        await self._message(event.message, event._entities, "edited")

    async def on_service_message(self, update: Any) -> None:
        await self._message(update.message, getattr(update, "_entities", {}), "service")

    async def on_message_deleted(self, event: Any) -> None:
        self.stats.received += 1
        # Only channels and supergroups name the chat; elsewhere chat_id is None.
        page = deletion_page(event.deleted_ids, event.chat_id, self._clock())
        await self._submit(page, "deleted")

    async def _message(self, message: Any, entities: Mapping[int, Any], kind: str) -> None:
        self.stats.received += 1
        try:
            self._forums.update(forum_flags(entities))
            peer = getattr(message, "peer_id", None)
            forum = peer is not None and self._forums.get(marked_id(peer), False)
            page = message_page(message, entities, self._clock(), forum=forum)
        except Exception:
            self.stats.failed += 1
            log.exception("live_event_unmapped", kind=kind, message_id=getattr(message, "id", None))
            return
        if page is None:
            self.stats.empty += 1
            return
        await self._submit(page, kind)

    async def _submit(self, page: ArchivePage, kind: str) -> None:
        try:
            await self._sink(page)
        except Exception:
            # Telethon would only log it through the standard library: log it as an event.
            self.stats.failed += 1
            log.exception("live_event_not_submitted", kind=kind, size=len(page))
            return
        self.stats.submitted += 1
