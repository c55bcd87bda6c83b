"""SQLite's fast path for bulk message writes: the driver's executemany, no per-row ORM work.

Only used inside a writing unit of work (BEGIN IMMEDIATE): with the write lock held from the
start, the rows the caller found missing cannot appear meanwhile, and ids can be assigned here
(max(id) + 1 …) instead of being read back one by one. Values are converted exactly as the
SQLAlchemy column types would store them, so both paths write identical rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import messages
from core.domain.messages import ArchivedMessage


def sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME storage form: ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC.

    ``isoformat`` writes it (microseconds always, the year zero-padded as SQLAlchemy pads it)
    in about a third of ``strftime``'s time; this runs for every date of every message.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


# The column order of ``message_values``; a unit test holds it equal to the repository's columns.
MESSAGE_COLUMNS = (
    "chat_id", "message_id", "sender_id", "date", "text", "entities", "kind", "action",
    "action_data", "reply_to_msg_id", "topic_id", "fwd_from_id", "fwd_from_name", "fwd_date",
    "grouped_id", "via_bot_id", "post_author", "views", "media_kind", "edit_date",
)  # fmt: skip


def message_values(m: ArchivedMessage) -> tuple[Any, ...]:
    """One message as the driver's row, stored exactly as the SQLAlchemy column types store it."""
    return (
        m.chat_id, m.message_id, m.sender_id, sqlite_datetime(m.date), m.text, _json(m.entities),
        m.kind, m.action, _json(m.action_data), m.reply_to_msg_id, m.topic_id, m.fwd_from_id,
        m.fwd_from_name, sqlite_datetime(m.fwd_date), m.grouped_id, m.via_bot_id, m.post_author,
        m.views, m.media_kind, sqlite_datetime(m.edit_date),
    )  # fmt: skip


async def driver_connection(conn: AsyncConnection) -> Any:
    """The aiosqlite connection under ``conn``, in the same transaction."""
    if not conn.sync_connection or not conn.sync_connection.get_execution_options().get(
        "sqlite_immediate"
    ):
        raise RuntimeError("the SQLite bulk path needs a writing unit of work (BEGIN IMMEDIATE)")
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def insert_messages(conn: AsyncConnection, batch: Sequence[ArchivedMessage]) -> list[int]:
    """Insert messages none of which is stored yet; returns their new ids, in order."""
    driver = await driver_connection(conn)
    cursor = await driver.execute("SELECT coalesce(max(id), 0) FROM messages")
    (highest,) = await cursor.fetchone()
    await cursor.close()
    ids = list(range(highest + 1, highest + 1 + len(batch)))
    names = ["id", *MESSAGE_COLUMNS]
    sql = (
        f"INSERT INTO {messages.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    )
    params = [(pk, *message_values(m)) for pk, m in zip(ids, batch, strict=True)]
    await driver.executemany(sql, params)
    return ids


async def executemany(conn: AsyncConnection, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
    driver = await driver_connection(conn)
    await driver.executemany(sql, params)
