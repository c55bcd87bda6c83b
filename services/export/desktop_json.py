"""Stored messages as Telegram Desktop ``result.json`` objects (reference: the export format doc).

A single-chat export is ``{name, type, id, messages}``; each message carries the keys Desktop
writes, so our own importer reads an export back. Dates are written like Desktop writes them
(wall time in the export's time zone, no offset) with exact ``*_unixtime`` twins. Files are never
inside an export, so file keys hold Desktop's "not included" placeholder. What Desktop has no
key for (deletion marks, earlier versions of edited messages) goes under ``vault``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.export.desktop_text import desktop_text, text_parts
from services.export.models import ExportChat, ExportMessage
from services.importer.ids import CHANNEL_SHIFT
from services.importer.keys import CUSTOM_ACTION

NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"
FILE_KEYS = ("photo", "file", "thumbnail", "contact_vcard")
MEDIA_TYPES = {
    "video": "video_file", "voice": "voice_message", "video_note": "video_message",
    "audio": "audio_file", "sticker": "sticker", "animation": "animation",
}  # fmt: skip
FILE_KINDS = frozenset({"document", *MEDIA_TYPES})
# Keys by which Desktop (and the importer) recognise a message's media.
MEDIA_KEYS = frozenset(
    {"photo", "file", "contact_information", "place_name", "location_information", "game_title",
     "invoice_information", "poll", "todo_list", "giveaway_information", "giveaway_results",
     "paid_stars_amount"}
)  # fmt: skip
VAULT_KEY = "vault"
RESERVED = frozenset(
    {"id", "type", "date", "date_unixtime", "edited", "edited_unixtime", "from", "from_id",
     "actor", "actor_id", "action", "forwarded_from", "text", "text_entities", VAULT_KEY}
)  # fmt: skip


def chat_head(chat: ExportChat) -> dict[str, Any]:
    """``name``, ``type`` and the bare ``id`` Desktop writes for the chat."""
    chat_type, bare_id = _desktop_chat(chat)
    return {"name": chat.title, "type": chat_type, "id": bare_id}


def _desktop_chat(chat: ExportChat) -> tuple[str, int]:
    """The inverse of the importer's ``marked_chat``; odd ids keep their marked form."""
    if chat.kind in ("user", "bot") and chat.id > 0:
        return ("bot_chat" if chat.kind == "bot" else "personal_chat"), chat.id
    if chat.kind == "group" and 0 < -chat.id <= CHANNEL_SHIFT:
        return "private_group", -chat.id
    if chat.kind in ("supergroup", "channel") and -chat.id > CHANNEL_SHIFT:
        visibility = "public" if chat.username else "private"
        return f"{visibility}_{chat.kind}", -chat.id - CHANNEL_SHIFT
    return "", chat.id


def peer_id(marked: int) -> str:
    """``user<N>``, ``chat<N>`` or ``channel<N>`` for a marked peer id."""
    if marked > 0:
        return f"user{marked}"
    if -marked > CHANNEL_SHIFT:
        return f"channel{-marked - CHANNEL_SHIFT}"
    return f"chat{-marked}"


def message_object(message: ExportMessage, tz: ZoneInfo) -> dict[str, Any]:
    service = message.kind == "service"
    found: dict[str, Any] = {"id": message.message_id, "type": "service" if service else "message"}
    found.update(dates("date", message.date, tz))
    if message.edit_date is not None:
        found.update(dates("edited", message.edit_date, tz))
    extras = {k: v for k, v in (message.action_data or {}).items() if k not in RESERVED}
    _without_files(extras)
    found.update(_service_keys(message) if service else _message_keys(message, extras))
    found.update(extras)
    parts = text_parts(message.text, message.entities)
    found["text"] = desktop_text(parts)
    found["text_entities"] = parts
    vault = _vault_keys(message, tz)
    if vault:
        found[VAULT_KEY] = vault
    return found


def dates(key: str, value: datetime, tz: ZoneInfo) -> dict[str, str]:
    local = value.astimezone(tz).replace(tzinfo=None, microsecond=0)
    return {key: local.isoformat(), f"{key}_unixtime": str(int(value.timestamp()))}


def _service_keys(message: ExportMessage) -> dict[str, Any]:
    data = message.action_data or {}
    found: dict[str, Any] = {"actor": _name(message.sender_name, data.get("actor"))}
    if message.sender_id is not None:
        found["actor_id"] = peer_id(message.sender_id)
    if message.action and message.action != CUSTOM_ACTION:
        found["action"] = message.action
    return found


def _message_keys(message: ExportMessage, extras: dict[str, Any]) -> dict[str, Any]:
    data = message.action_data or {}
    found: dict[str, Any] = {"from": _name(message.sender_name, data.get("from"))}
    if message.sender_id is not None:
        found["from_id"] = peer_id(message.sender_id)
    if message.post_author:
        found["author"] = message.post_author
    if message.forwarded:
        found["forwarded_from"] = message.fwd_from_name
        if message.fwd_from_id is not None:
            found["forwarded_from_id"] = peer_id(message.fwd_from_id)
    if message.reply_to is not None:
        found["reply_to_message_id"] = message.reply_to
    if message.via_bot and "via_bot" not in extras:
        found["via_bot"] = f"@{message.via_bot}"
    if not MEDIA_KEYS & extras.keys():
        found.update(_media_keys(message))
    return found


def _media_keys(message: ExportMessage) -> dict[str, Any]:
    """Desktop's media keys from the media row (messages archived live have no others)."""
    kind, media = message.media_kind, message.media
    size = media.size if media else None
    if kind == "photo":
        found: dict[str, Any] = {"photo": NOT_INCLUDED, "photo_file_size": size}
    elif kind in FILE_KINDS:
        found = {
            "file": NOT_INCLUDED, "file_name": media.file_name if media else None,
            "file_size": size, "media_type": MEDIA_TYPES.get(kind or ""),
            "mime_type": media.mime_type if media else None,
        }  # fmt: skip
    else:
        return {}
    return {key: value for key, value in found.items() if value is not None}


def _without_files(extras: dict[str, Any]) -> None:
    """File paths of the original export point at files this export does not carry."""
    for key in FILE_KEYS:
        value = extras.get(key)
        if isinstance(value, str) and not value.startswith("("):
            extras[key] = NOT_INCLUDED


def _vault_keys(message: ExportMessage, tz: ZoneInfo) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if message.deleted_at is not None:
        found.update(dates("deleted", message.deleted_at, tz))
    if message.versions:
        found["versions"] = [
            {"text": v.text, **(dates("edited", v.edit_date, tz) if v.edit_date else {})}
            for v in message.versions
        ]
    return found


def _name(known: str | None, kept: Any) -> str | None:
    """The name the vault knows, else the one an import kept for a sender without an id."""
    if known is not None:
        return known
    return kept if isinstance(kept, str) else None
