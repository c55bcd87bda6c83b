"""The scripted admin's private chat with the bot, through the local Bot API server: commands
go in as updates the real bot polls; every message the bot sends or edits lands in the
transcript."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from core.errors import VaultError
from telegramvault.demo.transcript import Transcript
from tests.fakes.botapi import FakeBotApi, SentMessage

POLL_SECONDS = 0.02
Seen = tuple[int, str]  # (edits, text) of a message when last shown


class DemoStalledError(VaultError):
    """A step of the demo did not happen in time; the message says which."""


class AdminChat:
    def __init__(
        self, api: FakeBotApi, admin_id: int, transcript: Transcript, *, timeout: float
    ) -> None:
        self._api = api
        self._admin = admin_id
        self._transcript = transcript
        self._timeout = timeout
        self._shown: dict[int, Seen] = {}
        self._mark: dict[int, Seen] = {}

    async def bot_ready(self) -> None:
        """The bot polls the local Bot API server: commands sent now reach it."""
        try:
            await self._api.wait_for_calls("getUpdates", timeout=self._timeout)
        except TimeoutError as error:
            raise DemoStalledError("the demo stalled waiting for the bot to start") from error

    def expect(self) -> None:
        """From now on ``reply`` and ``until`` look only at messages sent or changed later."""
        self.show_news()
        self._mark = dict(self._shown)

    def send(self, text: str) -> None:
        """The admin types ``text``; what the bot does about it is awaited with ``reply``."""
        self.expect()
        self._transcript.admin(text)
        self._api.push_message(user_id=self._admin, text=text, first_name="Admin")

    async def reply(self, needle: str, what: str) -> SentMessage:
        """The first message sent or changed since ``expect`` (or ``send``) whose text has
        ``needle``."""
        return await self.until(lambda message: needle in _text(message), what)

    async def next_message(self, what: str) -> SentMessage:
        """The first message sent or changed since ``expect`` (or ``send``)."""
        return await self.until(lambda _message: True, what)

    async def until(self, wanted: Callable[[SentMessage], bool], what: str) -> SentMessage:
        deadline = time.monotonic() + self._timeout
        while True:
            self.show_news()
            found = next((m for m in self._changed() if wanted(m)), None)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise DemoStalledError(f"the demo stalled waiting for {what}")
            await asyncio.sleep(POLL_SECONDS)

    async def settle(self, seconds: float) -> None:
        """Keep showing what the bot sends for a moment (late edits, alerts)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.show_news()
            await asyncio.sleep(POLL_SECONDS)
        self.show_news()

    def show_news(self) -> None:
        """Print every message the bot sent or edited since the last look."""
        for message in self._api.messages(self._admin):
            seen: Seen = (message.edits, _text(message))
            before = self._shown.get(message.message_id)
            if before == seen:
                continue
            self._shown[message.message_id] = seen
            if before is None or before[1] != seen[1]:
                self._transcript.bot(seen[1], edited=before is not None)

    def _changed(self) -> list[SentMessage]:
        return [
            m
            for m in self._api.messages(self._admin)
            if self._mark.get(m.message_id) != self._shown.get(m.message_id)
        ]


def _text(message: SentMessage) -> str:
    return message.plain_text or message.document_name or ""
