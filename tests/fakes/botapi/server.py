"""The fake Bot API a test drives: push updates in, read what the bot sent, inject failures.

A real ``aiogram.Bot`` talks to it over HTTP (see ``make_bot``), so aiogram's own request
encoding, response parsing and error classes all run.
"""

from __future__ import annotations

from typing import Any

from tests.fakes.botapi.objects import bot_message
from tests.fakes.botapi.records import ApiCall, CallbackAnswer, SentMessage
from tests.fakes.botapi.store import BOT_USER_ID, default_chat
from tests.fakes.botapi.transport import TOKEN, BotApiServer

__all__ = ["BOT_USER_ID", "TOKEN", "FakeBotApi"]


class FakeBotApi(BotApiServer):
    """A local Telegram Bot API for tests; use ``async with FakeBotApi() as api``."""

    # -- what the bot did -------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """Calls of ``method`` (case-insensitive, as Telegram), answered or failed, in order."""
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def messages(self, chat_id: int) -> list[SentMessage]:
        """What the bot sent to ``chat_id`` and has not deleted, in send order, edits applied."""
        return self._state.chats.in_chat(chat_id)

    def last_message(self, chat_id: int) -> SentMessage:
        messages = self.messages(chat_id)
        if not messages:
            chats = sorted({m.chat_id for m in self.all_messages})
            msg = f"the bot sent nothing to chat {chat_id}; it sent to chats {chats}"
            raise AssertionError(msg)
        return messages[-1]

    @property
    def all_messages(self) -> list[SentMessage]:
        """Every message the bot sent to any chat, in order, deleted ones included."""
        return list(self._state.chats.sent)

    @property
    def commands(self) -> list[dict[str, Any]]:
        """The command list of the last setMyCommands (any scope)."""
        return self._state.last_commands

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return list(self._state.callback_answers)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return list(self._queue.pending)

    @property
    def dropped_updates(self) -> list[dict[str, Any]]:
        """Pushed updates Telegram would not deliver: their type is not in allowed_updates."""
        return list(self._queue.dropped)

    # -- waiting ----------------------------------------------------------------------------

    async def wait_for_calls(
        self,
        method: str,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the shared test API names it so
    ) -> list[ApiCall]:
        """Wait until ``count`` calls of ``method`` arrived (answered or failed)."""
        if not await self._signal.until(lambda: len(self.calls_to(method)) >= count, timeout):
            seen = len(self.calls_to(method))
            msg = f"expected {count} {method} call(s) within {timeout}s, got {seen}; {self._log()}"
            raise TimeoutError(msg)
        return self.calls_to(method)

    async def wait_for_messages(
        self,
        chat_id: int,
        count: int = 1,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - the shared test API names it so
    ) -> list[SentMessage]:
        """Wait until the bot sent ``count`` (undeleted) messages to ``chat_id``."""
        if not await self._signal.until(lambda: len(self.messages(chat_id)) >= count, timeout):
            seen = [m.text for m in self.messages(chat_id)]
            msg = (
                f"expected {count} message(s) in chat {chat_id} within {timeout}s, "
                f"got {seen}; {self._log()}"
            )
            raise TimeoutError(msg)
        return self.messages(chat_id)

    def _log(self, last: int = 20) -> str:
        calls = [
            f"{c.method} {c.status}" + (f" ({c.error})" if c.error else "")
            for c in self.calls[-last:]
        ]
        errors = f"; the fake itself failed: {self.internal_errors}" if self.internal_errors else ""
        return f"last calls: {calls or 'none'}{errors}"

    # -- failure injection ------------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (for ``chat_id`` only, if given) fail."""
        self._faults.fail(
            method,
            status=status,
            retry_after=retry_after,
            description=description,
            times=times,
            chat_id=chat_id,
        )

    def block_chat(self, chat_id: int) -> None:
        """Every call aimed at ``chat_id`` answers 403 "bot was blocked by the user"."""
        self._faults.blocked_chats.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        self._faults.blocked_chats.discard(chat_id)

    # -- files and updates ------------------------------------------------------------------

    def add_file(
        self, content: bytes, *, file_name: str = "file.bin", mime_type: str | None = None
    ) -> str:
        """Store a file; its id works with getFile and the download route."""
        return self._state.files.add(content, file_name, mime_type).file_id

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue ``update`` for getUpdates (an update_id is assigned if missing) and return it."""
        queued = dict(update)
        if "update_id" not in queued:
            queued["update_id"] = self._queue.allocate_id()
        self._queue.push(self._updates.register(queued))
        return queued

    def message_update(
        self,
        *,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Admin",
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A text message update, registered but not queued (for ``dp.feed_update``)."""
        update = self._updates.message(
            user_id=user_id,
            chat_id=chat_id,
            chat_type=chat_type,
            first_name=first_name,
            username=username,
            reply_to_message_id=reply_to_message_id,
        )
        return self._updates.register(self._updates.text(update, text))

    def push_message(
        self,
        *,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        chat_type: str = "private",
        first_name: str = "Admin",
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a text message from ``user_id`` (commands get their bot_command entity)."""
        return self.push_update(
            self.message_update(
                user_id=user_id,
                text=text,
                chat_id=chat_id,
                chat_type=chat_type,
                first_name=first_name,
                username=username,
                reply_to_message_id=reply_to_message_id,
            )
        )

    def document_update(
        self,
        *,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str = "application/json",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """A document message update (its file is downloadable), registered but not queued."""
        file_id = self.add_file(content, file_name=file_name, mime_type=mime_type)
        update = self._updates.message(
            user_id=user_id,
            chat_id=chat_id,
            chat_type=str(default_chat(user_id if chat_id is None else chat_id)["type"]),
            first_name="Admin",
            username=None,
            reply_to_message_id=None,
        )
        return self._updates.register(self._updates.document(update, file_id, caption))

    def push_document(
        self,
        *,
        user_id: int,
        content: bytes,
        file_name: str,
        mime_type: str = "application/json",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a message carrying a document the bot can fetch with getFile and download."""
        return self.push_update(
            self.document_update(
                user_id=user_id,
                content=content,
                file_name=file_name,
                mime_type=mime_type,
                caption=caption,
                chat_id=chat_id,
            )
        )

    def callback_update(
        self,
        *,
        user_id: int,
        data: str,
        message: SentMessage | None = None,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """A button press on ``message`` (default: the bot's last message in the chat)."""
        chat = chat_id if chat_id is not None else user_id
        if message is None and message_id is not None:
            message = self._state.chats.find(chat, message_id)
            if message is None:  # too old or deleted: Telegram sends an inaccessible message
                gone = {"chat": self._state.chats.chat(chat), "message_id": message_id, "date": 0}
                update = self._updates.callback(user_id=user_id, data=data, message=gone)
                return self._updates.register(update)
        shown = bot_message(self._state, message or self.last_message(chat))
        return self._updates.register(
            self._updates.callback(user_id=user_id, data=data, message=shown)
        )

    def push_callback(
        self,
        *,
        user_id: int,
        data: str,
        message: SentMessage | None = None,
        chat_id: int | None = None,
        message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a callback query as if ``user_id`` pressed a button carrying ``data``."""
        return self.push_update(
            self.callback_update(
                user_id=user_id, data=data, message=message, chat_id=chat_id, message_id=message_id
            )
        )
