"""Updates: the getUpdates queue with long polling, and builders for the updates tests push."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from aiogram.types import Update
from pydantic import ValidationError

from tests.fakes.botapi.objects import chat_for, command_entities, user, user_message
from tests.fakes.botapi.records import ApiError
from tests.fakes.botapi.store import TelegramState, now

# Telegram leaves these out unless getUpdates asked for them by name.
NOT_SENT_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
MAX_LIMIT = 100
INCOMING_KEYS = ("message", "edited_message", "channel_post", "business_message")


def conflict() -> ApiError:
    return ApiError(
        409,
        "Conflict: terminated by other getUpdates request; "
        "make sure that only one bot instance is running",
    )


class Signal:
    """Wakes every waiter on each change; ``fire`` is synchronous so pushes stay plain calls."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def until(self, predicate: Callable[[], bool], seconds: float) -> bool:
        """Wait until ``predicate()`` holds or ``seconds`` pass; return whether it holds."""
        try:
            async with asyncio.timeout(seconds):
                while not predicate():
                    await self._event.wait()
        except TimeoutError:
            return predicate()
        return True


def update_type(update: dict[str, Any]) -> str:
    return next((key for key in update if key != "update_id"), "")


def validated(update: dict[str, Any]) -> None:
    """Reject what would wedge aiogram's polling: a malformed update is retried forever."""
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) != 1 or kinds[0] not in Update.model_fields:
        msg = f"an update carries exactly one known event, got {kinds}"
        raise ValueError(msg)
    try:
        json.dumps(update)  # what getUpdates will send must be plain JSON (no datetime objects)
        Update.model_validate(update)
    except (TypeError, ValidationError) as error:
        msg = f"invalid update {update!r}: {error}"
        raise ValueError(msg) from error


class UpdateQueue:
    """Unconfirmed updates in id order; ``offset`` confirms, long polls wait for new ones."""

    def __init__(self, signal: Signal) -> None:
        self.pending: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []  # types getUpdates' allowed_updates excluded
        self.closing = False
        self._signal = signal
        self._last_allocated = 0
        self._last_queued = 0
        self._allowed: frozenset[str] | None = None
        self._poll_generation = 0

    def allocate_id(self) -> int:
        self._last_allocated += 1
        return self._last_allocated

    def push(self, update: dict[str, Any]) -> None:
        """Queue ``update`` (its id must exceed every queued id), or drop an unwanted type."""
        if update["update_id"] <= self._last_queued:
            msg = f"update_id {update['update_id']} must exceed the last queued {self._last_queued}"
            raise ValueError(msg)
        self._last_queued = self._last_allocated = max(self._last_allocated, update["update_id"])
        kind = update_type(update)
        wanted = kind not in NOT_SENT_BY_DEFAULT if self._allowed is None else kind in self._allowed
        (self.pending if wanted else self.dropped).append(update)
        self._signal.fire()

    async def get(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Answer one getUpdates call; a newer call ends this one with 409, as in Telegram."""
        self._configure(params.get("allowed_updates"))
        self._confirm(params.get("offset"))
        self._poll_generation += 1
        generation = self._poll_generation
        limit = min(max(_int(params.get("limit"), MAX_LIMIT), 1), MAX_LIMIT)
        await self._signal.until(
            lambda: self.closing or bool(self.pending) or generation != self._poll_generation,
            max(_int(params.get("timeout"), 0), 0),
        )
        if generation != self._poll_generation and not self.closing:
            raise conflict()
        return [] if self.closing else self.pending[:limit]

    def _configure(self, allowed: Any) -> None:
        if isinstance(allowed, list):  # absent keeps the previous setting, [] means the default
            self._allowed = frozenset(allowed) if allowed else None

    def _confirm(self, offset: Any) -> None:
        if not isinstance(offset, int) or isinstance(offset, bool):
            return
        if offset < 0:
            self.pending = self.pending[offset:]
        else:
            self.pending = [u for u in self.pending if u["update_id"] >= offset]


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


class UpdateBuilder:
    """Builds realistic updates and registers their messages, files and chats with the state."""

    def __init__(self, state: TelegramState, queue: UpdateQueue) -> None:
        self._state = state
        self._queue = queue
        self._callbacks = 0

    def register(self, update: dict[str, Any]) -> dict[str, Any]:
        """Validate ``update`` and remember its message, so replies and ids line up."""
        validated(update)
        for key in INCOMING_KEYS:
            if isinstance(message := update.get(key), dict):
                self._state.chats.note_incoming(message)
        return update

    def message(
        self,
        *,
        user_id: int,
        chat_id: int | None,
        chat_type: str,
        first_name: str,
        username: str | None,
        reply_to_message_id: int | None,
    ) -> dict[str, Any]:
        """A message update without content: callers add text or a document."""
        sender = user(user_id, first_name, username)
        chat = self._state.chats.chats.get(chat_id or user_id) or chat_for(
            chat_id or user_id, chat_type, sender
        )
        message = user_message(
            self._state,
            chat=chat,
            sender=sender,
            date=now(),
            reply_to_message_id=reply_to_message_id,
        )
        return {"update_id": self._queue.allocate_id(), "message": message}

    def text(self, update: dict[str, Any], text: str) -> dict[str, Any]:
        update["message"]["text"] = text
        if entities := command_entities(text):
            update["message"]["entities"] = entities
        return update

    def document(self, update: dict[str, Any], file_id: str, caption: str | None) -> dict[str, Any]:
        update["message"]["document"] = self._state.files.get(file_id).document()
        if caption is not None:
            update["message"]["caption"] = caption
        return update

    def callback(self, *, user_id: int, data: str, message: dict[str, Any]) -> dict[str, Any]:
        """A button press by ``user_id`` on ``message`` (a Message or InaccessibleMessage)."""
        self._callbacks += 1
        query = {
            "id": f"{user_id}{self._callbacks:06d}",
            "from": user(user_id, "Admin"),
            "chat_instance": f"-{abs(message['chat']['id'])}00",
            "data": data,
            "message": message,
        }
        return {"update_id": self._queue.allocate_id(), "callback_query": query}
