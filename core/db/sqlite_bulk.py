"""SQLite's fast path for bulk message writes: the driver's executemany, no per-row ORM work.

Only used inside a writing unit of work (BEGIN IMMEDIATE): with the write lock held from the
start, the rows the caller found missing cannot appear meanwhile, and ids can be assigned here
(max(id) + 1 …) instead of being read back one by one. Values are converted exactly as the
SQLAlchemy column types would store them, so both paths write identical rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from itertools import repeat
from operator import attrgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.tables import messages
from core.domain.messages import ArchivedMessage
from core.text import fold


def sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's SQLite DATETIME storage form: ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC.

    ``isoformat`` writes it (microseconds always, the year zero-padded as SQLAlchemy pads it)
    in about a third of ``strftime``'s time; this runs for every date of every message. Its
    ``+00:00`` is cut off rather than the zone replaced first (a new datetime each time).
    """
    if value is None:
        return None
    zone = value.tzinfo
    if zone is not UTC:
        if zone is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:-6]


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


_GETTERS = {name: attrgetter(name) for name in MESSAGE_COLUMNS}
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "date": sqlite_datetime,
    "fwd_date": sqlite_datetime,
    "edit_date": sqlite_datetime,
    "entities": _json,
    "action_data": _json,
}


def _value_columns(batch: Sequence[ArchivedMessage]) -> list[Iterable[Any]]:
    columns: list[Iterable[Any]] = []
    for name in MESSAGE_COLUMNS:
        values: Iterable[Any] = map(_GETTERS[name], batch)
        convert = _CONVERTERS.get(name)
        columns.append(values if convert is None else map(convert, values))
    return columns


def message_rows(
    ids: Iterable[int], batch: Sequence[ArchivedMessage], *extra: Any
) -> list[tuple[Any, ...]]:
    """``(id, *message_values(m), *extra)`` for each message, built a column at a time: the
    attribute reads and the row tuples are made by ``map`` and ``zip`` in C, which halves the
    Python work per message of a row-by-row ``message_values``."""
    columns: list[Iterable[Any]] = [ids, *_value_columns(batch)]
    columns.extend(repeat(value, len(batch)) for value in extra)
    return list(zip(*columns, strict=True))


def prepare(
    messages: Sequence[ArchivedMessage],
) -> tuple[list[tuple[Any, ...]], list[str]]:
    """``message_values`` and folded text of each message, for ``PreparedMessages``."""
    return list(zip(*_value_columns(messages), strict=True)), [fold(m.text) for m in messages]


class PreparedMessages:
    """Messages converted for this module elsewhere, ahead of their write: each one's
    ``message_values`` and folded text (the trigram index's form), by position in ``messages``.

    An import's parser process prepares its pages (it has a core of its own; the writing
    process is the busy one). Messages are found by identity: one the write path replaced
    (a NUL dropped from its text, say) is converted again where it is written.
    """

    def __init__(
        self,
        messages: Sequence[ArchivedMessage],
        values: Sequence[tuple[Any, ...]],
        folded: Sequence[str],
    ) -> None:
        self._values = values
        self._folded = folded
        self._positions = {id(message): i for i, message in enumerate(messages)}

    def rows(
        self, ids: Iterable[int], batch: Sequence[ArchivedMessage], *extra: Any
    ) -> list[tuple[Any, ...]]:
        """What ``message_rows`` would build, from the prepared values where there are some."""
        rows = []
        for pk, message in zip(ids, batch, strict=True):
            position = self._positions.get(id(message))
            values = message_values(message) if position is None else self._values[position]
            rows.append((pk, *values, *extra))
        return rows

    def folded(self, batch: Sequence[ArchivedMessage]) -> list[str]:
        """Each message's folded text (``core.text.fold``), prepared or folded now."""
        positions, folded = self._positions, self._folded
        return [fold(m.text) if (at := positions.get(id(m))) is None else folded[at] for m in batch]


