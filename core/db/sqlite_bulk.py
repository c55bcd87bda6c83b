"""SQLite's fast path for bulk message writes: the driver's executemany, no per-row ORM work.

Only used inside a writing unit of work (BEGIN IMMEDIATE): with the write lock held from the
start, the rows the caller found missing cannot appear meanwhile, and ids can be assigned here
(max(id) + 1 …) instead of being read back one by one. Values are converted exactly as the
SQLAlchemy column types would store them, so both paths write identical rows.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from itertools import compress, repeat
from operator import attrgetter, is_not
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


# A row's shape: one byte per value of ``message_values``, 1 where it is not NULL.
Shape = bytes
CompactRow = tuple[Shape, tuple[Any, ...]]  # the shape, and the row's values that are not NULL


def compact(values: tuple[Any, ...]) -> CompactRow:
    """``values`` without its NULLs, and the shape that says which columns remain.

    The driver binds each None through its adaptation protocol (a registry lookup and two
    attribute probes), about 0.27 µs a value against nearly nothing for a str or an int, and a
    message row holds 13 NULLs on average: an insert that names only the other columns writes
    the same row (they default to NULL) in about a quarter of the time. ``map`` and
    ``compress`` do the work in C.
    """
    shape = bytes(map(is_not, values, repeat(None)))
    return shape, tuple(compress(values, shape))


def compact_rows(batch: Sequence[ArchivedMessage]) -> list[CompactRow]:
    """``compact(message_values(m))`` for each message, the values read a column at a time:
    the attribute reads and the tuples are made by ``map`` and ``zip`` in C."""
    return list(map(compact, zip(*_value_columns(batch), strict=True)))


def prepare(messages: Sequence[ArchivedMessage]) -> tuple[list[CompactRow], list[str]]:
    """The compact row values and the folded text of each message, for ``PreparedMessages``."""
    return compact_rows(messages), [fold(m.text) for m in messages]


class PreparedMessages:
    """Messages converted for this module elsewhere, ahead of their write: each one's compact
    row values and folded text (the trigram index's form), by position in ``messages``.

    An import's parser process prepares its pages (it has a core of its own; the writing
    process is the busy one). Messages are found by identity: one the write path replaced
    (a NUL dropped from its text, say) is converted again where it is written.
    """

    def __init__(
        self,
        messages: Sequence[ArchivedMessage],
        rows: Sequence[CompactRow],
        folded: Sequence[str],
    ) -> None:
        self._rows = rows
        self._folded = folded
        self._positions = {id(message): i for i, message in enumerate(messages)}

    def rows(self, batch: Sequence[ArchivedMessage]) -> list[CompactRow]:
        """What ``compact_rows`` would build, from the prepared rows where there are some."""
        positions, rows = self._positions, self._rows
        return [
            compact(message_values(m)) if (at := positions.get(id(m))) is None else rows[at]
            for m in batch
        ]

    def folded(self, batch: Sequence[ArchivedMessage]) -> list[str]:
        """Each message's folded text (``core.text.fold``), prepared or folded now."""
        positions, folded = self._positions, self._folded
        return [fold(m.text) if (at := positions.get(id(m))) is None else folded[at] for m in batch]


def rows_by_shape(
    ids: Iterable[int], rows: Iterable[CompactRow], *extra: Any
) -> dict[Shape, list[tuple[Any, ...]]]:
    """``(id, *values, *extra)`` of each row, gathered by shape (one insert statement each)."""
    groups: dict[Shape, list[tuple[Any, ...]]] = {}
    for pk, (shape, values) in zip(ids, rows, strict=True):
        group = groups.get(shape)
        if group is None:
            groups[shape] = group = []
        group.append((pk, *values, *extra))
    return groups


async def driver_connection(conn: AsyncConnection) -> Any:
    """The aiosqlite connection under ``conn``, in the same transaction."""
    if not conn.sync_connection or not conn.sync_connection.get_execution_options().get(
        "sqlite_immediate"
    ):
        raise RuntimeError("the SQLite bulk path needs a writing unit of work (BEGIN IMMEDIATE)")
    raw = await conn.get_raw_connection()
    return raw.driver_connection


@functools.cache
def _insert_sql(shape: Shape, extra: tuple[str, ...]) -> str:
    """The insert of a row of ``shape``: its id, the columns not NULL, then ``extra``."""
    names = ["id", *compress(MESSAGE_COLUMNS, shape), *extra]
    return (
        f"INSERT INTO {messages.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    )


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
    names = () if scanned_at is None else ("scanned_at",)
    rows = compact_rows(batch) if prepared is None else prepared.rows(batch)
    for shape, group in rows_by_shape(ids, rows, *extra).items():
        await driver.executemany(_insert_sql(shape, names), group)
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
