"""One Desktop message (a parsed JSON object) to the archive's domain objects.

Checks that can fail (``check_message``) are the same in the validation pass and the import
pass, so an import that passed validation cannot stop half-way on its input. Everything else is
lenient: odd values are kept in ``action_data`` or ignored and counted, never fatal.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from core.domain.archive import MediaRef
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo
from services.importer import keys
from services.importer.attachments import Attachment, attachment_of
from services.importer.chats import ChatContext
from services.importer.dates import DateFormatError, parse_date
from services.importer.ids import CHANNEL_SHIFT, marked_peer
from services.importer.text import text_and_entities

DELETED_NAMES = frozenset({"Deleted Account"})
UNSUPPORTED = "unsupported message (Telegram Desktop wrote only its id)"
PEOPLE_MEMORY = 10_000  # (id, name) pairs remembered; a miss only builds the object again


class InvalidMessageError(ValueError):
    """A message the importer cannot store; the text says what is wrong with it."""


@dataclass(slots=True)
class MappingStats:
    """What mapping saw, for the summary."""

    kinds: Counter[str] = field(default_factory=Counter)
    edited: int = 0
    local_dates: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_keys: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Mapped:
    message: ArchivedMessage
    people: list[UserInfo | ChatInfo]
    attachment: Attachment | None = None

    def media_ref(self) -> MediaRef | None:
        found = self.attachment
        if found is None or found.file_kind is None:
            return None
        m = self.message
        return MediaRef(m.chat_id, m.message_id, found.file_kind, file_name=found.file_name,
                        mime_type=found.mime_type, declared_size=found.size,
                        local_path=Path(found.path) if found.path else None)  # fmt: skip


class Checked(NamedTuple):
    """The parts of a message that must be valid for it to be stored."""

    id: int
    kind: str
    date: datetime | None = None  # None only for unsupported messages
    edit_date: datetime | None = None
    local_dates: int = 0


def check_message(raw: Any, zone: tzinfo | None) -> Checked:
    """Id, type and dates of a message that can be stored; raises InvalidMessageError otherwise."""
    if not isinstance(raw, dict):
        raise InvalidMessageError(f"a message is {type(raw).__name__}, not an object")
    message_id = raw.get("id")
    if type(message_id) is not int:  # not a bool either (JSON decodes true as a bool)
        what = "has no id" if message_id is None else f"has id {message_id!r}, not a number"
        raise InvalidMessageError(f"a message {what}")
    kind = raw.get("type", "message")
    if kind == "unsupported":
        return Checked(message_id, kind)
    try:
        date, local = parse_date(raw, "date", zone)
        edit_date, edit_local = parse_date(raw, "edited", zone)
    except DateFormatError as problem:
        raise InvalidMessageError(str(problem)) from None
    if date is None:
        raise InvalidMessageError("a message has no date")
    kind = kind if isinstance(kind, str) else "message"
    return Checked(message_id, kind, date, edit_date, local + edit_local)


class MessageMapper:
    """Maps messages of any chat; dates without an offset are read in ``zone`` (None: local)."""

    def __init__(self, zone: tzinfo | None, stats: MappingStats) -> None:
        self._zone = zone
        self.stats = stats
        # The same people write message after message: each (id, name) is described once.
        self._people: dict[tuple[int, str | None], UserInfo | ChatInfo] = {}

    def map(self, chat: ChatContext, raw: Any) -> Mapped | None:
        """The mapped message, or None when it is skipped (counted with its reason)."""
        checked = check_message(raw, self._zone)
        date, edit_date = checked.date, checked.edit_date
        if date is None:
            self.stats.skipped[UNSUPPORTED] += 1
            return None
        self.stats.local_dates += checked.local_dates
        self.stats.edited += edit_date is not None
        if checked.kind == "service":
            mapped = self._service(chat, raw, checked.id, date, edit_date)
        else:
            if checked.kind != "message":
                self.stats.unknown_keys[f"message type {checked.kind}"] += 1
            mapped = self._regular(chat, raw, checked.id, date, edit_date)
        self.stats.kinds[mapped.message.kind] += 1
        return mapped

    def _regular(
        self, chat: ChatContext, raw: dict[str, Any], message_id: int, date: datetime,
        edit_date: datetime | None,
    ) -> Mapped:  # fmt: skip
        text, entities = text_and_entities(raw)
        extras = self._extras(raw, keys.MESSAGE_COLUMNS, keys.MESSAGE_EXTRAS, "message")
        sender = marked_peer(raw.get("from_id"))
        if sender is None and raw.get("from") is not None:
            extras["from"] = raw["from"]
        forwarded_name = raw.get("forwarded_from")
        if "forwarded_from" in raw and not isinstance(forwarded_name, str):
            extras["forwarded_from"] = None  # hidden or deleted origin: keep the fact
        forwarded_id = marked_peer(raw.get("forwarded_from_id"))
        reply_to = _number(raw.get("reply_to_message_id"))
        attachment = self._attachment(raw)
        message = ArchivedMessage(
            chat_id=chat.chat_id, message_id=message_id, date=date, text=text,
            sender_id=sender, entities=entities, kind="media" if attachment else "text",
            action_data=extras or None, reply_to_msg_id=reply_to,
            topic_id=chat.topic_for(message_id, reply_to), fwd_from_id=forwarded_id,
            fwd_from_name=forwarded_name if isinstance(forwarded_name, str) else None,
            post_author=_string(raw.get("author")),
            media_kind=attachment.media_kind if attachment else None, edit_date=edit_date,
        )  # fmt: skip
        people = self._peers(chat, (sender, raw.get("from")), (forwarded_id, forwarded_name))
        return Mapped(message, people, attachment)

    def _service(
        self, chat: ChatContext, raw: dict[str, Any], message_id: int, date: datetime,
        edit_date: datetime | None,
    ) -> Mapped:  # fmt: skip
        action = raw.get("action")
        if not isinstance(action, str) or not action:
            action = keys.CUSTOM_ACTION
        elif action not in keys.ACTIONS:
            self.stats.unknown_keys[f"action {action}"] += 1
        text, entities = text_and_entities(raw)
        data = self._extras(raw, keys.SERVICE_COLUMNS, keys.SERVICE_EXTRAS, "service message")
        sender = marked_peer(raw.get("actor_id"))
        if sender is None and raw.get("actor") is not None:
            data["actor"] = raw["actor"]
        topic = chat.open_topic(message_id) if action == "topic_created" else None
        attachment = self._attachment(raw) if "photo" in raw else None
        message = ArchivedMessage(
            chat_id=chat.chat_id, message_id=message_id, date=date, text=text,
            sender_id=sender, entities=entities, kind="service", action=action,
            action_data=data or None, topic_id=topic,
            media_kind=attachment.media_kind if attachment else None, edit_date=edit_date,
        )  # fmt: skip
        return Mapped(message, self._peers(chat, (sender, raw.get("actor"))), attachment)

    def _extras(
        self, raw: dict[str, Any], columns: frozenset[str], known: frozenset[str], where: str
    ) -> dict[str, Any]:
        """Keys without a column; unknown ones are counted, and kept only by service messages
        (whose every field belongs to the action, even one this importer does not know)."""
        names = raw.keys() - columns
        if not names:
            return {}
        unknown = names - known
        for key in unknown:
            self.stats.unknown_keys[f"{key} ({where})"] += 1
        if unknown and where == "message":
            names -= unknown
        extras = {k: v for k, v in raw.items() if k in names}  # in the export's order
        for key in keys.JSON_IN_STRING:
            if isinstance(extras.get(key), str):
                extras[key] = _decoded(extras[key])
        return extras

    def _attachment(self, raw: dict[str, Any]) -> Attachment | None:
        found = attachment_of(raw)
        if found is not None and found.unknown_type:
            self.stats.unknown_keys[f"media_type {found.unknown_type}"] += 1
        return found

    def _peers(
        self, chat: ChatContext, *peers: tuple[int | None, Any]
    ) -> list[UserInfo | ChatInfo]:
        found: list[UserInfo | ChatInfo] = []
        for peer_id, name in peers:
            if peer_id is None or (peer_id == chat.chat_id and peer_id < 0):
                continue
            label = name if isinstance(name, str) and name else None
            person = self._people.get((peer_id, label))
            if person is None:
                if len(self._people) >= PEOPLE_MEMORY:
                    self._people.clear()
                person = self._people[peer_id, label] = _person(peer_id, label)
            found.append(person)
        return found


def _person(peer_id: int, label: str | None) -> UserInfo | ChatInfo:
    if peer_id > 0:
        deleted = label is None or label in DELETED_NAMES
        first = None if deleted else label
        return UserInfo(id=peer_id, first_name=first, is_deleted=deleted or None)
    kind = "group" if peer_id > -CHANNEL_SHIFT else "unknown"
    return ChatInfo(id=peer_id, kind=kind, title=label)


def _decoded(value: str) -> Any:
    """Desktop's JSON-in-a-string quirk: the parsed value when it is JSON, else the string."""
    try:
        return json.loads(value)
    except ValueError:
        return value


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
