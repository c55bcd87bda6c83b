"""Answers MTProto requests from the script the way Telegram does (layer-229 TL results or errors).

Only the requests the archive makes are served; any other raises NotImplementedError so a test
that wanders off the script fails loudly instead of hanging.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from telethon import utils
from telethon.tl import TLObject, TLRequest, functions, types

from tests.fakes.telegram.faults import rpc_error
from tests.fakes.telegram.profile_handlers import PROFILE_HANDLERS, profile_photo_part
from tests.fakes.telegram.session_handlers import SESSION_HANDLERS
from tests.fakes.telegram.specs import FakeChat, FakeMessage, FakeUser
from tests.fakes.telegram.world import FakeTelegram

MB = 1024 * 1024
Handler = Callable[[Any, Any, int], Any]


class TelegramServer:
    """Serves one request at a time from a FakeTelegram; stateless apart from the script."""

    def __init__(self, world: FakeTelegram) -> None:
        self.world = world
        self._handlers: dict[type[TLRequest], Handler] = {
            functions.messages.GetHistoryRequest: TelegramServer._history,
            functions.messages.GetMessagesRequest: TelegramServer._messages_by_id,
            functions.channels.GetMessagesRequest: TelegramServer._channel_messages_by_id,
            functions.contacts.ResolveUsernameRequest: TelegramServer._resolve_username,
            functions.channels.GetChannelsRequest: TelegramServer._channels,
            functions.users.GetUsersRequest: TelegramServer._users,
            functions.messages.GetChatsRequest: TelegramServer._chats,
            functions.messages.GetDialogsRequest: TelegramServer._dialogs,
            functions.upload.GetFileRequest: TelegramServer._file,
            **SESSION_HANDLERS,
            **PROFILE_HANDLERS,
        }

    def handle(self, request: TLRequest, dc_id: int) -> Any:
        handler = self._handlers.get(type(request))
        if handler is None:
            raise NotImplementedError(f"the fake Telegram does not serve {type(request).__name__}")
        return handler(self, request, dc_id)

    # -- peers -------------------------------------------------------------------------------

    def _peer(self, request: TLRequest, peer: TLObject) -> FakeUser | FakeChat:
        """The entity an input peer names, checked like Telegram checks access hashes."""
        if isinstance(peer, types.InputPeerSelf | types.InputUserSelf):
            return self.world.me
        if isinstance(peer, types.InputPeerChat):
            found = self.world.chats.get(-peer.chat_id)
            if found is None:
                raise rpc_error(request, 400, "CHAT_ID_INVALID")
            return found
        if isinstance(peer, types.InputPeerChannel | types.InputChannel):
            return self._channel(request, peer.channel_id, peer.access_hash)
        if isinstance(peer, types.InputPeerUser | types.InputUser):
            user = self.world.users.get(peer.user_id)
            if user is None or user.access_hash != peer.access_hash:
                raise rpc_error(request, 400, "PEER_ID_INVALID")
            return user
        raise rpc_error(request, 400, "PEER_ID_INVALID")

    def _channel(self, request: TLRequest, channel_id: int, access_hash: int) -> FakeChat:
        chat = self.world.chats.get(int(utils.get_peer_id(types.PeerChannel(channel_id))))
        if chat is None or chat.access_hash != access_hash:
            raise rpc_error(request, 400, "CHANNEL_INVALID")
        if chat.private:
            raise rpc_error(request, 400, "CHANNEL_PRIVATE")
        return chat

    def _entities(self, peers: Iterable[int]) -> tuple[list[TLObject], list[TLObject]]:
        chats: dict[int, TLObject] = {}
        users: dict[int, TLObject] = {}
        for marked in peers:
            entity = self.world.entity(marked)
            if isinstance(entity, FakeUser):
                users[marked] = entity.to_tl()
            elif entity is not None:
                chats[marked] = entity.to_tl()
        return list(chats.values()), list(users.values())

    def _messages_result(
        self, owner: FakeUser | FakeChat, found: Sequence[FakeMessage], count: int, *, whole: bool
    ) -> TLObject:
        peer = owner.peer
        tl_messages = [m.to_tl(peer) for m in found]
        chats, users = self._entities([owner.marked_id, *_referenced_peers(found)])
        if isinstance(owner, FakeChat) and owner.is_channel:
            return types.messages.ChannelMessages(
                pts=1, count=count, messages=tl_messages, topics=[], chats=chats, users=users
            )
        if whole:
            return types.messages.Messages(tl_messages, topics=[], chats=chats, users=users)
        return types.messages.MessagesSlice(count, tl_messages, topics=[], chats=chats, users=users)

    # -- messages ----------------------------------------------------------------------------

    def _history(self, request: functions.messages.GetHistoryRequest, dc_id: int) -> TLObject:
        owner = self._peer(request, request.peer)
        newest_first = self.world.newest_first(owner.marked_id)
        start = 0
        if request.offset_id:
            start = next(
                (i for i, m in enumerate(newest_first) if m.id < request.offset_id),
                len(newest_first),
            )
        start = max(start + request.add_offset, 0)
        page = [
            m
            for m in newest_first[start : start + request.limit]
            if m.id > request.min_id and (not request.max_id or m.id < request.max_id)
        ]
        whole = start == 0 and len(newest_first) <= request.limit
        return self._messages_result(owner, page, len(newest_first), whole=whole)

    def _channel_messages_by_id(
        self, request: functions.channels.GetMessagesRequest, dc_id: int
    ) -> TLObject:
        chat = self._peer(request, request.channel)
        history = self.world.histories[chat.marked_id]
        found = [history[i.id] for i in request.id if i.id in history]
        return self._messages_result(chat, found, len(found), whole=True)

    def _messages_by_id(self, request: functions.messages.GetMessagesRequest, dc_id: int) -> Any:
        # Outside channels ids are unique per account: look in every private chat and group.
        for peer_id, history in self.world.histories.items():
            owner = self.world.entity(peer_id)
            if owner is None or (isinstance(owner, FakeChat) and owner.is_channel):
                continue
            found = [history[i.id] for i in request.id if i.id in history]
            if found:
                return self._messages_result(owner, found, len(found), whole=True)
        return types.messages.Messages([], topics=[], chats=[], users=[])

    # -- entities ----------------------------------------------------------------------------

    def _resolve_username(
        self, request: functions.contacts.ResolveUsernameRequest, dc_id: int
    ) -> TLObject:
        if not utils.VALID_USERNAME_RE.match(request.username):
            raise rpc_error(request, 400, "USERNAME_INVALID")
        entity = self.world.by_username(request.username)
        if entity is None:
            raise rpc_error(request, 400, "USERNAME_NOT_OCCUPIED")
        chats, users = self._entities([entity.marked_id])
        return types.contacts.ResolvedPeer(entity.peer, chats=chats, users=users)

    def _channels(self, request: functions.channels.GetChannelsRequest, dc_id: int) -> TLObject:
        found = [self._peer(request, c) for c in request.id]
        return types.messages.Chats([c.to_tl() for c in found])

    def _users(self, request: functions.users.GetUsersRequest, dc_id: int) -> list[TLObject]:
        found = []
        for wanted in request.id:
            user = self.world.users.get(getattr(wanted, "user_id", self.world.me.id))
            if user is not None and (
                isinstance(wanted, types.InputUserSelf) or user.access_hash == wanted.access_hash
            ):
                found.append(user.to_tl())
        return found

    def _chats(self, request: functions.messages.GetChatsRequest, dc_id: int) -> TLObject:
        chats = [self.world.chats.get(-chat_id) for chat_id in request.id]
        if any(c is None for c in chats):
            raise rpc_error(request, 400, "CHAT_ID_INVALID")
        return types.messages.Chats([c.to_tl() for c in chats if c is not None])

    def _dialogs(self, request: functions.messages.GetDialogsRequest, dc_id: int) -> TLObject:
        everything = self.world.dialogs()
        start = 0
        if not isinstance(request.offset_peer, types.InputPeerEmpty):
            after = utils.get_peer_id(request.offset_peer)
            ids = [entity.marked_id for entity, _ in everything]
            start = ids.index(after) + 1 if after in ids else len(ids)
        page = everything[start : start + request.limit]
        dialogs = [_dialog(entity, top) for entity, top in page]
        tops = [top.to_tl(entity.peer) for entity, top in page if top is not None]
        peers = [entity.marked_id for entity, _ in page]
        referenced = _referenced_peers(top for _, top in page if top is not None)
        chats, users = self._entities([*peers, *referenced])
        if start == 0 and len(page) == len(everything):
            return types.messages.Dialogs(dialogs, tops, chats, users)
        return types.messages.DialogsSlice(len(everything), dialogs, tops, chats, users)

    # -- files -------------------------------------------------------------------------------

    def _file(self, request: functions.upload.GetFileRequest, dc_id: int) -> TLObject:
        location = request.location
        if isinstance(location, types.InputPeerPhotoFileLocation):
            return profile_photo_part(self, request, dc_id)
        file = self.world.files.get(getattr(location, "id", 0))
        if file is None or file.access_hash != location.access_hash:
            raise rpc_error(request, 400, "LOCATION_INVALID")
        if file.dc_id != dc_id:
            raise rpc_error(request, 303, f"FILE_MIGRATE_{file.dc_id}")
        _check_range(request)
        if file.id in self.world.faults.expiring_files:
            self.world.faults.expiring_files.discard(file.id)
            file.rotate_reference()
        if location.file_reference != file.reference:
            raise rpc_error(request, 400, "FILE_REFERENCE_EXPIRED")
        chunk = file.data[request.offset : request.offset + request.limit]
        return types.upload.File(type=types.storage.FilePartial(), mtime=0, bytes=chunk)


def _check_range(request: functions.upload.GetFileRequest) -> None:
    """Telegram's rules for file parts: 1 KiB multiples that divide 1 MiB, within one MiB block."""
    limit, offset = request.limit, request.offset
    if limit <= 0 or limit % 1024 or MB % limit:
        raise rpc_error(request, 400, "LIMIT_INVALID")
    if offset % 1024 or offset // MB != (offset + limit - 1) // MB:
        raise rpc_error(request, 400, "OFFSET_INVALID")


