"""Telegram Desktop ids mapped to the marked ids the live archiver stores.

Desktop writes a chat's ``id`` bare (no type prefix) and says what it is in ``type``:

* ``personal_chat``, ``bot_chat``, ``saved_messages``, ``replies``, ``verification_codes``: the
  peer is a user, the marked id is the bare id (positive);
* ``private_group``: a basic group, marked ``-id``;
* ``private_supergroup``, ``public_supergroup``, ``private_channel``, ``public_channel`` (and
  ``public_group``, written only in June 2018): a channel, marked ``-(10**12 + id)``, i.e. the
  ``-100…`` form Telethon's ``get_peer_id`` returns;
* ``""``, ``null`` or an unknown type: nothing tells which; the bare id is kept, kind ``unknown``.

An id that is already negative was marked by whatever wrote the file and is kept as it is.

Peers inside messages (``from_id``, ``actor_id``, ``forwarded_from_id``…) are ``user<N>``,
``chat<N>`` or ``channel<N>`` since 2021-04; earlier exports wrote a bare number, which was
always a user id (Desktop then exported only user senders), so bare numbers map to users.
"""

from __future__ import annotations

from typing import Any

CHANNEL_SHIFT = 1_000_000_000_000
USER_CHATS = {
    "personal_chat": "user", "bot_chat": "bot", "saved_messages": "user", "replies": "user",
    "verification_codes": "user",
}  # fmt: skip
GROUP_CHATS = {"private_group": "group"}
CHANNEL_CHATS = {
    "private_supergroup": "supergroup", "public_supergroup": "supergroup",
    "public_group": "supergroup", "private_channel": "channel", "public_channel": "channel",
}  # fmt: skip
KNOWN_CHAT_TYPES = frozenset({*USER_CHATS, *GROUP_CHATS, *CHANNEL_CHATS})


def channel_id(bare: int) -> int:
    return -(CHANNEL_SHIFT + bare)


def marked_chat(bare: int, chat_type: str | None) -> tuple[int, str]:
    """(marked id, chat kind) of a chat object from its bare ``id`` and its ``type``."""
    kind_type = chat_type or ""
    if bare < 0:
        return bare, CHANNEL_CHATS.get(kind_type) or GROUP_CHATS.get(kind_type) or "unknown"
    if kind_type in USER_CHATS:
        return bare, USER_CHATS[kind_type]
    if kind_type in GROUP_CHATS:
        return -bare, GROUP_CHATS[kind_type]
    if kind_type in CHANNEL_CHATS:
        return channel_id(bare), CHANNEL_CHATS[kind_type]
    return bare, "unknown"


def marked_peer(value: Any) -> int | None:
    """Marked id of a peer reference (``"user5"``, ``"chat5"``, ``"channel5"``, ``5``), or None."""
    if type(value) is str and value.startswith("user"):  # by far the most common form
        digits = value[4:]
        return int(digits) if digits.isdigit() else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    for prefix, mark in (("user", _user), ("channel", channel_id), ("chat", _group)):
        if value.startswith(prefix):
            digits = value[len(prefix) :]
            return mark(int(digits)) if digits.isdigit() else None
    text = value.lstrip("-")
    return int(value) if text.isdigit() else None


def _user(bare: int) -> int:
    return bare


def _group(bare: int) -> int:
    return -bare
