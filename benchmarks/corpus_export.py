"""The benchmark corpus written as a Telegram Desktop full-account export (``result.json``).

The import row then reads the very messages every other row uses (the budget's mixed-language
texts, entities, media, service actions and 30 chats) rather than a corpus of its own. The
corpus interleaves chats in time order while an export lists them chat after chat, so each
chat's messages are spooled to a temporary file and the files are joined at the end: one
message in memory at a time, whatever the size.
"""

from __future__ import annotations

import itertools
import json
import shutil
import tempfile
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from benchmarks.corpus import Corpus
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo

CHANNEL_SHIFT = 10**12
PLACEHOLDER = "(File not included. Change data exporting settings to download.)"
DESKTOP_ACTIONS = {
    "chat_add_user": "invite_members", "chat_delete_user": "remove_members",
    "chat_joined_by_link": "join_group_by_link", "chat_edit_title": "edit_group_title",
    "chat_edit_photo": "edit_group_photo", "screenshot_taken": "take_screenshot",
}  # fmt: skip
DESKTOP_ENTITIES = {"url": "link", "phone_number": "phone"}
FILE_TYPES = {
    "video": ("video_file", "video/mp4"), "voice": ("voice_message", "audio/ogg"),
    "sticker": ("sticker", "image/webp"), "animation": ("animation", "video/mp4"),
    "document": (None, "application/pdf"),
}  # fmt: skip


def write_corpus_export(path: Path, corpus: Corpus) -> None:
    """The corpus's first ``corpus.size`` messages as a full-account export at ``path``."""
    names = {user.id: _display_name(user) for user in corpus.users}
    titles = {chat.id: chat.title or "" for chat in corpus.chats}
    with tempfile.TemporaryDirectory(dir=path.parent, prefix="spool-") as folder:
        spools = {
            chat.id: Path(folder) / f"{index}.json" for index, chat in enumerate(corpus.chats)
        }
        counts = dict.fromkeys(spools, 0)
        files = {chat_id: spool.open("w", encoding="utf-8") for chat_id, spool in spools.items()}
        try:
            for message in itertools.islice(corpus.messages(), corpus.size):
                out = files[message.chat_id]
                out.write(",\n  " if counts[message.chat_id] else "\n  ")
                out.write(json.dumps(desktop_message(message, names, titles), ensure_ascii=False))
                counts[message.chat_id] += 1
        finally:
            for file in files.values():
                file.close()
        with path.open("w", encoding="utf-8") as out:
            _write_account(out, corpus.chats, spools)


def _write_account(out: IO[str], chats: list[ChatInfo], spools: dict[int, Path]) -> None:
    out.write('{\n "about": "Here is the data you requested.",\n "chats": {\n')
    out.write('  "about": "This page lists all chats from this export.",\n  "list": [')
    for index, chat in enumerate(chats):
        header = {"name": chat.title, "type": desktop_type(chat), "id": bare_id(chat.id)}
        out.write(",\n" if index else "\n")
        out.write(json.dumps(header, ensure_ascii=False)[:-1] + ',\n "messages": [')
        with spools[chat.id].open(encoding="utf-8") as spool:
            shutil.copyfileobj(spool, out)
        out.write("\n ]}")
    out.write("\n  ]\n }\n}\n")


def desktop_type(chat: ChatInfo) -> str:
    public = "public" if chat.username else "private"
    return {
        "user": "personal_chat", "bot": "bot_chat", "group": "private_group",
        "supergroup": f"{public}_supergroup", "channel": f"{public}_channel",
    }.get(chat.kind, "")  # fmt: skip


def bare_id(marked: int) -> int:
    """The id Desktop writes for a chat: without the sign and the channel prefix."""
    if marked > 0:
        return marked
    return -marked - CHANNEL_SHIFT if marked <= -CHANNEL_SHIFT else -marked


def peer_ref(marked: int) -> str:
    if marked > 0:
        return f"user{marked}"
    return f"channel{bare_id(marked)}" if marked <= -CHANNEL_SHIFT else f"chat{bare_id(marked)}"


