"""Dialect-aware INSERT … ON CONFLICT: the one place where SQLite and PostgreSQL differ here."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def _insert(dialect: str, table: Table) -> Any:
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"no upsert for dialect {dialect}")


def upsert(
    dialect: str,
    table: Table,
    keys: Sequence[str],
    update: Sequence[str],
    *,
    extra_set: Mapping[str, Any] | None = None,
) -> Insert:
    """INSERT that updates ``update`` columns from the proposed row when ``keys`` collide."""
    stmt = _insert(dialect, table)
    values: dict[str, Any] = {name: stmt.excluded[name] for name in update}
    values.update(extra_set or {})
    result: Insert = stmt.on_conflict_do_update(index_elements=list(keys), set_=values)
    return result


def insert_ignore(dialect: str, table: Table, keys: Sequence[str]) -> Insert:
    """INSERT that silently keeps the existing row when ``keys`` collide (idempotent enqueue)."""
    result: Insert = _insert(dialect, table).on_conflict_do_nothing(index_elements=list(keys))
    return result
