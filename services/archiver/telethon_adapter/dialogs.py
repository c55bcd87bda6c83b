"""Every dialog of the account, page by page (messages.getDialogs), as ChatInfo."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from telethon import utils
from telethon.tl import functions, types

from core.domain.messages import ChatInfo
from services.archiver.telethon_adapter.calls import TelegramCalls
from services.archiver.telethon_adapter.entities import map_chat, marked_id

DIALOG_PAGE = 100  # Telegram's maximum per request


async def dialog_chats(calls: TelegramCalls) -> AsyncIterator[ChatInfo]:
    """Each dialog once, newest activity first (pinned ones lead), archived folder included.

    One request per page, each through the retry wrapper; a flood wait in the middle resumes
    from the same offset. Telegram may repeat a dialog across pages: it is yielded once.
    """
    request = functions.messages.GetDialogsRequest(
        offset_date=None, offset_id=0, offset_peer=types.InputPeerEmpty(), limit=DIALOG_PAGE,
        hash=0,
    )  # fmt: skip
    seen: set[int] = set()
    while True:
        result = await calls.invoke(request, "messages.GetDialogs")
        entities = {marked_id(e): e for e in [*result.users, *result.chats] if _usable(e)}
        dialogs = [d for d in result.dialogs if isinstance(d, types.Dialog)]
        for dialog in dialogs:
            peer_id = marked_id(dialog.peer)
            chat = map_chat(entities[peer_id]) if peer_id in entities else None
            if chat is not None and peer_id not in seen:
                seen.add(peer_id)
                yield chat
        if isinstance(result, types.messages.Dialogs) or len(result.dialogs) < DIALOG_PAGE:
            return
        if not _advance(request, dialogs, result.messages, entities):
            return


def _usable(entity: Any) -> bool:
    return not isinstance(entity, types.UserEmpty | types.ChatEmpty)


def _advance(
    request: Any, dialogs: list[Any], messages: list[Any], entities: dict[int, Any]
) -> bool:
    """Move the offset past this page; False when it cannot move (nothing more to ask for).

    Pinned dialogs lead the first page out of date order, so the offset is the last dialog
    that has a top message, and later pages leave the pinned ones out (as Telethon does).
    """
    tops = {(marked_id(m.peer_id), m.id): m for m in messages}
    for dialog in reversed(dialogs):
        peer_id = marked_id(dialog.peer)
        top = tops.get((peer_id, dialog.top_message))
        if top is not None and peer_id in entities:
            request.offset_date, request.offset_id = top.date, top.id
            request.offset_peer = utils.get_input_peer(entities[peer_id])
            request.exclude_pinned = True
            return True
    return False
