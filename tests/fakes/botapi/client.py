"""A real aiogram ``Bot`` wired to a running fake Bot API."""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from tests.fakes.botapi.transport import BotApiServer


class LocalAiohttpSession(AiohttpSession):
    """aiogram's own session, minus the 250 ms grace its close() leaves TLS connections.

    The fake speaks plain HTTP on loopback, so there is nothing to wait for, and every bot test
    would otherwise pay a quarter second in teardown.
    """

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


def make_bot(api: BotApiServer, *, token: str | None = None, **bot_options: Any) -> Bot:
    """A ``Bot`` whose requests go to ``api`` (close it with ``await bot.session.close()``)."""
    session = LocalAiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    return Bot(token or api.token, session=session, **bot_options)
