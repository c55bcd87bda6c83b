"""TelethonGateway: core's TelegramGateway port over one real Telethon client."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import structlog
from telethon import TelegramClient, errors, utils
from telethon.tl import functions, types

from core.api_retry_wrapper import APIRetryWrapper
from core.domain.messages import ChatInfo
from core.errors import InvalidInputError, MediaUnavailableError, NotFoundError
from core.ports.telegram import HistoryPage, ResolvedChat
from services.archiver.telethon_adapter.calls import TelegramCalls
from services.archiver.telethon_adapter.dialogs import dialog_chats
from services.archiver.telethon_adapter.entities import map_chat, marked_id
from services.archiver.telethon_adapter.invites import join_invite
from services.archiver.telethon_adapter.media import Download, download_of
from services.archiver.telethon_adapter.messages import history_page
from services.archiver.telethon_adapter.peers import (
    REJECTED_PEER,
    AccessHashLookup,
    FoundPeer,
    PeerFinder,
)
from services.archiver.telethon_adapter.references import parse_reference

log = structlog.get_logger(__name__)

FILE_REFERENCE_ERRORS = (errors.FileReferenceExpiredError, errors.FilerefUpgradeNeededError)


class TelethonGateway:
    """One Telegram account for the archive; every request goes through APIRetryWrapper.

    ``access_hashes`` looks up the hash the vault stored for a chat, so a fresh session can
    address chats it has not seen yet without scanning every dialog.
    """

    def __init__(
        self,
        client: TelegramClient,
        retry: APIRetryWrapper,
        *,
        access_hashes: AccessHashLookup | None = None,
    ) -> None:
        self._calls = TelegramCalls(client, retry)
        self._peers = PeerFinder(self._calls, access_hashes)

    async def resolve_chat(self, reference: str) -> ResolvedChat:
        parsed = parse_reference(reference)
        with _translated(reference):
            if parsed.username is not None:
                found: FoundPeer | None = FoundPeer(await self._by_username(parsed.username))
            else:
                found = await self._peers.find(parsed.chat_id or 0)
        chat = map_chat(found.entity) if found is not None else None
        if found is None or chat is None:
            raise NotFoundError(f"{reference.strip()}: no such chat among this account's chats")
        return ResolvedChat(chat=chat, top_message_id=found.top_message_id)

    def iter_dialog_chats(self) -> AsyncIterator[ChatInfo]:
        """Every dialog of the account (archived ones too), one getDialogs page at a time."""
        return dialog_chats(self._calls)

    async def join_invite(self, link: str) -> ResolvedChat:
        """Join the chat of an invite link (or just resolve it when already a member)."""
        return await join_invite(self._calls, link)

    async def _by_username(self, username: str) -> Any:
        request = functions.contacts.ResolveUsernameRequest(username)
        result = await self._calls.invoke(request, "contacts.ResolveUsername")
        wanted = marked_id(result.peer)
        for entity in [*result.chats, *result.users]:
            if marked_id(entity) == wanted:
                return entity
        raise NotFoundError(f"@{username}: Telegram named no chat for it")

    async def fetch_history(self, chat_id: int, *, offset_id: int, limit: int) -> HistoryPage:
        """Exactly one messages.getHistory request (plus a lookup when the chat is unknown)."""
        peer = await self._input_peer(chat_id)
        request = functions.messages.GetHistoryRequest(
            peer=peer, offset_id=offset_id, offset_date=None, add_offset=0, limit=limit,
            max_id=0, min_id=0, hash=0,
        )  # fmt: skip
        with _translated(str(chat_id)):
            result = await self._calls.invoke(request, "messages.GetHistory")
        lowest = min((m.id for m in result.messages), default=None)
        log.debug(
            "history_fetched", chat_id=chat_id, offset_id=offset_id, count=len(result.messages)
        )
        return HistoryPage(page=history_page(result, chat_id), lowest_id=lowest)

    async def download_media(self, chat_id: int, message_id: int) -> AsyncIterator[bytes]:
        """Stream a message's file; an expired file reference is refreshed once, then resumed."""
        download = await self._locate(chat_id, message_id)
        received, refreshed = 0, False
        while True:
            try:
                async for chunk in self._chunks(download, received):
                    received += len(chunk)
                    yield chunk
                return
            except FILE_REFERENCE_ERRORS:
                if refreshed:
                    raise
                refreshed = True
                log.info(
                    "file_reference_refreshed", chat_id=chat_id, message_id=message_id,
                    resume_at=received,
                )  # fmt: skip
                download = await self._locate(chat_id, message_id)

    async def _input_peer(self, chat_id: int) -> Any:
        peer = await self._peers.input_peer(chat_id)
        if peer is not None:
            return peer
        with _translated(str(chat_id)):
            found = await self._peers.find(chat_id)
        if found is None:
            raise NotFoundError(f"chat {chat_id} is not among this account's chats")
        return utils.get_input_peer(found.entity)

    async def _locate(self, chat_id: int, message_id: int) -> Download:
        """Re-read the message now: its media carries a fresh file reference."""
        peer = await self._input_peer(chat_id)
        ids = [types.InputMessageID(message_id)]
        if isinstance(peer, types.InputPeerChannel):
            channel = types.InputChannel(peer.channel_id, peer.access_hash)
            request: Any = functions.channels.GetMessagesRequest(channel, ids)
            operation = "channels.GetMessages"
        else:
            request, operation = functions.messages.GetMessagesRequest(ids), "messages.GetMessages"
        try:
            result = await self._calls.invoke(request, operation)
        except errors.MessageIdsEmptyError:
            result = types.messages.Messages([], [], [], [])
        message = next(
            (
                m for m in result.messages
                if isinstance(m, types.Message) and m.id == message_id
                and marked_id(m.peer_id) == chat_id
            ),
            None,
        )  # fmt: skip
        download = download_of(message.media) if message is not None else None
        if download is None:
            raise MediaUnavailableError(
                f"message {message_id} of chat {chat_id} has no downloadable media any more"
            )
        return download

    async def _chunks(self, download: Download, offset: int) -> AsyncIterator[bytes]:
        remaining = None if download.size is None else max(download.size - offset, 0)
        stream = self._calls.client.iter_download(
            download.location, offset=offset, file_size=remaining, dc_id=download.dc_id
        )
        try:
            while True:
                chunk = await self._calls.run(
                    lambda: _next_chunk(stream), functions.upload.GetFileRequest, "upload.GetFile"
                )
                if chunk is None:
                    return
                yield chunk
        finally:
            # Telethon's iterator only has a sender to give back once it has started.
            with contextlib.suppress(AttributeError):
                await stream.close()


async def _next_chunk(stream: Any) -> bytes | None:
    try:
        chunk = await stream.__anext__()
    except StopAsyncIteration:
        return None
    return bytes(chunk)


@contextlib.contextmanager
def _translated(reference: str) -> Iterator[None]:
    """Telegram's answers about a chat that cannot be reached -> the product's domain errors."""
    name = reference.strip()
    try:
        yield
    except errors.UsernameNotOccupiedError as exc:
        raise NotFoundError(f"{name}: nobody uses this username") from exc
    except errors.UsernameInvalidError as exc:
        raise InvalidInputError(f"{name}: not a valid Telegram username") from exc
    except errors.ChannelPrivateError as exc:
        raise NotFoundError(f"{name}: the chat is private or this account was removed") from exc
    except REJECTED_PEER as exc:
        raise NotFoundError(f"{name}: no such chat for this account") from exc
