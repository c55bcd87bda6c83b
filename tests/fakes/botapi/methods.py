"""The Bot API methods the fake serves, each answering what Telegram would (result or error)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.botapi import checks
from tests.fakes.botapi.objects import bot_message
from tests.fakes.botapi.records import ApiCall, CallbackAnswer, SentMessage, bad_request
from tests.fakes.botapi.store import (
    MAX_DOWNLOAD_BYTES,
    StoredFile,
    TelegramState,
    bot_user,
    now,
)

Method = Callable[[TelegramState, ApiCall], Any]


def get_me(state: TelegramState, call: ApiCall) -> Any:
    return bot_user()


def acknowledge(state: TelegramState, call: ApiCall) -> Any:
    """Methods whose only effect the fake needs is the recorded call (webhook, close, logOut)."""
    return True


def send_chat_action(state: TelegramState, call: ApiCall) -> Any:
    checks.chat_id(call.params)
    if not call.params.get("action"):
        raise bad_request("action is empty")
    return True


def set_my_commands(state: TelegramState, call: ApiCall) -> Any:
    commands = checks.bot_commands(call.params)
    state.commands_by_scope[checks.commands_scope_key(call.params)] = commands
    state.last_commands = commands
    return True


def get_my_commands(state: TelegramState, call: ApiCall) -> Any:
    return state.commands_by_scope.get(checks.commands_scope_key(call.params), [])


def delete_my_commands(state: TelegramState, call: ApiCall) -> Any:
    state.commands_by_scope.pop(checks.commands_scope_key(call.params), None)
    return True


def send_message(state: TelegramState, call: ApiCall) -> Any:
    params = call.params
    chat_id = checks.chat_id(params)
    text, parse_mode = checks.formatted_text(params, "text", limit=checks.MAX_TEXT, required=True)
    markup = checks.reply_markup(params)
    sent = SentMessage(
        chat_id=chat_id,
        message_id=state.chats.next_message_id(chat_id),
        text=text,
        parse_mode=parse_mode,
        reply_markup=markup,
        date=now(),
        entities=params.get("entities"),
        link_preview_options=params.get("link_preview_options"),
        reply_to_message_id=checks.reply_to(params),
    )
    state.chats.add(sent)
    return bot_message(state, sent)


def _uploaded_document(state: TelegramState, call: ApiCall) -> StoredFile:
    document = call.params.get("document")
    if not isinstance(document, str) or not document:
        raise bad_request("there is no document in the request")
    if document.startswith("attach://"):
        part = document.removeprefix("attach://")
        if part not in call.files:
            raise bad_request(f"file {part!r} not found in the request")
        if not call.files[part]:
            raise bad_request("file must be non-empty")
        return state.files.add(call.files[part], call.file_names.get(part, part))
    if document.startswith(("http://", "https://")):
        raise bad_request("failed to get HTTP URL content")  # the fake reaches no network
    return state.files.get(document)


def send_document(state: TelegramState, call: ApiCall) -> Any:
    params = call.params
    chat_id = checks.chat_id(params)
    caption, parse_mode = checks.formatted_text(
        params, "caption", limit=checks.MAX_CAPTION, required=False
    )
    markup = checks.reply_markup(params)
    stored = _uploaded_document(state, call)
    sent = SentMessage(
        chat_id=chat_id,
        message_id=state.chats.next_message_id(chat_id),
        text=caption,
        parse_mode=parse_mode,
        reply_markup=markup,
        document=stored.content,
        document_name=stored.file_name,
        date=now(),
        entities=params.get("caption_entities"),
        reply_to_message_id=checks.reply_to(params),
        file_id=stored.file_id,
        mime_type=stored.mime_type,
    )
    state.chats.add(sent)
    return bot_message(state, sent)


def _target(state: TelegramState, params: dict[str, Any], action: str) -> SentMessage:
    if params.get("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # the fake sends no inline messages
    chat_id, message_id = checks.chat_id(params), checks.message_id(params)
    if action == "edit" and (chat_id, message_id) in state.chats.incoming:
        raise bad_request("message can't be edited")
    sent = state.chats.find(chat_id, message_id)
    if sent is None:
        raise bad_request(f"message to {action} not found")
    return sent


def _apply_edit(state: TelegramState, sent: SentMessage, changes: dict[str, Any]) -> Any:
    if all(getattr(sent, name) == value for name, value in changes.items()):
        raise bad_request(checks.NOT_MODIFIED)
    for name, value in changes.items():
        setattr(sent, name, value)
    sent.edits += 1
    sent.edit_date = now()
    return bot_message(state, sent)


def edit_message_text(state: TelegramState, call: ApiCall) -> Any:
    params = call.params
    sent = _target(state, params, "edit")
    if sent.file_id is not None:
        raise bad_request("there is no text in the message to edit")
    text, parse_mode = checks.formatted_text(params, "text", limit=checks.MAX_TEXT, required=True)
    # Telegram drops the inline keyboard when an edit does not repeat it.
    changes = {
        "text": text,
        "parse_mode": parse_mode,
        "entities": params.get("entities"),
        "reply_markup": checks.reply_markup(params),
    }
    if "link_preview_options" in params:
        changes["link_preview_options"] = params["link_preview_options"]
    return _apply_edit(state, sent, changes)


def edit_message_reply_markup(state: TelegramState, call: ApiCall) -> Any:
    sent = _target(state, call.params, "edit")
    return _apply_edit(state, sent, {"reply_markup": checks.reply_markup(call.params)})


def delete_message(state: TelegramState, call: ApiCall) -> Any:
    params = call.params
    key = (checks.chat_id(params), checks.message_id(params))
    if state.chats.incoming.pop(key, None) is not None:
        return True  # bots may delete what users sent them in private chats
    _target(state, params, "delete").deleted = True
    return True


def answer_callback_query(state: TelegramState, call: ApiCall) -> Any:
    params = call.params
    query_id = params.get("callback_query_id")
    if not query_id:
        raise bad_request("query_id is empty")
    text = params.get("text")
    state.callback_answers.append(
        CallbackAnswer(
            callback_query_id=str(query_id),
            text=None if text is None else str(text),
            show_alert=params.get("show_alert") is True,
            url=params.get("url"),
        )
    )
    return True


def get_file(state: TelegramState, call: ApiCall) -> Any:
    file_id = call.params.get("file_id")
    if not isinstance(file_id, str) or not file_id:
        raise bad_request("file_id is empty")
    stored = state.files.get(file_id)
    if len(stored.content) > MAX_DOWNLOAD_BYTES:
        raise bad_request("file is too big")
    return stored.file()


METHODS: dict[str, Method] = {
    name.lower(): method
    for name, method in {
        "getMe": get_me,
        "deleteWebhook": acknowledge,
        "close": acknowledge,
        "logOut": acknowledge,
        "sendChatAction": send_chat_action,
        "setMyCommands": set_my_commands,
        "getMyCommands": get_my_commands,
        "deleteMyCommands": delete_my_commands,
        "sendMessage": send_message,
        "sendDocument": send_document,
        "editMessageText": edit_message_text,
        "editMessageReplyMarkup": edit_message_reply_markup,
        "deleteMessage": delete_message,
        "answerCallbackQuery": answer_callback_query,
        "getFile": get_file,
    }.items()
}
