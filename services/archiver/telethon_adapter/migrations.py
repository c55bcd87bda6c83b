"""Group -> supergroup upgrades: both chats learn the other's id from either service message.

Telegram puts ``migrated_to`` on the old group's entity, but the supergroup's entity never says
where it came from: only its "migrate from" service message (or the full channel info) does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields, replace
from typing import Any

from telethon.tl import types

from core.domain.messages import ChatInfo
from services.archiver.telethon_adapter.entities import marked_id


def migration_links(messages: Iterable[Any]) -> list[ChatInfo]:
    """Partial chats (id, kind, one link each) for every migration service message."""
    links: list[ChatInfo] = []
    for message in messages:
        action = getattr(message, "action", None)
        if isinstance(action, types.MessageActionChatMigrateTo):
            group, channel = (
                marked_id(message.peer_id),
                marked_id(types.PeerChannel(action.channel_id)),
            )
        elif isinstance(action, types.MessageActionChannelMigrateFrom):
            group, channel = marked_id(types.PeerChat(action.chat_id)), marked_id(message.peer_id)
        else:
            continue
        links.append(ChatInfo(id=group, kind="group", migrated_to_id=channel))
        links.append(ChatInfo(id=channel, kind="supergroup", migrated_from_id=group))
    return links


def merge_chats(chats: Iterable[ChatInfo]) -> list[ChatInfo]:
    """One ChatInfo per id: what a later sighting knows wins, what it does not know is kept."""
    merged: dict[int, ChatInfo] = {}
    for chat in chats:
        known = merged.get(chat.id)
        if known is None:
            merged[chat.id] = chat
            continue
        updates = {f.name: getattr(chat, f.name) for f in fields(chat)}
        merged[chat.id] = replace(known, **{k: v for k, v in updates.items() if v is not None})
    return list(merged.values())
