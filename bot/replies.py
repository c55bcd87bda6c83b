"""Sending and editing presenter replies: long text split to Telegram's limit, pages edited
in place, and an unchanged page (Telegram's "message is not modified") treated as success."""

from __future__ import annotations

from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from bot.keyboards import markup, preview
from bot.text import MAX_MESSAGE_CHARS, split_message
from bot.ui import Reply

NOT_MODIFIED = "message is not modified"
CUT_MARK = "\n…"


async def answer(message: Message, reply: Reply) -> Message:
    """Reply in the message's chat; long text goes out in parts, buttons on the last one."""
    parts = split_message(reply.text)
    for part in parts[:-1]:
        await message.answer(part, link_preview_options=preview(reply))
    return await message.answer(
        parts[-1], reply_markup=markup(reply), link_preview_options=preview(reply)
    )


async def edit(message: Message, reply: Reply) -> None:
    """Replace a page in place. Pages are built to fit one message; if one does not, it is
    cut at a line end and marked, never split into a flood of new messages."""
    parts = split_message(reply.text, MAX_MESSAGE_CHARS - len(CUT_MARK))
    text = parts[0] + (CUT_MARK if len(parts) > 1 else "")
    try:
        await message.edit_text(
            text, reply_markup=markup(reply), link_preview_options=preview(reply)
        )
    except TelegramBadRequest as error:
        if NOT_MODIFIED not in error.message:
            raise
