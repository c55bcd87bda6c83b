"""Domain errors become one short reply; anything else is logged and answered politely.

Handlers stay thin: they call one service and let a VaultError propagate to here.
"""

from __future__ import annotations

import html

import structlog
from aiogram import Router
from aiogram.types import ErrorEvent

from bot.text import esc
from core.errors import InvalidInputError, NotFoundError, RetryLaterError, VaultError

log = structlog.get_logger(__name__)
INTERNAL = "Something went wrong on our side; the details are in the vault's log."


def error_text(error: BaseException) -> str:
    """The reply for a failed command (HTML)."""
    if isinstance(error, InvalidInputError):
        return f"⚠️ {esc(error)}"
    if isinstance(error, NotFoundError):
        return f"🔎 {esc(error)}"
    if isinstance(error, RetryLaterError):
        wait = f" (in about {int(error.retry_after)} s)" if error.retry_after else ""
        return f"⏳ {esc(error)}. Try again later{wait}."
    if isinstance(error, VaultError):
        return f"⚠️ {esc(error)}"
    return f"⚠️ {INTERNAL}"


def errors_router() -> Router:
    router = Router(name="errors")

    @router.errors()
    async def on_error(event: ErrorEvent) -> None:
        error = event.exception
        if not isinstance(error, VaultError):
            log.error("bot_handler_crashed", error_type=type(error).__name__, exc_info=error)
        text = error_text(error)
        update = event.update
        if update.callback_query is not None:
            await update.callback_query.answer(_plain(text)[:190], show_alert=True)
        elif update.message is not None:
            await update.message.answer(text)

    return router


def _plain(text: str) -> str:
    """Callback answers are plain text: drop the HTML escapes the reply used."""
    return html.unescape(text)
