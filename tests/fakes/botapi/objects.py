"""Bot API JSON objects (users, chats, messages) as Telegram would send them."""

from __future__ import annotations

from typing import Any

from tests.fakes.botapi.records import SentMessage
from tests.fakes.botapi.store import TelegramState, bot_user


def utf16_length(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, not Python characters."""
    return len(text.encode("utf-16-le")) // 2


def user(user_id: int, first_name: str, username: str | None = None) -> dict[str, Any]:
    person: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if username is not None:
        person["username"] = username
    return person


def chat_for(chat_id: int, chat_type: str, sender: dict[str, Any]) -> dict[str, Any]:
    if chat_type == "private":
        chat = {k: v for k, v in sender.items() if k in ("first_name", "username")}
        return {"id": chat_id, "type": "private", **chat}
    return {"id": chat_id, "type": chat_type, "title": f"Chat {chat_id}"}


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity real clients attach to a message starting with ``/``."""
    if not text.startswith("/"):
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": utf16_length(command)}]


def _shown_markup(markup: dict[str, Any] | None) -> dict[str, Any] | None:
    """Returned messages carry only inline keyboards; reply keyboards stay on the client."""
    return markup if markup and markup.get("inline_keyboard") else None


def _reply_target(state: TelegramState, chat_id: int, message_id: int) -> dict[str, Any] | None:
    incoming = state.chats.incoming.get((chat_id, message_id))
    if incoming is not None:
        return {k: v for k, v in incoming.items() if k != "reply_to_message"}
    sent = state.chats.find(chat_id, message_id)
    return None if sent is None else bot_message(state, sent, with_reply=False)


def bot_message(
    state: TelegramState, sent: SentMessage, *, with_reply: bool = True
) -> dict[str, Any]:
    """The Message object Telegram returns for (or attaches to a callback about) ``sent``."""
    message: dict[str, Any] = {
        "message_id": sent.message_id,
        "from": bot_user(),
        "chat": state.chats.chat(sent.chat_id),
        "date": sent.date,
    }
    text_key = "text" if sent.file_id is None else "caption"
    if sent.text is not None:
        message[text_key] = sent.plain_text
    if sent.entities and sent.parse_mode is None:
        message["entities" if text_key == "text" else "caption_entities"] = sent.entities
    if sent.file_id is not None:
        message["document"] = state.files.get(sent.file_id).document()
    if (markup := _shown_markup(sent.reply_markup)) is not None:
        message["reply_markup"] = markup
    if sent.edit_date is not None:
        message["edit_date"] = sent.edit_date
    if with_reply and sent.reply_to_message_id is not None:
        target = _reply_target(state, sent.chat_id, sent.reply_to_message_id)
        if target is not None:
            message["reply_to_message"] = target
    return message


def user_message(
    state: TelegramState,
    *,
    chat: dict[str, Any],
    sender: dict[str, Any],
    date: int,
    reply_to_message_id: int | None = None,
) -> dict[str, Any]:
    """A new message from ``sender`` in ``chat`` with the chat's next id (content added later)."""
    message: dict[str, Any] = {
        "message_id": state.chats.next_message_id(chat["id"]),
        "from": sender,
        "chat": chat,
        "date": date,
    }
    if reply_to_message_id is not None:
        target = _reply_target(state, chat["id"], reply_to_message_id)
        message["reply_to_message"] = target or {
            "message_id": reply_to_message_id,
            "date": date,
            "chat": chat,
        }
    return message
