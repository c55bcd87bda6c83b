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
from operator import attrgetter
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


def _insert_statement(*, scanned: bool) -> TextClause:
    """The INSERT; ``scanned`` adds one ``scanned_at`` value, the same for every row."""
    names = ", ".join(MESSAGE_COLUMNS)
    arrays = ", ".join(
        f"CAST(:{name} AS {_array_type(messages.c[name])}[])" for name in MESSAGE_COLUMNS
    )
    values = ", ".join(
        f"CAST(u.{name} AS JSONB)" if name in JSON_COLUMNS else f"u.{name}"
        for name in MESSAGE_COLUMNS
    )
    targets = f"{names}, scanned_at" if scanned else names
    if scanned:
        values += ", CAST(:scanned_at AS TIMESTAMPTZ)"
    return text(
        f"INSERT INTO {messages.name} ({targets}) SELECT {values} "
        f"FROM unnest({arrays}) AS u({names}) "
        "ON CONFLICT (chat_id, message_id) DO NOTHING "
        "RETURNING id, chat_id, message_id"
    )


INSERT_MESSAGES = _insert_statement(scanned=False)
INSERT_SCANNED_MESSAGES = _insert_statement(scanned=True)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    return value


_GETTERS = {name: attrgetter(name) for name in MESSAGE_COLUMNS}
_TZINFO = attrgetter("tzinfo")
JSON_NULL = json.dumps(None)


def _json(value: Any) -> str:
    """A JSON column's text; the domain's tuples (entities) serialize as arrays."""
    return JSON_NULL if value is None else json.dumps(value)


def column_arrays(batch: Sequence[ArchivedMessage]) -> dict[str, list[Any]]:
    """One list per column, in the form the statement's array parameters take.

    Column by column at C speed where it can (``attrgetter``, ``map``): this runs for every
    message written, and it was the client's largest own cost on the live path.
    """
    arrays: dict[str, list[Any]] = {}
    for name in MESSAGE_COLUMNS:
        values = list(map(_GETTERS[name], batch))
        if name in JSON_COLUMNS:
            values = list(map(_json, values))
        elif name in DATETIME_COLUMNS and None in map(_TZINFO, filter(None, values)):
            raise ValueError("naive datetime given to a UTC column; attach a time zone first")
        arrays[name] = values
    return arrays


async def insert_messages(
    conn: AsyncConnection, batch: Sequence[ArchivedMessage], *, scanned_at: datetime | None = None
) -> list[tuple[int, int, int]]:
    """Insert ``batch``, skipping keys already stored; (id, chat id, message id) of new rows.

    ``scanned_at`` (when given) is stored on every row: detection scans them in this transaction.
    """
    if not batch:
        return []
    params: dict[str, Any] = column_arrays(batch)
    statement = INSERT_MESSAGES
    if scanned_at is not None:
        params["scanned_at"] = _aware(scanned_at)
        statement = INSERT_SCANNED_MESSAGES
    result = await conn.execute(statement, params)
    return [(int(r[0]), int(r[1]), int(r[2])) for r in result]


HIT_ARRAYS = (
    ("rule_id", "INTEGER"),
    ("message_pk", "BIGINT"),
    ("matched_text", "TEXT"),
    ("context", "TEXT"),
    ("created_at", "TIMESTAMPTZ"),
)
INSERT_HITS = text(
    f"INSERT INTO detections ({', '.join(name for name, _ in HIT_ARRAYS)}) SELECT * "
    f"FROM unnest({', '.join(f'CAST(:{name} AS {kind}[])' for name, kind in HIT_ARRAYS)}) "
    "ON CONFLICT (rule_id, message_pk) DO NOTHING "
    "RETURNING id, rule_id, message_pk"
)


async def insert_hits(
    conn: AsyncConnection, hits: Sequence[tuple[Any, ...]]
) -> list[tuple[int, int, int]]:
    """Detection hits (values of ``HIT_ARRAYS``, in order) in one statement, skipping (rule,
    message) pairs stored already; ``(id, rule id, message pk)`` of the new ones, in id order."""
    if not hits:
        return []
    columns = zip(*hits, strict=True)
    arrays = {name: list(values) for (name, _), values in zip(HIT_ARRAYS, columns, strict=True)}
    if None in map(_TZINFO, arrays["created_at"]):
        raise ValueError("naive datetime given to a UTC column; attach a time zone first")
    result = await conn.execute(INSERT_HITS, arrays)
    return sorted((int(r[0]), int(r[1]), int(r[2])) for r in result)
