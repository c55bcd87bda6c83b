"""Parameter checks shared by the methods, with Telegram's own error descriptions."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.botapi.html import HtmlEntitiesError, visible_text
from tests.fakes.botapi.records import bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
PARSE_MODES = frozenset({"html", "markdown", "markdownv2"})
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


def chat_id(params: dict[str, Any]) -> int:
    value = params.get("chat_id")
    if value is None or value == "":
        raise bad_request("chat_id is empty")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("chat not found")  # @usernames of chats the fake does not know
    return value


def message_id(params: dict[str, Any]) -> int:
    value = params.get("message_id")
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_request("message identifier is not specified")
    return value


def formatted_text(
    params: dict[str, Any], key: str, *, limit: int, required: bool
) -> tuple[str | None, str | None]:
    """The raw text and parse mode, after Telegram's emptiness, markup and length checks."""
    value = params.get(key)
    parse_mode = params.get("parse_mode")
    if value is None:
        if required:
            raise bad_request("message text is empty")
        return None, parse_mode
    text = str(value)
    shown = _shown(text, parse_mode)
    if required and not shown.strip():
        raise bad_request("message text is empty")
    if len(shown) > limit:  # Telegram counts characters after entity parsing
        raise bad_request("message is too long" if key == "text" else "message caption is too long")
    return text, parse_mode


def _shown(text: str, parse_mode: Any) -> str:
    if parse_mode is None:
        return text
    if str(parse_mode).lower() not in PARSE_MODES:
        raise bad_request("unsupported parse_mode")
    if str(parse_mode).lower() != "html":
        return text  # Markdown is accepted as is: the product speaks HTML
    try:
        return visible_text(text)
    except HtmlEntitiesError as error:
        raise bad_request(f"can't parse entities: {error}") from error


def reply_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """The keyboard as sent; an empty inline keyboard means none, as in Telegram."""
    markup = params.get("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for button in (button for row in rows for button in row):
        _check_button(button)
    return markup if any(rows) else None


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request(
            'can\'t parse inline keyboard button: Field "text" must be of type String'
        )
    actions = set(button) - {"text", "style", "icon_custom_emoji_id"}
    if not actions:
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    data = button.get("callback_data")
    if data is not None and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        raise bad_request("BUTTON_DATA_INVALID")


def reply_to(params: dict[str, Any]) -> int | None:
    replied = params.get("reply_parameters")
    if isinstance(replied, dict) and isinstance(replied.get("message_id"), int):
        return int(replied["message_id"])
    legacy = params.get("reply_to_message_id")
    return legacy if isinstance(legacy, int) else None


def commands_scope_key(params: dict[str, Any]) -> str:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps([scope, params.get("language_code") or ""], sort_keys=True)


def bot_commands(params: dict[str, Any]) -> list[dict[str, Any]]:
    commands = params.get("commands")
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    for command in commands:
        name = str(command.get("command", "")) if isinstance(command, dict) else ""
        valid = 1 <= len(name) <= 32 and all(c.islower() or c.isdigit() or c == "_" for c in name)
        if not valid or not name.isascii():
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(command.get("description", ""))) <= 256:
            raise bad_request("command description is empty")
    return commands
