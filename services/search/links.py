"""Links that open an archived message in Telegram, when Telegram can open it."""

from __future__ import annotations

CHANNEL_KINDS = ("channel", "supergroup")
CHANNEL_PREFIX = "-100"


def message_link(
    chat_id: int, chat_kind: str | None, chat_username: str | None, message_id: int
) -> str | None:
    """``t.me/<username>/<id>`` for public channels and supergroups, ``t.me/c/<id>/<id>`` for
    private ones (the marked id without its -100 prefix); none for private chats and basic
    groups, whose message ids Telegram cannot link to."""
    marked = str(chat_id)
    is_channel = chat_kind in CHANNEL_KINDS or (chat_kind is None and marked.startswith("-100"))
    if not is_channel:
        return None
    if chat_username:
        return f"https://t.me/{chat_username}/{message_id}"
    if marked.startswith(CHANNEL_PREFIX) and len(marked) > len(CHANNEL_PREFIX):
        return f"https://t.me/c/{marked[len(CHANNEL_PREFIX) :]}/{message_id}"
    return None
