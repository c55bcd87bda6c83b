"""What the fake Telegram remembers: chats and their messages, stored files, the bot's commands."""

from __future__ import annotations

import mimetypes
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.botapi.records import CallbackAnswer, SentMessage, bad_request

BOT_USER_ID = 123456
BOT_USERNAME = "vault_test_bot"
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # bots may not download larger files (getFile)


def now() -> int:
    return int(time.time())


def bot_user() -> dict[str, Any]:
    return {
        "id": BOT_USER_ID,
        "is_bot": True,
        "first_name": "Vault Test Bot",
        "username": BOT_USERNAME,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def default_chat(chat_id: int) -> dict[str, Any]:
    """The chat object for an id never seen in an update (type inferred from the id's range)."""
    if chat_id > 0:
        return {"id": chat_id, "type": "private", "first_name": f"User {chat_id}"}
    if str(chat_id).startswith("-100"):
        return {"id": chat_id, "type": "supergroup", "title": f"Chat {chat_id}"}
    return {"id": chat_id, "type": "group", "title": f"Chat {chat_id}"}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    content: bytes
    file_name: str
    file_path: str
    mime_type: str

    def document(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }

    def file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }


class FileStore:
    """Files by id (for getFile and resending) and by path (for the download route)."""

    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}

    def add(self, content: bytes, file_name: str, mime_type: str | None = None) -> StoredFile:
        number = len(self._by_id) + 1
        suffix = "." + file_name.rsplit(".", 1)[1] if "." in file_name else ""
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAIfake{number:06d}",
            file_unique_id=f"AgADfake{number:06d}",
            content=content,
            file_name=file_name,
            file_path=f"documents/file_{number}{suffix}",
            mime_type=mime_type or mimetypes.guess_type(file_name)[0] or "application/octet-stream",
        )
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile:
        if file_id not in self._by_id:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return self._by_id[file_id]

    def at_path(self, file_path: str) -> StoredFile | None:
        return self._by_path.get(file_path)


@dataclass
class ChatStore:
    """Messages of every chat; ids are per chat and shared by the user's and the bot's messages."""

    sent: list[SentMessage] = field(default_factory=list)
    chats: dict[int, dict[str, Any]] = field(default_factory=dict)
    incoming: dict[tuple[int, int], dict[str, Any]] = field(default_factory=dict)
    _last_id: dict[int, int] = field(default_factory=dict)

    def chat(self, chat_id: int) -> dict[str, Any]:
        return self.chats.get(chat_id) or default_chat(chat_id)

    def next_message_id(self, chat_id: int) -> int:
        self._last_id[chat_id] = self._last_id.get(chat_id, 0) + 1
        return self._last_id[chat_id]

    def note_incoming(self, message: dict[str, Any]) -> None:
        """Remember a message a user sent, so replies to it resolve and ids never collide."""
        chat = message["chat"]
        self.chats.setdefault(chat["id"], chat)
        key = (chat["id"], message["message_id"])
        self.incoming[key] = message
        self._last_id[chat["id"]] = max(self._last_id.get(chat["id"], 0), message["message_id"])

    def add(self, message: SentMessage) -> None:
        self.sent.append(message)

    def find(self, chat_id: int, message_id: int) -> SentMessage | None:
        for message in self.sent:
            if (message.chat_id, message.message_id) == (chat_id, message_id):
                return None if message.deleted else message
        return None

    def in_chat(self, chat_id: int) -> list[SentMessage]:
        return [m for m in self.sent if m.chat_id == chat_id and not m.deleted]


@dataclass
class TelegramState:
    """Everything the Bot API methods read and change."""

    chats: ChatStore = field(default_factory=ChatStore)
    files: FileStore = field(default_factory=FileStore)
    commands_by_scope: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    last_commands: list[dict[str, Any]] = field(default_factory=list)
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
