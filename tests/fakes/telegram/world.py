"""FakeTelegram: the scripted state of one account's Telegram (people, chats, histories, files).

Tests and the offline demo write the script through these methods; the fake sender serves
requests from it. Message ids follow Telegram's rules: each channel/supergroup counts its own
ids from 1, while private chats and basic groups share one counter per account.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from telethon import utils
from telethon.tl import TLObject, types

from tests.fakes.telegram.auth import FakeAuth
from tests.fakes.telegram.faults import Faults
from tests.fakes.telegram.requests_log import RequestLog
from tests.fakes.telegram.specs import (
    CHANNEL,
    GROUP,
    SUPERGROUP,
    FakeChat,
    FakeFile,
    FakeMessage,
    FakeUser,
)
from tests.fakes.telegram.updates import LiveTelegram

START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class FakeInvite:
    """An invite link (t.me/+hash) to a chat; ``request_needed`` links ask an admin first."""

    hash: str
    chat: FakeChat
    request_needed: bool = False
    expired: bool = False

    @property
    def link(self) -> str:
        return f"https://t.me/+{self.hash}"


class FakeTelegram:
    """One account's view of Telegram, scripted by tests. ``me`` is the logged-in user."""

    def __init__(self, *, start: datetime = START, step: timedelta = timedelta(minutes=1)) -> None:
        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}  # by marked id
        self.files: dict[int, FakeFile] = {}
        self.histories: dict[int, dict[int, FakeMessage]] = {}  # marked peer id -> id -> message
        self.faults = Faults()
        self.log = RequestLog()
        self.deleted: dict[int, set[int]] = {}
        self.invites: dict[str, FakeInvite] = {}
        self._clock = start
        self._step = step
        self._ids = itertools.count(1_000)
        self._shared_message_ids = itertools.count(1)  # private chats and basic groups
        self._channel_last_ids: dict[int, int] = {}  # ids are never reused, even after deletion
        self.me = self.add_user("Vault", last_name="Owner", username="vault_owner")
        self.auth = FakeAuth(self)  # logging in, and which sessions are signed in
        self.live = LiveTelegram(self)  # changes pushed to connected clients as updates

    # -- people and chats -------------------------------------------------------------------

    def add_user(self, first_name: str, **fields: Any) -> FakeUser:
        user = FakeUser(
            id=fields.pop("id", None) or next(self._ids), first_name=first_name, **fields
        )
        self.users[user.id] = user
        self.histories.setdefault(user.id, {})
        return user

    def add_group(self, title: str, **fields: Any) -> FakeChat:
        return self._add_chat(GROUP, title, **fields)

    def add_supergroup(self, title: str, **fields: Any) -> FakeChat:
        return self._add_chat(SUPERGROUP, title, **fields)

    def add_forum(self, title: str, **fields: Any) -> FakeChat:
        return self._add_chat(SUPERGROUP, title, forum=True, **fields)

    def add_channel(self, title: str, **fields: Any) -> FakeChat:
        return self._add_chat(CHANNEL, title, **fields)

    def _add_chat(self, kind: str, title: str, **fields: Any) -> FakeChat:
        chat = FakeChat(
            id=fields.pop("id", None) or next(self._ids), kind=kind, title=title, **fields
        )
        self.chats[chat.marked_id] = chat
        self.histories[chat.marked_id] = chat.messages
        return chat

    def migrate(self, group: FakeChat, title: str | None = None) -> FakeChat:
        """Upgrade a basic group to a supergroup, with both service messages, as Telegram does."""
        channel = self.add_supergroup(title or group.title)
        group.migrated_to = channel.id
        self.service(group, types.MessageActionChatMigrateTo(channel_id=channel.id), self.me)
        self.service(channel, types.MessageActionChannelMigrateFrom(group.title, group.id), self.me)
        return channel

    def add_invite(
        self, chat: FakeChat, *, request_needed: bool = False, expired: bool = False
    ) -> FakeInvite:
        invite = FakeInvite(secrets.token_urlsafe(12), chat, request_needed, expired)
        self.invites[invite.hash] = invite
        return invite

    def join(self, chat: FakeChat) -> None:
        """The account is now a member: the chat is listed and readable."""
        chat.member, chat.private = True, False

    # -- files -------------------------------------------------------------------------------

    def add_photo(self, data: bytes, *, dc_id: int = 2) -> FakeFile:
        return self._add_file(FakeFile(next(self._ids), data, dc_id, "image/jpeg", is_photo=True))

    def add_document(
        self,
        data: bytes,
        mime_type: str,
        attributes: Iterable[TLObject] = (),
        *,
        file_name: str | None = None,
        dc_id: int = 2,
    ) -> FakeFile:
        attrs = list(attributes)
        if file_name:
            attrs.append(types.DocumentAttributeFilename(file_name))
        return self._add_file(FakeFile(next(self._ids), data, dc_id, mime_type, attrs))

    def _add_file(self, file: FakeFile) -> FakeFile:
        file.date = self._clock
        self.files[file.id] = file
        return file

    # -- history -----------------------------------------------------------------------------

    def post(
        self, chat: FakeChat | FakeUser, text: str = "", sender: Any = None, **fields: Any
    ) -> FakeMessage:
        """Append a message; ``sender`` is a FakeUser/FakeChat or a marked id (None: the chat)."""
        message = FakeMessage(
            id=self._next_id(chat), date=fields.pop("date", None) or self._tick(), text=text,
            sender_id=_marked(sender), **fields,
        )  # fmt: skip
        self.histories[chat.marked_id][message.id] = message
        return message

    def service(
        self, chat: FakeChat, action: TLObject, actor: Any = None, **fields: Any
    ) -> FakeMessage:
        return self.post(chat, sender=actor, action=action, **fields)

    def fill(self, chat: FakeChat | FakeUser, count: int, sender: Any = None) -> list[FakeMessage]:
        """``count`` plain messages, numbered in their text."""
        return [self.post(chat, f"message {i}", sender) for i in range(1, count + 1)]

    def edit(self, chat: FakeChat | FakeUser, message_id: int, text: str) -> FakeMessage:
        history = self.histories[chat.marked_id]
        edited = replace(history[message_id], text=text, edit_date=self._tick())
        history[message_id] = edited
        return edited

    def delete(self, chat: FakeChat | FakeUser, *message_ids: int) -> None:
        history = self.histories[chat.marked_id]
        for message_id in message_ids:
            history.pop(message_id, None)
        self.deleted.setdefault(chat.marked_id, set()).update(message_ids)

    def newest_first(self, peer_id: int) -> list[FakeMessage]:
        history = self.histories[peer_id]
        return [history[i] for i in sorted(history, reverse=True)]

    def _next_id(self, chat: FakeChat | FakeUser) -> int:
        if isinstance(chat, FakeChat) and chat.is_channel:
            last = self._channel_last_ids.get(chat.marked_id, 0)
            self._channel_last_ids[chat.marked_id] = last + 1
            return last + 1
        return next(self._shared_message_ids)

    def _tick(self) -> datetime:
        self._clock += self._step
        return self._clock

    # -- lookups used when serving -----------------------------------------------------------

    def entity(self, marked_id: int) -> FakeUser | FakeChat | None:
        return self.users.get(marked_id) or self.chats.get(marked_id)

    def entity_of_peer(self, peer: TLObject) -> FakeUser | FakeChat:
        found = self.entity(int(utils.get_peer_id(peer)))
        if found is None:
            raise KeyError(f"no entity for {peer}")
        return found

    def by_username(self, username: str) -> FakeUser | FakeChat | None:
        wanted = username.lower()
        everyone: list[FakeUser | FakeChat] = [*self.users.values(), *self.chats.values()]
        return next((e for e in everyone if (e.username or "").lower() == wanted), None)

    def dialogs(self) -> list[tuple[FakeUser | FakeChat, FakeMessage | None]]:
        """The chats the account is in (and people it talked to), the most recently active first."""
        found: list[tuple[FakeUser | FakeChat, FakeMessage | None]] = []
        for peer_id, history in self.histories.items():
            entity = self.entity(peer_id)
            if entity is None or entity is self.me:
                continue
            if isinstance(entity, FakeUser) and not history:
                continue
            if isinstance(entity, FakeChat) and (not entity.member or entity.private):
                continue
            found.append((entity, history[max(history)] if history else None))
        found.sort(key=lambda pair: (pair[1].date, pair[1].id) if pair[1] else (START, 0))
        return found[::-1]


def _marked(sender: Any) -> int | None:
    if sender is None or isinstance(sender, int):
        return sender
    return int(sender.marked_id)
