"""Claiming rows of a durable queue table so that no two workers take the same row.

PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets several processes claim concurrently. SQLite: one
process owns the queues and the write transaction (BEGIN IMMEDIATE) serialises claims.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, select, update
from sqlalchemy.ext.asyncio import AsyncConnection


async def claim(
    conn: AsyncConnection,
    table: Table,
    *,
    ready: Sequence[ColumnElement[bool]],
    order_by: Sequence[Any],
    limit: int,
    claimed_by: str,
    set_values: dict[str, Any],
) -> list[dict[str, Any]]:
    """Select up to ``limit`` ready rows, mark them claimed, and return them as claimed."""
    query = select(table.c.id).where(*ready).order_by(*order_by).limit(limit)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = [row[0] for row in await conn.execute(query)]
    if not ids:
        return []
    stmt = (
        update(table)
        .where(table.c.id.in_(ids))
        .values(claimed_by=claimed_by, **set_values)
        .returning(*table.c)
    )
    rows = [dict(r) for r in (await conn.execute(stmt)).mappings()]
    return sorted(rows, key=lambda r: ids.index(r["id"]))


def due(table: Table, now: datetime, states: Sequence[str]) -> list[ColumnElement[bool]]:
    """Rows in ``states`` whose next attempt time has come (or was never set)."""
    return [
        table.c.state.in_(states),
        (table.c.next_attempt_at.is_(None)) | (table.c.next_attempt_at <= now),
    ]
