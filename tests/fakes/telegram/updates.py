"""Telegram's push side: script changes reach connected clients as the updates Telegram sends.

Every change made through ``world.live`` is written to the script (like ``world.post``), given the
pts Telegram would give it (one sequence for the account's private chats and basic groups, one
per channel), logged for updates.getDifference / getChannelDifference, and pushed, serialized and
parsed back like a real socket read, into the update queue of every connected, signed-in client.
``deliver=False`` logs a change without pushing it: an update the client missed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telethon.extensions import BinaryReader
from telethon.tl import TLObject, types

from tests.fakes.telegram.specs import FakeChat, FakeFile, FakeMessage, FakeUser

if TYPE_CHECKING:
    from tests.fakes.telegram.world import FakeTelegram

Owner = FakeChat | FakeUser


@dataclass
class _Connection:
    queue: asyncio.Queue[Any]
    key_id: int | None


@dataclass
class _Log:
    """The updates of one pts sequence, with the pts each one ended at."""

    pts: int = 0
    entries: list[tuple[int, TLObject]] = field(default_factory=list)

    def after(self, pts: int) -> list[TLObject]:
        return [update for at, update in self.entries if at > pts]


class LiveTelegram:
    """Pushes the account's updates to connected clients and serves the differences."""

    def __init__(self, world: FakeTelegram) -> None:
        self.world = world
        # An account's pts is never 0 (Telethon would take 0 for "no state" and skip gaps).
        self.account = _Log(pts=1000)
        self.channels: dict[int, _Log] = {}  # by bare channel id
        self.pushed = 0  # update containers delivered to clients
        self._connections: list[_Connection] = []
        self._grouped_ids = itertools.count(7_000_000)

    # -- connections (FakeSender calls these) ------------------------------------------------

    def attach(self, queue: asyncio.Queue[Any], key_id: int | None) -> None:
        self._connections.append(_Connection(queue, key_id))

    def detach(self, queue: asyncio.Queue[Any]) -> None:
        self._connections = [c for c in self._connections if c.queue is not queue]

    def state(self) -> TLObject:
        return types.updates.State(pts=self.account.pts, qts=0, date=_now(), seq=0, unread_count=0)

    # -- changes -------------------------------------------------------------------------------

    def post(
        self, chat: Owner, text: str = "", sender: Any = None, *, deliver: bool = True,
        **fields: Any,
    ) -> FakeMessage:  # fmt: skip
        message = self.world.post(chat, text, sender, **fields)
        self.deliver([self._new_message(chat, message)], deliver=deliver)
        return message

    def service(
        self, chat: FakeChat, action: TLObject, actor: Any = None, *, deliver: bool = True,
        **fields: Any,
    ) -> FakeMessage:  # fmt: skip
        message = self.world.service(chat, action, actor, **fields)
        self.deliver([self._new_message(chat, message)], deliver=deliver)
        return message

    def album(
        self, chat: Owner, files: Sequence[FakeFile], sender: Any = None, caption: str = ""
    ) -> list[FakeMessage]:
        """Several media sharing a grouped_id, in one update container as Telegram sends them."""
        grouped_id = next(self._grouped_ids)
        posted = [
            self.world.post(chat, caption if i == 0 else "", sender, media=f, grouped_id=grouped_id)
            for i, f in enumerate(files)
        ]
        self.deliver([self._new_message(chat, m) for m in posted])
        return posted

    def edit(self, chat: Owner, message_id: int, text: str, *, deliver: bool = True) -> FakeMessage:
        edited = self.world.edit(chat, message_id, text)
        tl = edited.to_tl(chat.peer)
        if _is_channel(chat):
            update: TLObject = self._channel_update(chat, types.UpdateEditChannelMessage, tl)
        else:
            update = self._account_update(types.UpdateEditMessage, tl)
        self.deliver([update], deliver=deliver)
        return edited

    def delete(self, chat: Owner, *message_ids: int, deliver: bool = True) -> None:
        self.world.delete(chat, *message_ids)
        ids = list(message_ids)
        if isinstance(chat, FakeChat) and chat.is_channel:
            log = self._channel_log(chat)
            log.pts += len(ids)
            update: TLObject = types.UpdateDeleteChannelMessages(
                channel_id=chat.id, messages=ids, pts=log.pts, pts_count=len(ids)
            )
            log.entries.append((log.pts, update))
        else:
            self.account.pts += len(ids)
            update = types.UpdateDeleteMessages(
                messages=ids, pts=self.account.pts, pts_count=len(ids)
            )
            self.account.entries.append((self.account.pts, update))
        self.deliver([update], deliver=deliver)

    def migrate(self, group: FakeChat, title: str | None = None) -> FakeChat:
        """Upgrade a basic group: both service messages arrive in one container."""
        channel = self.world.migrate(group, title)
        to_message = self.world.histories[group.marked_id][max(group.messages)]
        from_message = self.world.histories[channel.marked_id][max(channel.messages)]
        self.deliver(
            [self._new_message(group, to_message), self._new_message(channel, from_message)]
        )
        return channel

    def short_message(self, user: FakeUser, text: str, *, out: bool = False) -> FakeMessage:
        """A private message as Telegram usually pushes it: updateShortMessage, no entities."""
        message = self.world.post(user, text, self.world.me if out else user, out=out)
        self.account.pts += 1
        full = types.UpdateNewMessage(message.to_tl(user.peer), self.account.pts, 1)
        self.account.entries.append((self.account.pts, full))
        short = types.UpdateShortMessage(
            id=message.id, user_id=user.id, message=text, pts=self.account.pts, pts_count=1,
            date=message.date, out=out or None,
        )  # fmt: skip
        self._push(short)
        return message

    def channel_too_long(self, chat: FakeChat) -> None:
        """Telegram gave up pushing a channel's updates: the client must get its difference."""
        update = types.UpdateChannelTooLong(channel_id=chat.id, pts=self._channel_log(chat).pts)
        self.deliver([update], entities=False)

    # -- delivery ------------------------------------------------------------------------------

    def deliver(
        self, updates: list[TLObject], *, deliver: bool = True, entities: bool = True
    ) -> None:
        if not deliver:
            return
        chats, users = self._entities_of(updates) if entities else ([], [])
        self._push(types.Updates(updates=updates, users=users, chats=chats, date=_now(), seq=0))

    def push_to_key(self, key_id: int | None, container: TLObject) -> None:
        """One container for the connections of one authorization key (login tokens)."""
        data = bytes(container)
        for connection in self._connections:
            if connection.key_id == key_id:
                connection.queue.put_nowait(BinaryReader(data).tgread_object())

    def _push(self, container: TLObject) -> None:
        data = bytes(container)  # over the wire: every client parses its own copy
        for connection in self._connections:
            if connection.key_id is None or connection.key_id in self.world.auth.signed_in:
                connection.queue.put_nowait(BinaryReader(data).tgread_object())
                self.pushed += 1

    # -- differences ---------------------------------------------------------------------------

    def difference(self, pts: int) -> TLObject:
        if pts >= self.account.pts:
            return types.updates.DifferenceEmpty(date=_now(), seq=0)
        pending = self.account.after(pts)
        new = [u.message for u in pending if isinstance(u, types.UpdateNewMessage)]
        other = [u for u in pending if not isinstance(u, types.UpdateNewMessage)]
        chats, users = self._entities_of(pending)
        return types.updates.Difference(
            new_messages=new, new_encrypted_messages=[], other_updates=other, chats=chats,
            users=users, state=self.state(),
        )  # fmt: skip

    def channel_difference(self, chat: FakeChat, pts: int) -> TLObject:
        log = self._channel_log(chat)
        if pts >= log.pts:
            return types.updates.ChannelDifferenceEmpty(pts=log.pts, final=True)
        pending = log.after(pts)
        new = [u.message for u in pending if isinstance(u, types.UpdateNewChannelMessage)]
        other = [u for u in pending if not isinstance(u, types.UpdateNewChannelMessage)]
        chats, users = self._entities_of(pending)
        return types.updates.ChannelDifference(
            pts=log.pts, new_messages=new, other_updates=other, chats=chats, users=users,
            final=True,
        )  # fmt: skip

    # -- building ------------------------------------------------------------------------------

    def _new_message(self, chat: Owner, message: FakeMessage) -> TLObject:
        tl = message.to_tl(chat.peer)
        if _is_channel(chat):
            return self._channel_update(chat, types.UpdateNewChannelMessage, tl)
        return self._account_update(types.UpdateNewMessage, tl)

    def _account_update(self, kind: Any, message: TLObject) -> TLObject:
        self.account.pts += 1
        update: TLObject = kind(message=message, pts=self.account.pts, pts_count=1)
        self.account.entries.append((self.account.pts, update))
        return update

    def _channel_update(self, chat: Owner, kind: Any, message: TLObject) -> TLObject:
        log = self._channel_log(chat)
        log.pts += 1
        update: TLObject = kind(message=message, pts=log.pts, pts_count=1)
        log.entries.append((log.pts, update))
        return update

    def _channel_log(self, chat: Owner) -> _Log:
        return self.channels.setdefault(chat.id, _Log())

    def _entities_of(self, updates: Sequence[TLObject]) -> tuple[list[TLObject], list[TLObject]]:
        """The chats and users an update container carries: every peer its messages name."""
        from tests.fakes.telegram.server import TelegramServer, _referenced_peers

        peers: list[int] = []
        for update in updates:
            message = getattr(update, "message", None)
            if isinstance(message, types.Message | types.MessageService):
                owner = self.world.entity_of_peer(message.peer_id)
                scripted = self.world.histories.get(owner.marked_id, {}).get(message.id)
                peers.append(owner.marked_id)
                if scripted is not None:
                    peers.extend(_referenced_peers([scripted]))
            elif isinstance(update, types.UpdateDeleteChannelMessages):
                peers.append(
                    self.world.entity_of_peer(types.PeerChannel(update.channel_id)).marked_id
                )
        return TelegramServer(self.world)._entities(peers)


def _is_channel(chat: Owner) -> bool:
    return isinstance(chat, FakeChat) and chat.is_channel


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)
