"""Telethon messages (and whole history results) -> ArchivedMessage / ArchivePage.

Text is the raw ``message`` field: Telethon's ``.text`` re-renders it as Markdown. Entity types
use Telegram Desktop's export names, offsets stay in UTF-16 code units as Telegram sends them.
"""

from __future__ import annotations

import re
from typing import Any

from telethon.tl import types

from core.domain.archive import ArchivePage
from core.domain.messages import ArchivedMessage
from services.archiver.telethon_adapter.actions import action_data, action_name
from services.archiver.telethon_adapter.entities import map_chat, map_user, marked_id
from services.archiver.telethon_adapter.media import media_kind, media_ref
from services.archiver.telethon_adapter.migrations import merge_chats, migration_links

GENERAL_TOPIC = 1  # a forum's "General" topic: its messages carry no topic header
ENTITY_NAMES: dict[str, str] = {
    "MessageEntityUrl": "link",
    "MessageEntityTextUrl": "text_link",
    "MessageEntityMentionName": "mention_name",
    "InputMessageEntityMentionName": "mention_name",
    "MessageEntityStrike": "strikethrough",
}
# Extra fields per entity, under the export's key names.
ENTITY_EXTRAS: dict[str, tuple[tuple[str, str], ...]] = {
    "MessageEntityPre": (("language", "language"),),
    "MessageEntityTextUrl": (("url", "href"),),
    "MessageEntityMentionName": (("user_id", "user_id"),),
    "MessageEntityBlockquote": (("collapsed", "collapsed"),),
}


def map_entities(entities: Any) -> tuple[dict[str, Any], ...] | None:
    if not entities:
        return None
    return tuple(_entity(e) for e in entities)


def _entity(entity: Any) -> dict[str, Any]:
    tl_name = type(entity).__name__
    mapped: dict[str, Any] = {
        "type": ENTITY_NAMES.get(tl_name) or _snake(tl_name.removeprefix("MessageEntity")),
        "offset": entity.offset,
        "length": entity.length,
    }
    for attribute, key in ENTITY_EXTRAS.get(tl_name, ()):
        value = getattr(entity, attribute, None)
        if value is not None:
            mapped[key] = value
    if isinstance(entity, types.MessageEntityCustomEmoji):
        mapped["document_id"] = str(entity.document_id)  # a string in exports too
    if isinstance(entity, types.InputMessageEntityMentionName):
        mapped["user_id"] = getattr(entity.user_id, "user_id", None)
    return mapped


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def map_message(message: Any, *, forum: bool = False) -> ArchivedMessage | None:
    """None for ``MessageEmpty`` (a deleted or inaccessible id)."""
    if not isinstance(message, types.Message | types.MessageService):
        return None
    chat_id = marked_id(message.peer_id)
    action = getattr(message, "action", None)
    reply_to_msg_id, topic_id = _thread(message, chat_id, forum)
    kind = media_kind(message.media) if message.media else None
    forward = message.fwd_from
    return ArchivedMessage(
        chat_id=chat_id,
        message_id=message.id,
        date=message.date,
        text=message.message or "",
        sender_id=message.sender_id,
        entities=map_entities(message.entities),
        kind="service" if action else ("media" if kind else "text"),
        action=action_name(action) if action else None,
        action_data=action_data(action, message) if action else None,
        reply_to_msg_id=reply_to_msg_id,
        topic_id=topic_id,
        fwd_from_id=marked_id(forward.from_id) if forward and forward.from_id else None,
        fwd_from_name=_forward_name(forward),
        fwd_date=forward.date if forward else None,
        grouped_id=message.grouped_id,
        via_bot_id=message.via_bot_id,
        post_author=message.post_author,
        views=message.views,
        media_kind=kind,
        edit_date=message.edit_date,
    )


def _thread(message: Any, chat_id: int, forum: bool) -> tuple[int | None, int | None]:
    """(the message replied to, the forum topic) from the reply header."""
    header = message.reply_to
    if isinstance(getattr(message, "action", None), types.MessageActionTopicCreate):
        return None, message.id  # a topic's id is the id of the message that created it
    if not isinstance(header, types.MessageReplyHeader):
        return None, GENERAL_TOPIC if forum else None
    reply_to = header.reply_to_msg_id
    topic = GENERAL_TOPIC if forum else None
    if header.forum_topic:
        topic = header.reply_to_top_id or header.reply_to_msg_id
        # Without a top id the header only points at the topic root: not a reply.
        reply_to = header.reply_to_msg_id if header.reply_to_top_id else None
    if header.reply_to_peer_id is not None and marked_id(header.reply_to_peer_id) != chat_id:
        reply_to = None  # a reply to another chat's message: its id means nothing here
    return reply_to, topic


def _forward_name(forward: Any) -> str | None:
    if forward is None:
        return None
    name = forward.from_name or forward.post_author
    return str(name) if name else None


def history_page(result: Any, chat_id: int) -> ArchivePage:
    """A messages.getHistory (or getMessages) result -> one archive page for ``chat_id``."""
    chats = [info for info in map(map_chat, result.chats) if info is not None]
    users = [info for info in map(map_user, result.users) if info is not None]
    forum = any(c.id == chat_id and c.is_forum for c in chats)
    if chat_id > 0:  # a private chat is the other person: their user entity is the chat
        chats.extend(info for u in result.users if marked_id(u) == chat_id if (info := map_chat(u)))
    messages = [m for m in (map_message(raw, forum=forum) for raw in result.messages) if m]
    media = [ref for raw in result.messages if (ref := media_ref(raw, chat_id)) is not None]
    chats = merge_chats([*chats, *migration_links(result.messages)])
    return ArchivePage(messages=messages, chats=chats, users=users, media=media)