def desktop_message(
    message: ArchivedMessage, names: dict[int, str], titles: dict[int, str]
) -> dict[str, Any]:
    """One corpus message as Desktop's JSON writer lays it out."""
    raw: dict[str, Any] = {
        "id": message.message_id,
        "type": "message",
        **_date("date", message.date),
    }
    if message.kind == "service":
        return _service(raw, message, names)
    if message.sender_id is not None:
        raw.update({"from": names.get(message.sender_id), "from_id": peer_ref(message.sender_id)})
    else:  # a channel post: Desktop names the channel itself
        raw.update({"from": titles[message.chat_id], "from_id": peer_ref(message.chat_id)})
    if message.post_author:
        raw["author"] = message.post_author
    if message.edit_date is not None:
        raw.update(_date("edited", message.edit_date))
    if message.reply_to_msg_id is not None:
        raw["reply_to_message_id"] = message.reply_to_msg_id
    if message.fwd_from_id is not None:
        origin = names.get(message.fwd_from_id) or titles.get(message.fwd_from_id)
        raw.update({"forwarded_from": origin, "forwarded_from_id": peer_ref(message.fwd_from_id)})
    elif message.fwd_from_name:
        raw["forwarded_from"] = message.fwd_from_name
    raw.update(_media(message.media_kind))
    raw["text"], raw["text_entities"] = _text(message)
    return raw


def _service(
    raw: dict[str, Any], message: ArchivedMessage, names: dict[int, str]
) -> dict[str, Any]:
    action = message.action or ""
    data = message.action_data or {}
    raw["type"] = "service"
    if message.sender_id is not None:
        raw.update({"actor": names.get(message.sender_id), "actor_id": peer_ref(message.sender_id)})
    raw["action"] = DESKTOP_ACTIONS.get(action, action)
    if "title" in data:
        raw["title"] = data["title"]
    if "users" in data:
        raw["members"] = [names.get(user) for user in data["users"]]
    if "user_id" in data:
        raw["members"] = [names.get(data["user_id"])]
    if "inviter_id" in data:
        raw["inviter"] = names.get(data["inviter_id"])
    if "photo_id" in data:
        raw.update({"photo": PLACEHOLDER, "width": 640, "height": 640})
    if "duration" in data:
        raw["duration_seconds"] = data["duration"]
    if message.reply_to_msg_id is not None:
        raw["message_id"] = message.reply_to_msg_id  # the pinned message
    raw.update({"text": "", "text_entities": []})
    return raw


def _media(kind: str | None) -> dict[str, Any]:
    if kind is None:
        return {}
    if kind == "photo":
        return {"photo": PLACEHOLDER, "photo_file_size": 183_000, "width": 1280, "height": 960}
    media_type, mime = FILE_TYPES.get(kind, (None, "application/octet-stream"))
    found: dict[str, Any] = {"file": PLACEHOLDER, "file_size": 1_500_000, "mime_type": mime}
    if media_type is not None:
        found["media_type"] = media_type
    return found


def _text(message: ArchivedMessage) -> tuple[Any, list[dict[str, Any]]]:
    """Desktop's ``text`` (a string, or parts when formatted) and ``text_entities``."""
    if not message.entities:
        plain = [{"type": "plain", "text": message.text}] if message.text else []
        return message.text, plain
    units = message.text.encode("utf-16-le")
    parts: list[dict[str, Any]] = []
    cursor = 0
    for entity in sorted(message.entities, key=lambda e: int(e["offset"])):
        start, end = int(entity["offset"]), int(entity["offset"]) + int(entity["length"])
        if start < cursor:
            continue  # overlapping: Desktop's parts never overlap
        if start > cursor:
            parts.append({"type": "plain", "text": _slice(units, cursor, start)})
        kind = DESKTOP_ENTITIES.get(entity["type"], entity["type"])
        parts.append({"type": kind, "text": _slice(units, start, end)})
        cursor = end
    if cursor * 2 < len(units):
        parts.append({"type": "plain", "text": _slice(units, cursor, len(units) // 2)})
    text = [part["text"] if part["type"] == "plain" else part for part in parts]
    return text, parts


def _slice(units: bytes, start: int, end: int) -> str:
    return units[start * 2 : end * 2].decode("utf-16-le")


def _date(key: str, value: datetime) -> dict[str, str]:
    # Desktop writes local time without an offset; the importer prefers the exact *_unixtime.
    return {
        key: value.strftime("%Y-%m-%dT%H:%M:%S"),
        f"{key}_unixtime": str(int(value.timestamp())),
    }


def _display_name(user: UserInfo) -> str:
    return " ".join(part for part in (user.first_name, user.last_name) if part) or str(user.id)
