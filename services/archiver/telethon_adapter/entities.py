"""Telethon users, groups and channels -> UserInfo / ChatInfo, keyed by marked peer ids."""

from __future__ import annotations

from typing import Any

from telethon import utils
from telethon.tl import types

from core.domain.messages import ChatInfo, UserInfo


def marked_id(entity_or_peer: Any) -> int:
    """The id the archive stores: users as is, basic groups negative, channels -100…"""
    return int(utils.get_peer_id(entity_or_peer))


def map_user(user: Any) -> UserInfo | None:
    """None for ``UserEmpty``. A ``min`` user is partial: what it lacks stays None (unknown)."""
    if not isinstance(user, types.User):
        return None
    full = not user.min
    return UserInfo(
        id=marked_id(user),
        first_name=user.first_name,
        last_name=user.last_name,
        username=_username(user),
        phone=user.phone,
        lang_code=user.lang_code,
        is_bot=bool(user.bot),
        is_premium=bool(user.premium) if full else None,
        is_verified=bool(user.verified),
        is_scam=bool(user.scam),
        is_fake=bool(user.fake),
        is_deleted=bool(user.deleted),
        access_hash=user.access_hash if full else None,
        photo_id=_photo_id(user.photo),
    )


def map_chat(entity: Any) -> ChatInfo | None:
    """A chat as the archive knows it; a user entity is the chat of a private conversation."""
    if isinstance(entity, types.Channel | types.ChannelForbidden):
        return _channel(entity)
    if isinstance(entity, types.Chat | types.ChatForbidden):
        return _basic_group(entity)
    if isinstance(entity, types.User):
        return ChatInfo(
            id=marked_id(entity),
            kind="bot" if entity.bot else "user",
            title=utils.get_display_name(entity) or None,
            username=_username(entity),
            access_hash=None if entity.min else entity.access_hash,
            photo_id=_photo_id(entity.photo),
        )
    return None


def _channel(channel: Any) -> ChatInfo:
    forbidden = isinstance(channel, types.ChannelForbidden)
    min_channel = not forbidden and bool(channel.min)
    return ChatInfo(
        id=marked_id(channel),
        kind="channel" if channel.broadcast else "supergroup",
        title=channel.title,
        username=None if forbidden else _username(channel),
        is_forum=None if forbidden else bool(channel.forum),
        access_hash=None if min_channel else channel.access_hash,
        photo_id=None if forbidden else _photo_id(channel.photo),
        participants_count=None if forbidden else channel.participants_count,
    )


def _basic_group(chat: Any) -> ChatInfo:
    if isinstance(chat, types.ChatForbidden):
        return ChatInfo(id=marked_id(chat), kind="group", title=chat.title)
    migrated = chat.migrated_to
    return ChatInfo(
        id=marked_id(chat),
        kind="group",
        title=chat.title,
        is_forum=False,
        photo_id=_photo_id(chat.photo),
        participants_count=chat.participants_count,
        migrated_to_id=(
            marked_id(types.PeerChannel(migrated.channel_id))
            if isinstance(migrated, types.InputChannel)
            else None
        ),
    )


def _username(entity: Any) -> str | None:
    if entity.username:
        return str(entity.username)
    # Accounts with several (collectible) usernames list them in ``usernames`` instead.
    for candidate in entity.usernames or ():
        if candidate.active:
            return str(candidate.username)
    return None


def _photo_id(photo: Any) -> int | None:
    photo_id = getattr(photo, "photo_id", None)
    return int(photo_id) if photo_id is not None else None
