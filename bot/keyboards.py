"""Presenter buttons turned into aiogram inline keyboards (the only place that builds them)."""

from __future__ import annotations

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions

from bot.ui import Button, Reply

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[_button(b) for b in row] for row in reply.buttons]
    )


def preview(reply: Reply) -> LinkPreviewOptions | None:
    return None if reply.link_preview else NO_PREVIEW


def _button(button: Button) -> InlineKeyboardButton:
    if button.url is not None:
        return InlineKeyboardButton(text=button.text, url=button.url)
    return InlineKeyboardButton(text=button.text, callback_data=button.callback)
