"""One live update -> the ArchivePage the LiveIngestor takes (a message with its chat, people and
media, or a deletion)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from telethon.tl import types

from core.domain.archive import ArchivePage, Deletion
from core.domain.messages import ChatInfo, UserInfo
from services.archiver.telethon_adapter.entities import map_chat, map_user, marked_id
from services.archiver.telethon_adapter.media import media_ref
from services.archiver.telethon_adapter.messages import map_message
from services.archiver.telethon_adapter.migrations import merge_chats, migration_links


def message_page(
    message: Any, entities: Mapping[int, Any], observed_at: datetime, *, forum: bool
) -> ArchivePage | None:
    """A new or edited message; None for one that carries nothing (``MessageEmpty``).

    ``entities`` are the users and chats the update arrived with (marked id -> TL entity);
    updates pushed in their short form bring none, and then only the message is known.
    """
    archived = map_message(message, forum=forum)
    if archived is None:
        return None
    chats, users = _entities(entities.values(), archived.chat_id)
    reference = media_ref(message, archived.chat_id)
    return ArchivePage(
        messages=[archived],
        chats=merge_chats([*chats, *migration_links([message])]),
        users=users,
        media=[reference] if reference is not None else [],
        observed_at=observed_at,
    )


def deletion_page(
    message_ids: Iterable[int], chat_id: int | None, observed_at: datetime
) -> ArchivePage:
    """Telegram names the chat of a deletion only in channels and supergroups (``chat_id``);
    elsewhere message ids are unique per account and ``chat_id`` is None."""
    deletion = Deletion(tuple(message_ids), observed_at, chat_id)
    return ArchivePage(deletions=[deletion], observed_at=observed_at)


def forum_flags(entities: Mapping[int, Any]) -> dict[int, bool]:
    """Which of the channels an update carries are forums (marked id -> flag)."""
    return {
        marked_id(entity): bool(entity.forum)
        for entity in entities.values()
        if isinstance(entity, types.Channel)
    }


def _entities(found: Iterable[Any], chat_id: int) -> tuple[list[ChatInfo], list[UserInfo]]:
    chats: list[ChatInfo] = []
    users: list[UserInfo] = []
    for entity in found:
        if isinstance(entity, types.User):
            user = map_user(entity)
            if user is not None:
                users.append(user)
            if marked_id(entity) != chat_id:
                continue  # a user is a chat only as the other side of a private conversation
        chat = map_chat(entity)
        if chat is not None:
            chats.append(chat)
    return chats, users
