"""Polling liveness for /health: a session middleware that beats on every answered getUpdates.

The Dispatcher offers no hook for a finished polling round, and an update middleware runs only
when updates arrive (never for an idle bot); every Bot API call passes the session's request
middlewares, so an answered getUpdates is seen there whether or not it carried updates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.methods import GetUpdates
from aiogram.methods.base import TelegramType

from services.observability.liveness import BotLiveness

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod


class PollingLiveness(BaseRequestMiddleware):
    """Beats ``liveness`` after each getUpdates the Bot API answered (a failed one raises)."""

    def __init__(self, liveness: BotLiveness) -> None:
        self._liveness = liveness

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        if isinstance(method, GetUpdates):
            self._liveness.beat()
        return response


def watch_polling(bot: Bot, liveness: BotLiveness) -> None:
    """Report ``bot``'s answered polls to ``liveness``."""
    bot.session.middleware(PollingLiveness(liveness))
