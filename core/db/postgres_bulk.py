"""PostgreSQL's fast path for bulk message inserts: one ``INSERT … SELECT FROM unnest(arrays)``.

SQLAlchemy's executemany with RETURNING renders a multi-row VALUES statement with twenty
parameters per row, built, sent and planned anew for every page. Here every column travels as
one array, so the statement text never changes: asyncpg prepares it once per connection and the
server plans a short statement. Values are converted as the column types convert them: JSON
documents serialized (``None`` as JSON ``null``, as SQLAlchemy's JSON type stores it), datetimes
required to carry a time zone. The conflict rule is the one ``insert_ignore`` renders.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Integer, String, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import TextClause

from core.db.sqlite_bulk import MESSAGE_COLUMNS
from core.db.tables import messages
from core.db.types import JSONDoc, UTCDateTime
from core.domain.messages import ArchivedMessage

JSON_COLUMNS = frozenset(
    name for name in MESSAGE_COLUMNS if isinstance(messages.c[name].type, JSONDoc)
)
DATETIME_COLUMNS = frozenset(
    name for name in MESSAGE_COLUMNS if isinstance(messages.c[name].type, UTCDateTime)
)


def _array_type(column: Column[Any]) -> str:
    """The element type of the column's array parameter.

    JSON travels as text and is cast in the SELECT; strings travel as text so that the INSERT's
    assignment to VARCHAR(n) rejects a value too long, as a plain INSERT does (an explicit cast
    to VARCHAR(n) would silently truncate it).
    """
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "TIMESTAMPTZ"
    if isinstance(kind, BigInteger):
        return "BIGINT"
    if isinstance(kind, Integer):
        return "INTEGER"
    if isinstance(kind, String | JSONDoc):
        return "TEXT"
    raise TypeError(f"no array type for messages.{column.name} ({kind!r})")


def _insert_statement() -> TextClause:
    names = ", ".join(MESSAGE_COLUMNS)
    arrays = ", ".join(
        f"CAST(:{name} AS {_array_type(messages.c[name])}[])" for name in MESSAGE_COLUMNS
    )
    values = ", ".join(
        f"CAST(u.{name} AS JSONB)" if name in JSON_COLUMNS else f"u.{name}"
        for name in MESSAGE_COLUMNS
    )
    return text(
        f"INSERT INTO {messages.name} ({names}) SELECT {values} "
        f"FROM unnest({arrays}) AS u({names}) "
        "ON CONFLICT (chat_id, message_id) DO NOTHING "
        "RETURNING id, chat_id, message_id"
    )


INSERT_MESSAGES = _insert_statement()


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    return value


def column_arrays(batch: Sequence[ArchivedMessage]) -> dict[str, list[Any]]:
    """One list per column, in the form the statement's array parameters take."""
    arrays: dict[str, list[Any]] = {}
    for name in MESSAGE_COLUMNS:
        values = [getattr(m, name) for m in batch]
        if name in JSON_COLUMNS:  # entities are a tuple in the domain, a list when stored
            values = [json.dumps(list(v) if isinstance(v, tuple) else v) for v in values]
        elif name in DATETIME_COLUMNS:
            values = [_aware(v) for v in values]
        arrays[name] = values
    return arrays


async def insert_messages(
    conn: AsyncConnection, batch: Sequence[ArchivedMessage]
) -> list[tuple[int, int, int]]:
    """Insert ``batch``, skipping keys already stored; (id, chat id, message id) of new rows."""
    if not batch:
        return []
    result = await conn.execute(INSERT_MESSAGES, column_arrays(batch))
    return [(int(r[0]), int(r[1]), int(r[2])) for r in result]
