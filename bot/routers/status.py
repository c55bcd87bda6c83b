"""/status and its refresh button (the page is edited in place)."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.context import BotServices
from bot.presenters.status import STATUS_REFRESH, status_reply
from bot.replies import answer, edit


def status_router() -> Router:
    router = Router(name="status")

    @router.message(Command("status"))
    async def show_status(message: Message, services: BotServices) -> None:
        await answer(message, status_reply(await services.status.snapshot(), services.tz))

    @router.callback_query(F.data == STATUS_REFRESH)
    async def refresh(query: CallbackQuery, services: BotServices) -> None:
        if isinstance(query.message, Message):
            await edit(query.message, status_reply(await services.status.snapshot(), services.tz))
        await query.answer("Updated")

    return router
