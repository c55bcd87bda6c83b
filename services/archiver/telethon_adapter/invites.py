"""Invite links (t.me/+hash, t.me/joinchat/hash, tg://join?invite=hash): check, then join.

Joining is explicit: only ``join_invite`` does it, never resolve_chat. An account already in the
chat just resolves it; a link that needs an admin's approval sends the join request and says so.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from telethon import errors
from telethon.tl import functions, types

from core.errors import InvalidInputError, NotFoundError
from core.ports.telegram import ResolvedChat
from services.archiver.telethon_adapter.calls import TelegramCalls
from services.archiver.telethon_adapter.entities import map_chat

HASH = r"([A-Za-z0-9_-]{4,64})"
INVITE_LINK = re.compile(
    rf"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me|telegram\.dog)/(?:\+|joinchat/){HASH}/?$",
    re.IGNORECASE,
)
TG_JOIN = re.compile(rf"^tg://join\?invite={HASH}$", re.IGNORECASE)


def invite_hash(link: str) -> str:
    """The hash of an invite link; InvalidInputError for anything else."""
    value = link.strip()
    match = INVITE_LINK.match(value) or TG_JOIN.match(value)
    if match is None:
        raise InvalidInputError(
            f"{value!r} is not an invite link (t.me/+…, t.me/joinchat/… or tg://join?invite=…)"
        )
    return match.group(1)


async def join_invite(calls: TelegramCalls, link: str) -> ResolvedChat:
    """messages.checkChatInvite, then messages.importChatInvite unless already a member."""
    invite = invite_hash(link)
    with _translated():
        checked = await _check(calls, invite)
        entity = checked.chat if isinstance(checked, types.ChatInviteAlready) else None
        if entity is None:
            entity = await _import(calls, invite)
    chat = map_chat(entity) if entity is not None else None
    if chat is None:
        raise NotFoundError("the invite link led to no chat this account can read")
    return ResolvedChat(chat=chat, top_message_id=None)


async def _check(calls: TelegramCalls, invite: str) -> Any:
    request = functions.messages.CheckChatInviteRequest(invite)
    return await calls.invoke(request, "messages.CheckChatInvite")


async def _import(calls: TelegramCalls, invite: str) -> Any:
    request = functions.messages.ImportChatInviteRequest(invite)
    try:
        updates = await calls.invoke(request, "messages.ImportChatInvite")
    except errors.UserAlreadyParticipantError:
        # Joined in between (another device): what the check says now is the chat.
        checked = await _check(calls, invite)
        return checked.chat if isinstance(checked, types.ChatInviteAlready) else None
    return next((c for c in updates.chats if isinstance(c, types.Chat | types.Channel)), None)


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    try:
        yield
    except errors.InviteHashInvalidError as error:
        raise NotFoundError("this invite link is not valid (revoked or mistyped)") from error
    except errors.InviteHashExpiredError as error:
        raise NotFoundError("this invite link has expired") from error
    except errors.InviteRequestSentError as error:
        raise InvalidInputError(
            "the chat needs an admin's approval: a join request was sent; "
            "add the chat again once it is approved"
        ) from error
    except errors.ChannelsTooMuchError as error:
        raise InvalidInputError("this account is in too many chats to join another") from error
    except (errors.ChannelPrivateError, errors.UserBannedInChannelError) as error:
        raise NotFoundError("this account cannot join the chat (banned or private)") from error
