"""Pieces every feature's presenter shares: the cancel button, pager buttons, links."""

from __future__ import annotations

from bot.ui import Button

CANCEL_CALLBACK = "cancel"


def cancel_button() -> Button:
    return Button("✖ Cancel", callback=CANCEL_CALLBACK)


def message_link(chat_id: int, message_id: int, username: str | None) -> str | None:
    """A t.me link that opens the message: public by username, private supergroups and
    channels by their internal id; basic groups and private chats have no message links."""
    if username:
        return f"https://t.me/{username}/{message_id}"
    text = str(chat_id)
    if text.startswith("-100"):
        return f"https://t.me/c/{text[4:]}/{message_id}"
    return None
