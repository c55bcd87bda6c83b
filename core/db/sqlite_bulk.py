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

JSON_COLUMNS = frozenset({"entities", "action_data"})
# SQLAlchemy's SQLite DATETIME storage format (microseconds always written).
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def sqlite_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    return value.astimezone(UTC).replace(tzinfo=None).strftime(DATETIME_FORMAT)


def _convert(column: str, value: Any) -> Any:
    if isinstance(value, datetime):
        return sqlite_datetime(value)
    if column in JSON_COLUMNS and value is not None:
        return json.dumps(value)
    return value


async def driver_connection(conn: AsyncConnection) -> Any:
    """The aiosqlite connection under ``conn``, in the same transaction."""
    if not conn.sync_connection or not conn.sync_connection.get_execution_options().get(
        "sqlite_immediate"
    ):
        raise RuntimeError("the SQLite bulk path needs a writing unit of work (BEGIN IMMEDIATE)")
    raw = await conn.get_raw_connection()
    return raw.driver_connection


async def insert_messages(
    conn: AsyncConnection, columns: Sequence[str], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert ``rows`` (none of which exists yet) and return their new ids, in order."""
    driver = await driver_connection(conn)
    cursor = await driver.execute("SELECT coalesce(max(id), 0) FROM messages")
    (highest,) = await cursor.fetchone()
    await cursor.close()
    ids = list(range(highest + 1, highest + 1 + len(rows)))
    names = ["id", *columns]
    sql = (
        f"INSERT INTO {messages.name} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
    )
    params = [
        (pk, *(_convert(name, row[name]) for name in columns))
        for pk, row in zip(ids, rows, strict=True)
    ]
    await driver.executemany(sql, params)
    return ids


async def executemany(conn: AsyncConnection, sql: str, params: Sequence[tuple[Any, ...]]) -> None:
    driver = await driver_connection(conn)
    await driver.executemany(sql, params)
