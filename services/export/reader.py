"""A chat's messages in keyset-paginated batches, with the names and versions formats need.

Each batch is one query ordered by message id and starting after the last id of the batch
before, so a chat of any size is read in constant memory per batch and no query ever loads it
whole. Names of senders, forward origins and bots, and earlier versions of edited messages, are
looked up per batch with ``IN`` lists of at most ``KEY_CHUNK`` ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.repos.messages import KEY_CHUNK
from core.db.tables import chats, media, message_versions, messages, users
from services.export.models import EarlierVersion, ExportMessage, ExportWindow, MediaFacts

COLUMNS = (
    messages.c.id, messages.c.chat_id, messages.c.message_id, messages.c.sender_id,
    messages.c.date, messages.c.text, messages.c.entities, messages.c.kind, messages.c.action,
    messages.c.action_data, messages.c.reply_to_msg_id, messages.c.fwd_from_id,
    messages.c.fwd_from_name, messages.c.via_bot_id, messages.c.post_author,
    messages.c.media_kind, messages.c.edit_date, messages.c.deleted_at,
    media.c.kind.label("file_kind"), media.c.file_name, media.c.mime_type, media.c.declared_size,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Peer:
    """A sender, forward origin or bot: how to call it, and its username."""

    name: str | None
    username: str | None


Peers = dict[int, Peer]


async def read_batch(
    conn: AsyncConnection, window: ExportWindow, after: int | None, limit: int
) -> list[ExportMessage]:
    """Up to ``limit`` messages of the window with ids above ``after`` (None: from the first)."""
    query = (
        select(*COLUMNS)
        .select_from(messages.outerjoin(media, media.c.message_pk == messages.c.id))
        .where(messages.c.chat_id == window.chat.id)
        .order_by(messages.c.message_id)
        .limit(limit)
    )
    if after is not None:
        query = query.where(messages.c.message_id > after)
    if window.since is not None:
        query = query.where(messages.c.date >= window.since)
    if window.until is not None:
        query = query.where(messages.c.date < window.until)
    rows = list((await conn.execute(query)).mappings())
    if not rows:
        return []
    peers = await _peers(conn, _peer_ids(rows))
    versions = await _versions(conn, [row["id"] for row in rows])
    return [_message(row, peers, versions.get(row["id"], ())) for row in rows]


def _peer_ids(rows: Sequence[RowMapping]) -> set[int]:
    keys = ("sender_id", "fwd_from_id", "via_bot_id")
    return {row[key] for row in rows for key in keys if row[key] is not None}


async def _peers(conn: AsyncConnection, ids: set[int]) -> Peers:
    """People by first and last name (else @username), chats by title (else @username)."""
    found: Peers = {}
    for chunk in _chunks(sorted(ids)):
        query = select(chats.c.id, chats.c.title, chats.c.username).where(chats.c.id.in_(chunk))
        for chat in await conn.execute(query):
            found[chat.id] = Peer(chat.title or _at(chat.username), chat.username)
        people = [i for i in chunk if i > 0]
        if people:
            named = select(users.c.id, users.c.first_name, users.c.last_name, users.c.username)
            for user in await conn.execute(named.where(users.c.id.in_(people))):
                # a person's own name beats the private chat's title, which is kept otherwise
                seen = found.get(user.id, Peer(None, None))
                name = _person(user.first_name, user.last_name, user.username) or seen.name
                found[user.id] = Peer(name, user.username or seen.username)
    return found


def _person(first: str | None, last: str | None, username: str | None) -> str | None:
    name = " ".join(part for part in (first, last) if part)
    return name or _at(username)


def _at(username: str | None) -> str | None:
    return f"@{username}" if username else None


async def _versions(
    conn: AsyncConnection, pks: Sequence[int]
) -> dict[int, tuple[EarlierVersion, ...]]:
    """Earlier texts per message, oldest first (the original has no edit date)."""
    found: dict[int, list[tuple[Any, ...]]] = {}
    columns = (
        message_versions.c.id, message_versions.c.message_pk, message_versions.c.text,
        message_versions.c.edit_date,
    )  # fmt: skip
    for chunk in _chunks(pks):
        query = select(*columns).where(message_versions.c.message_pk.in_(chunk))
        for row in await conn.execute(query):
            found.setdefault(row.message_pk, []).append((row.edit_date, row.id, row.text))
    return {pk: tuple(_ordered(rows)) for pk, rows in found.items()}


def _ordered(rows: list[tuple[Any, ...]]) -> Iterable[EarlierVersion]:
    def key(row: tuple[Any, ...]) -> tuple[bool, datetime | None, int]:
        return (row[0] is not None, row[0], row[1])

    return (EarlierVersion(text, edited) for edited, _, text in sorted(rows, key=key))


def _message(row: RowMapping, peers: Peers, versions: tuple[EarlierVersion, ...]) -> ExportMessage:
    facts = None
    if row["file_kind"] is not None:
        facts = MediaFacts(row["file_kind"], row["file_name"], row["mime_type"],
                           row["declared_size"])  # fmt: skip
    return ExportMessage(
        chat_id=row["chat_id"], message_id=row["message_id"], date=row["date"],
        text=row["text"] or "", kind=row["kind"], sender_id=row["sender_id"],
        sender_name=_name(peers, row["sender_id"]), entities=tuple(row["entities"] or ()),
        action=row["action"], action_data=row["action_data"], reply_to=row["reply_to_msg_id"],
        fwd_from_id=row["fwd_from_id"],
        fwd_from_name=row["fwd_from_name"] or _name(peers, row["fwd_from_id"]),
        post_author=row["post_author"], via_bot=_username(peers, row["via_bot_id"]),
        media_kind=row["media_kind"], media=facts, edit_date=row["edit_date"],
        deleted_at=row["deleted_at"], versions=versions,
    )  # fmt: skip


def _name(peers: Peers, peer_id: int | None) -> str | None:
    peer = peers.get(peer_id) if peer_id is not None else None
    return peer.name if peer else None


def _username(peers: Peers, peer_id: int | None) -> str | None:
    peer = peers.get(peer_id) if peer_id is not None else None
    return peer.username if peer else None


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    return (ids[start : start + KEY_CHUNK] for start in range(0, len(ids), KEY_CHUNK))
