"""Finding a chat by its marked id: the session's cache, the vault's access hash, then the dialogs.

Telegram only accepts a channel or user together with the access hash this account saw it
with. A fresh session (a container restart with a session string) knows none, so the vault's
stored hash is tried before scanning the account's dialogs page by page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telethon import errors, utils
from telethon.tl import functions, types

from services.archiver.telethon_adapter.calls import TelegramCalls
from services.archiver.telethon_adapter.entities import marked_id

AccessHashLookup = Callable[[int], Awaitable[int | None]]
DIALOG_PAGE = 100
# Telegram's answers to an id or access hash this account cannot use (stale or foreign).
REJECTED_PEER = (
    errors.ChannelInvalidError,
    errors.ChatIdInvalidError,
    errors.PeerIdInvalidError,
    errors.UserIdInvalidError,
)


@dataclass(frozen=True, slots=True)
class FoundPeer:
    entity: Any  # a Telethon User, Chat or Channel
    top_message_id: int | None = None  # known when found among the dialogs


class PeerFinder:
    """Turns marked ids into input peers and entities, caching what it learns in the session."""

    def __init__(self, calls: TelegramCalls, access_hashes: AccessHashLookup | None) -> None:
        self._calls = calls
        self._access_hashes = access_hashes

    async def input_peer(self, chat_id: int) -> Any | None:
        """The InputPeer for ``chat_id`` without any request, or None when it is not known yet."""
        bare, peer_type = utils.resolve_id(chat_id)
        if peer_type is types.PeerChat:
            return types.InputPeerChat(bare)  # basic groups need no access hash
        try:
            # A Peer (not a bare int) makes the session match the exact kind of id.
            found = await utils.maybe_async(
                self._calls.client.session.get_input_entity(peer_type(bare))
            )
        except ValueError:
            return None
        return found

    async def find(self, chat_id: int) -> FoundPeer | None:
        peer = await self.input_peer(chat_id) or await self._from_vault(chat_id)
        if peer is not None:
            try:
                entity = await self._entity(peer)
            except REJECTED_PEER:
                entity = None
            if entity is not None:
                return FoundPeer(entity)
        return await self._among_dialogs(chat_id)

    async def _from_vault(self, chat_id: int) -> Any | None:
        if self._access_hashes is None:
            return None
        access_hash = await self._access_hashes(chat_id)
        if access_hash is None:
            return None
        bare, peer_type = utils.resolve_id(chat_id)
        if peer_type is types.PeerChannel:
            return types.InputPeerChannel(bare, access_hash)
        return types.InputPeerUser(bare, access_hash)

    async def _entity(self, peer: Any) -> Any | None:
        """The full entity behind an input peer (one request), or None if Telegram rejects it."""
        if isinstance(peer, types.InputPeerChannel):
            request: Any = functions.channels.GetChannelsRequest(
                [types.InputChannel(peer.channel_id, peer.access_hash)]
            )
            operation = "channels.GetChannels"
        elif isinstance(peer, types.InputPeerChat):
            request, operation = (
                functions.messages.GetChatsRequest([peer.chat_id]),
                "messages.GetChats",
            )
        else:
            request = functions.users.GetUsersRequest([utils.get_input_user(peer)])
            operation = "users.GetUsers"
        result = await self._calls.invoke(request, operation)
        found = result if isinstance(result, list) else result.chats
        return found[0] if found and not isinstance(found[0], types.UserEmpty) else None

    async def _among_dialogs(self, chat_id: int) -> FoundPeer | None:
        offset_date, offset_id, offset_peer = None, 0, types.InputPeerEmpty()
        while True:
            result = await self._calls.invoke(
                functions.messages.GetDialogsRequest(
                    offset_date=offset_date, offset_id=offset_id, offset_peer=offset_peer,
                    limit=DIALOG_PAGE, hash=0,
                ),
                "messages.GetDialogs",
            )  # fmt: skip
            entities = {marked_id(e): e for e in [*result.users, *result.chats]}
            for dialog in result.dialogs:
                if marked_id(dialog.peer) == chat_id and chat_id in entities:
                    return FoundPeer(entities[chat_id], dialog.top_message)
            if isinstance(result, types.messages.Dialogs) or len(result.dialogs) < DIALOG_PAGE:
                return None
            last = result.dialogs[-1]
            tops = {(marked_id(m.peer_id), m.id): m for m in result.messages}
            top = tops.get((marked_id(last.peer), last.top_message))
            offset_date = top.date if top is not None else None
            offset_id = last.top_message
            offset_peer = utils.get_input_peer(entities[marked_id(last.peer)])
