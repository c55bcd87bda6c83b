"""The lookups a batch write makes first: which keys may be stored, and what is stored for them.

Each is one statement text per dialect whatever the number of keys or chats, so it is compiled
and prepared once: an OR of per-chat ``IN`` lists was compiled anew for every page and cost
more than the lookup itself. Keys travel as one JSON array (SQLite) or as arrays (PostgreSQL),
and every key costs one probe of the unique (chat_id, message_id) index: ``CROSS JOIN`` pins
SQLite's join order, and ``LIMIT 1`` (the key is unique) keeps PostgreSQL from hashing the whole
table instead, which its planner chose below about 100,000 messages.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import messages

Key = tuple[int, int]  # (chat id, message id)

_COLUMNS = (
    messages.c.id,
    messages.c.chat_id,
    messages.c.message_id,
    messages.c.text,
    messages.c.entities,
    messages.c.edit_date,
)
_NAMES = ", ".join(column.name for column in _COLUMNS)
_OF_M = ", ".join(f"m.{column.name}" for column in _COLUMNS)
_STORED = {
    "sqlite": text(
        f"SELECT {_OF_M} FROM json_each(:keys) AS k CROSS JOIN messages AS m "
        "ON m.chat_id = k.value ->> 0 AND m.message_id = k.value ->> 1"
    ).columns(*_COLUMNS),
    "postgresql": text(
        f"SELECT {_OF_M} "
        "FROM unnest(CAST(:chat_ids AS BIGINT[]), CAST(:message_ids AS BIGINT[])) "
        f"AS k(chat_id, message_id) CROSS JOIN LATERAL (SELECT {_NAMES} FROM messages "
        "WHERE chat_id = k.chat_id AND message_id = k.message_id LIMIT 1) AS m"
    ).columns(*_COLUMNS),
}
# A correlated max() per chat is one seek at the end of the chat's stretch of the unique index.
_HIGHEST = {
    "sqlite": text(
        "SELECT k.value, (SELECT max(message_id) FROM messages WHERE chat_id = k.value) "
        "FROM json_each(:chat_ids) AS k"
    ),
    "postgresql": text(
        "SELECT k.chat_id, (SELECT max(message_id) FROM messages WHERE chat_id = k.chat_id) "
        "FROM unnest(CAST(:chat_ids AS BIGINT[])) AS k(chat_id)"
    ),
}


@dataclass(frozen=True, slots=True)
class StoredContent:
    """What an edit is compared with, and what the version it supersedes keeps."""

    pk: int
    text: str
    entities: Any
    edit_date: datetime | None


async def stored_content(
    conn: AsyncConnection, dialect: str, keys: Sequence[Key]
) -> dict[Key, StoredContent]:
    """The stored row of each key that has one."""
    if not keys:
        return {}
    if dialect == "sqlite":
        params: dict[str, Any] = {"keys": json.dumps(keys)}
    else:
        params = {"chat_ids": [k[0] for k in keys], "message_ids": [k[1] for k in keys]}
    result = await conn.execute(_STORED[dialect], params)
    return {
        (row.chat_id, row.message_id): StoredContent(row.id, row.text, row.entities, row.edit_date)
        for row in result
    }


async def possibly_stored(conn: AsyncConnection, dialect: str, keys: Sequence[Key]) -> list[Key]:
    """``keys`` less those above their chat's highest stored id, which cannot be stored.

    New messages (an import into a fresh vault, the live path) then skip the per-key probes.
    No other writer can add one meanwhile on SQLite (the write lock is taken at BEGIN); on
    PostgreSQL the insert's conflict rule catches it and the caller looks it up then.
    """
    highest = await highest_ids(conn, dialect, {chat_id for chat_id, _ in keys})
    return [key for key in keys if key[0] in highest and key[1] <= highest[key[0]]]


async def highest_ids(
    conn: AsyncConnection, dialect: str, chat_ids: Collection[int]
) -> dict[int, int]:
    """The highest stored message id of each chat that has any."""
    if not chat_ids:
        return {}
    ordered = sorted(chat_ids)
    params: dict[str, Any] = (
        {"chat_ids": json.dumps(ordered)} if dialect == "sqlite" else {"chat_ids": ordered}
    )
    result = await conn.execute(_HIGHEST[dialect], params)
    return {int(chat_id): int(top) for chat_id, top in result if top is not None}
