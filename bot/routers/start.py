"""/start, /help and /cancel: the way in, the command list, and a way out of any dialog."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.commands import help_text
from bot.context import BotServices
from bot.presenters.common import CANCEL_CALLBACK
from core.db.repos.alerts import RECIPIENT_BLOCKED

WELCOME = (
    "<b>TelegramVault</b> keeps your chats searchable and tells you when a rule matches.\n"
    "Try /status, /search &lt;words&gt; or /help for every command."
)


def start_router() -> Router:
    router = Router(name="start")

    @router.message(CommandStart())
    async def start(message: Message, services: BotServices) -> None:
        if await services.outbox.recipient_state(message.chat.id) == RECIPIENT_BLOCKED:
            # An admin who had blocked the bot is back: their alerts flow again.
            await services.outbox.unblock_recipient(message.chat.id)
        await message.answer(WELCOME)

    @router.message(Command("help"))
    async def show_help(message: Message) -> None:
        await message.answer(help_text())

    @router.message(Command("cancel"))
    async def cancel(message: Message, state: FSMContext) -> None:
        had_state = await state.get_state() is not None
        await state.clear()
        await message.answer("Cancelled." if had_state else "Nothing to cancel.")

    @router.callback_query(F.data == CANCEL_CALLBACK)
    async def cancel_button(query: CallbackQuery, state: FSMContext) -> None:
        await state.clear()
        if isinstance(query.message, Message):
            await query.message.edit_text("Cancelled.")
        await query.answer("Cancelled")

    return router


def fallback_router() -> Router:
    """Included last: an admin's unknown command or stray text gets a pointer to /help."""
    router = Router(name="fallback")

    @router.message(F.text.startswith("/"))
    async def unknown_command(message: Message) -> None:
        await message.answer("Unknown command. /help lists what I can do.")

    @router.callback_query()
    async def stale_button(query: CallbackQuery) -> None:
        await query.answer("This button has expired.")

    return router
