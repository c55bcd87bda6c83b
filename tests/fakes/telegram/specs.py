"""What the scripted Telegram knows: people, chats, files and messages, made raw TL on demand.

Everything is built into TL objects at the moment a request is served, so a file reference that
rotated or a message that was edited after the script was written is served as it is *now*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from telethon import utils
from telethon.tl import TLObject, types

GROUP, SUPERGROUP, CHANNEL = "group", "supergroup", "channel"


def access_hash_for(entity_id: int) -> int:
    """Deterministic, per-entity access hashes: the fake checks them like Telegram does."""
    return (entity_id * 1_000_003 + 12_345) % (2**62) + 1


@dataclass
class FakeUser:
    """A Telegram account (person or bot)."""

    id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    phone: str | None = None
    bot: bool = False
    premium: bool = False
    verified: bool = False
    deleted: bool = False
    lang_code: str | None = None
    photo_id: int | None = None  # a FakeFile photo id: its bytes are the profile photo
    # What only the full profile (users.getFullUser) shows, and two flags Telegram sets.
    bio: str | None = None
    common_chats_count: int = 0
    scam: bool = False
    fake: bool = False

    @property
    def access_hash(self) -> int:
        return access_hash_for(self.id)

    @property
    def marked_id(self) -> int:
        return self.id

    @property
    def peer(self) -> types.PeerUser:
        return types.PeerUser(self.id)

    @property
    def display_name(self) -> str:
        return " ".join(p for p in (self.first_name, self.last_name) if p) or str(self.id)

    def to_tl(self) -> types.User:
        photo = types.UserProfilePhoto(self.photo_id, dc_id=2) if self.photo_id else None
        return types.User(
            id=self.id,
            access_hash=self.access_hash,
            first_name=self.first_name or None,
            last_name=self.last_name,
            username=self.username,
            phone=self.phone,
            bot=self.bot or None,
            bot_info_version=1 if self.bot else None,
            premium=self.premium or None,
            verified=self.verified or None,
            deleted=self.deleted or None,
            scam=self.scam or None,
            fake=self.fake or None,
            lang_code=self.lang_code,
            photo=photo,
        )


@dataclass
class FakeChat:
    """A basic group, supergroup (optionally a forum) or broadcast channel, with its history."""

    id: int  # Telegram's bare id; ``marked_id`` is what the archive stores
    kind: str
    title: str
    username: str | None = None
    forum: bool = False
    private: bool = False  # every request touching it answers CHANNEL_PRIVATE
    member: bool = True  # listed in the account's dialogs
    migrated_to: int | None = None  # bare channel id, for a basic group upgraded to a supergroup
    participants_count: int = 0
    signatures: bool = False
    photo_id: int | None = None
    messages: dict[int, FakeMessage] = field(default_factory=dict, repr=False)

    @property
    def is_channel(self) -> bool:
        return self.kind != GROUP

    @property
    def access_hash(self) -> int:
        return access_hash_for(self.id)

    @property
    def peer(self) -> types.PeerChat | types.PeerChannel:
        return types.PeerChannel(self.id) if self.is_channel else types.PeerChat(self.id)

    @property
    def marked_id(self) -> int:
        return int(utils.get_peer_id(self.peer))

    def to_tl(self) -> TLObject:
        photo = types.ChatPhoto(self.photo_id, dc_id=2) if self.photo_id else types.ChatPhotoEmpty()
        if not self.is_channel:
            migrated = (
                types.InputChannel(self.migrated_to, access_hash_for(self.migrated_to))
                if self.migrated_to
                else None
            )
            return types.Chat(
                id=self.id, title=self.title, photo=photo,
                participants_count=self.participants_count, date=None, version=1,
                migrated_to=migrated, deactivated=True if migrated else None,
            )  # fmt: skip
        return types.Channel(
            id=self.id, title=self.title, photo=photo, date=None,
            access_hash=self.access_hash, username=self.username,
            broadcast=self.kind == CHANNEL or None, megagroup=self.kind == SUPERGROUP or None,
            forum=self.forum or None, signatures=self.signatures or None,
            participants_count=self.participants_count or None,
        )  # fmt: skip


@dataclass
class FakeFile:
    """Bytes stored on a DC; ``reference`` rotates when Telegram expires it."""

    id: int
    data: bytes
    dc_id: int = 2
    mime_type: str = "application/octet-stream"
    attributes: list[TLObject] = field(default_factory=list)  # empty for photos
    is_photo: bool = False
    reference: bytes = b"ref-0"
    date: datetime | None = None

    @property
    def access_hash(self) -> int:
        return access_hash_for(self.id)

    def rotate_reference(self) -> None:
        generation = int(self.reference.split(b"-")[-1]) + 1
        self.reference = f"ref-{generation}".encode()

    def to_media(self) -> TLObject:
        if self.is_photo:
            size = types.PhotoSize(type="y", w=1280, h=960, size=len(self.data))
            photo = types.Photo(
                id=self.id, access_hash=self.access_hash, file_reference=self.reference,
                date=self.date, sizes=[size], dc_id=self.dc_id,
            )  # fmt: skip
            return types.MessageMediaPhoto(photo=photo)
        document = types.Document(
            id=self.id, access_hash=self.access_hash, file_reference=self.reference,
            date=self.date, mime_type=self.mime_type, size=len(self.data), dc_id=self.dc_id,
            attributes=list(self.attributes),
        )  # fmt: skip
        return types.MessageMediaDocument(document=document)


@dataclass
class FakeForward:
    """Where a forwarded message came from: a peer (marked id), a hidden name, or both."""

    date: datetime
    from_id: int | None = None
    from_name: str | None = None
    channel_post: int | None = None
    post_author: str | None = None

    def to_tl(self) -> types.MessageFwdHeader:
        peer = utils.resolve_id(self.from_id) if self.from_id is not None else None
        return types.MessageFwdHeader(
            date=self.date,
            from_id=peer[1](peer[0]) if peer else None,
            from_name=self.from_name,
            channel_post=self.channel_post,
            post_author=self.post_author,
        )


@dataclass
class FakeMessage:
    """One message of a history; ``action`` makes it a service message.

    ``media`` is a FakeFile (downloadable) or any raw TL MessageMedia (geo, poll, contact …).
    """

    id: int
    date: datetime
    text: str = ""
    sender_id: int | None = None  # marked peer id; None for anonymous channel posts
    out: bool = False
    entities: list[TLObject] = field(default_factory=list)
    reply_to_msg_id: int | None = None
    topic_id: int | None = None  # forum topic (the id of its creation message)
    forward: FakeForward | None = None
    grouped_id: int | None = None
    via_bot_id: int | None = None
    post_author: str | None = None
    views: int | None = None
    edit_date: datetime | None = None
    media: FakeFile | TLObject | None = None
    action: TLObject | None = None

    def to_tl(self, chat_peer: TLObject) -> TLObject:
        common: dict[str, Any] = {
            "id": self.id,
            "peer_id": chat_peer,
            "date": self.date,
            "out": self.out or None,
            "from_id": _peer_of(self.sender_id, chat_peer),
            "reply_to": self._reply_header(),
        }
        if self.action is not None:
            return types.MessageService(action=self.action, **common)
        media = self.media.to_media() if isinstance(self.media, FakeFile) else self.media
        return types.Message(
            message=self.text, entities=list(self.entities) or None,
            fwd_from=self.forward.to_tl() if self.forward else None, grouped_id=self.grouped_id,
            via_bot_id=self.via_bot_id, post_author=self.post_author, views=self.views,
            forwards=None if self.views is None else 0,  # the layer sends both or neither
            edit_date=self.edit_date, media=media, post=_is_post(chat_peer, self.sender_id),
            **common,
        )  # fmt: skip

    def _reply_header(self) -> types.MessageReplyHeader | None:
        if self.topic_id is not None:
            # Inside a topic the topic is the thread root: a plain message "replies" to it.
            if self.reply_to_msg_id is None or self.reply_to_msg_id == self.topic_id:
                return types.MessageReplyHeader(forum_topic=True, reply_to_msg_id=self.topic_id)
            return types.MessageReplyHeader(
                forum_topic=True,
                reply_to_msg_id=self.reply_to_msg_id,
                reply_to_top_id=self.topic_id,
            )
        if self.reply_to_msg_id is not None:
            return types.MessageReplyHeader(reply_to_msg_id=self.reply_to_msg_id)
        return None


def _peer_of(marked_id: int | None, chat_peer: TLObject) -> TLObject | None:
    if marked_id is None:
        return None
    bare, kind = utils.resolve_id(marked_id)
    peer = kind(bare)
    # Incoming messages of private chats carry no from_id since layer 119.
    if isinstance(chat_peer, types.PeerUser) and peer == chat_peer:
        return None
    return peer


def _is_post(chat_peer: TLObject, sender_id: int | None) -> bool | None:
    if not isinstance(chat_peer, types.PeerChannel):
        return None
    return sender_id is None or sender_id == utils.get_peer_id(chat_peer) or None