def _dialog(entity: FakeUser | FakeChat, top: FakeMessage | None) -> TLObject:
    top_id = top.id if top is not None else 0
    return types.Dialog(
        peer=entity.peer, top_message=top_id, read_inbox_max_id=top_id,
        read_outbox_max_id=top_id, unread_count=0, unread_mentions_count=0,
        unread_reactions_count=0, unread_poll_votes_count=0,
        notify_settings=types.PeerNotifySettings(),
    )  # fmt: skip


def _referenced_peers(messages: Iterable[FakeMessage]) -> list[int]:
    """Every peer a message names, so results carry them as Telegram's do."""
    peers: list[int] = []
    for message in messages:
        peers.extend(p for p in (message.sender_id, message.via_bot_id) if p is not None)
        if message.forward and message.forward.from_id is not None:
            peers.append(message.forward.from_id)
        peers.extend(_action_peers(message.action))
    return peers


def _action_peers(action: TLObject | None) -> list[int]:
    if action is None:
        return []
    users = list(getattr(action, "users", None) or [])
    users.extend(
        value for name in ("user_id", "inviter_id") if (value := getattr(action, name, None))
    )
    peers = [int(u) for u in users]
    if isinstance(action, types.MessageActionChatMigrateTo):
        peers.append(int(utils.get_peer_id(types.PeerChannel(action.channel_id))))
    if isinstance(action, types.MessageActionChannelMigrateFrom):
        peers.append(-action.chat_id)
    return peers
