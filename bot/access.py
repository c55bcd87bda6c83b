"""Admin scoping, applied once for every update before any router sees it.

A non-admin gets nothing back: no reply, no answered callback, no hint that the bot does
anything. The attempt is logged (user id and update kind only, never the text).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update, User

log = structlog.get_logger(__name__)


class AdminOnly(BaseMiddleware):
    """Outer update middleware: passes updates from admins, drops every other one."""

    def __init__(self, admin_ids: frozenset[int]) -> None:
        self._admins = admin_ids

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and user.id in self._admins:
            return await handler(event, data)
        kind = event.event_type if isinstance(event, Update) else type(event).__name__
        log.warning("bot_access_denied", user_id=user.id if user else None, update=kind)
        return None