async def driver_connection(conn: AsyncConnection) -> Any:
    """The aiosqlite connection under ``conn``, in the same transaction."""
    if not conn.sync_connection or not conn.sync_connection.get_execution_options().get(
        "sqlite_immediate"
    ):
        raise RuntimeError("the SQLite bulk path needs a writing unit of work (BEGIN IMMEDIATE)")
    raw = await conn.get_raw_connection()
    return raw.driver_connection


def _insert_sql(names: Sequence[str]) -> str:
    return (
        f"INSERT INTO {messages.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    )


INSERT_MESSAGES = _insert_sql(["id", *MESSAGE_COLUMNS])
INSERT_SCANNED_MESSAGES = _insert_sql(["id", *MESSAGE_COLUMNS, "scanned_at"])


async def insert_messages(
    conn: AsyncConnection,
    batch: Sequence[ArchivedMessage],
    *,
    scanned_at: datetime | None = None,
    prepared: PreparedMessages | None = None,
) -> list[int]:
    """Insert messages none of which is stored yet; returns their new ids, in order.

    ``scanned_at`` (when given) is stored on every row: detection scans them in this transaction.
    ``prepared`` holds the values of (some of) the messages, converted ahead.
    """
    driver = await driver_connection(conn)
    cursor = await driver.execute("SELECT coalesce(max(id), 0) FROM messages")
    (highest,) = await cursor.fetchone()
    await cursor.close()
    ids = range(highest + 1, highest + 1 + len(batch))
    extra = () if scanned_at is None else (sqlite_datetime(scanned_at),)
    if prepared is None:
        rows = message_rows(ids, batch, *extra)
    else:
        rows = prepared.rows(ids, batch, *extra)
    await driver.executemany(
        INSERT_MESSAGES if scanned_at is None else INSERT_SCANNED_MESSAGES, rows
    )
    return list(ids)


async def executemany(conn: AsyncConnection, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
    driver = await driver_connection(conn)
    await driver.executemany(sql, params)


def _insert_ignore_sql(table: str, columns: Sequence[str], unique: Sequence[str]) -> str:
    names, marks = ", ".join(columns), ", ".join("?" * len(columns))
    return (
        f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({', '.join(unique)}) "
        "DO NOTHING"
    )


async def insert_ignoring(
    conn: AsyncConnection,
    table: str,
    columns: Sequence[str],
    params: Sequence[tuple[Any, ...]],
    *,
    unique: Sequence[str],
) -> int:
    """Insert rows (values of ``columns``) into ``table``, skipping those whose ``unique``
    columns are stored already; returns how many were inserted (the driver sums each row's
    change count over an executemany)."""
    driver = await driver_connection(conn)
    cursor = await driver.executemany(_insert_ignore_sql(table, columns, unique), params)
    inserted: int = cursor.rowcount
    await cursor.close()
    return inserted


async def insert_new(
    conn: AsyncConnection,
    table: str,
    columns: Sequence[str],
    params: Sequence[tuple[Any, ...]],
    *,
    unique: Sequence[str],
) -> list[tuple[Any, ...]]:
    """Insert rows (values of ``columns``) into ``table``, skipping those whose ``unique``
    columns are stored already; ``(id, *unique)`` of the rows inserted, in id order.

    With the write lock held (BEGIN IMMEDIATE), every row inserted here gets a rowid above the
    highest before it, so one range query finds exactly the new ones: no RETURNING per row.
    """
    driver = await driver_connection(conn)
    cursor = await driver.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    (highest,) = await cursor.fetchone()
    await cursor.close()
    keys = ", ".join(unique)
    await driver.executemany(_insert_ignore_sql(table, columns, unique), params)
    cursor = await driver.execute(
        f"SELECT id, {keys} FROM {table} WHERE id > ? ORDER BY id", (highest,)
    )
    found = await cursor.fetchall()
    await cursor.close()
    return [tuple(row) for row in found]
