"""Chats and users upserted with their change history (names, usernames, bios, photos)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.repos.messages import KEY_CHUNK
from core.db.tables import chat_history, chats, user_history, users
from core.db.upsert import insert_ignore
from core.domain.messages import ChatInfo, UserInfo

CHAT_FIELDS = tuple(f.name for f in fields(ChatInfo))
USER_FIELDS = tuple(f.name for f in fields(UserInfo))


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One observed change of a tracked field; the history tables store exactly these."""

    entity_id: int
    field: str
    old_value: str | None
    new_value: str | None
    changed_at: datetime


class _VersionedRepo:
    table: Table
    history: Table
    history_fk: str
    tracked: tuple[str, ...]

    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def _upsert(self, records: Sequence[dict[str, Any]], at: datetime) -> list[FieldChange]:
        """Insert unknown ids; for known ones apply non-None fields and log tracked changes."""
        latest: dict[int, dict[str, Any]] = {}
        for record in records:  # sightings in one batch merge: later known fields win
            merged = latest.setdefault(record["id"], {})
            merged.update({k: v for k, v in record.items() if v is not None or k not in merged})
        current = await self._current(list(latest))
        fresh = [self._new_row(r, at) for key, r in latest.items() if key not in current]
        if fresh:
            await self._conn.execute(insert_ignore(self._dialect, self.table, ("id",)), fresh)
        changes: list[FieldChange] = []
        updates: list[dict[str, Any]] = []
        for key, record in latest.items():
            if key in current:
                diff = _known_differences(record, current[key])
                if diff:
                    updates.append({"pk": key, **diff})
                    changes.extend(self._changes(key, diff, current[key], at))
        await self._apply(updates, at)
        if changes:
            await self._conn.execute(self.history.insert(), [self._history_row(c) for c in changes])
        return changes

    def _new_row(self, record: dict[str, Any], at: datetime) -> dict[str, Any]:
        row = {**record, "first_seen_at": at, "updated_at": at}
        for column in self.table.c:  # unknown flags start as false
            if isinstance(column.type, Boolean) and row.get(column.name, False) is None:
                row[column.name] = False
        return row

    async def _current(self, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(ids), KEY_CHUNK):
            query = select(self.table).where(self.table.c.id.in_(ids[start : start + KEY_CHUNK]))
            for row in (await self._conn.execute(query)).mappings():
                found[row["id"]] = dict(row)
        return found

    def _changes(
        self, key: int, diff: dict[str, Any], old: dict[str, Any], at: datetime
    ) -> list[FieldChange]:
        return [
            FieldChange(key, name, _as_text(old.get(name)), _as_text(value), at)
            for name, value in diff.items()
            if name in self.tracked
        ]

    async def _apply(self, updates: list[dict[str, Any]], at: datetime) -> None:
        # Rows differ in which columns changed; group them so each statement has one shape.
        shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for row in updates:
            columns = tuple(sorted(k for k in row if k != "pk"))
            shapes.setdefault(columns, []).append(row)
        for columns, rows in shapes.items():
            values: dict[str, Any] = {c: bindparam(f"v_{c}") for c in columns}
            stmt = update(self.table).where(self.table.c.id == bindparam("pk"))
            stmt = stmt.values(updated_at=at, **values)
            await self._conn.execute(
                stmt, [{"pk": r["pk"], **{f"v_{c}": r[c] for c in columns}} for r in rows]
            )

    def _history_row(self, change: FieldChange) -> dict[str, Any]:
        return {
            self.history_fk: change.entity_id,
            "field": change.field,
            "old_value": change.old_value,
            "new_value": change.new_value,
            "changed_at": change.changed_at,
        }

    async def history_of(self, entity_id: int) -> list[FieldChange]:
        fk = self.history.c[self.history_fk]
        query = select(self.history).where(fk == entity_id).order_by(self.history.c.id)
        return [
            FieldChange(
                r[self.history_fk], r["field"], r["old_value"], r["new_value"], r["changed_at"]
            )
            for r in (await self._conn.execute(query)).mappings()
        ]

    async def get(self, entity_id: int) -> dict[str, Any] | None:
        found = await self._current([entity_id])
        return found.get(entity_id)


class ChatRepo(_VersionedRepo):
    """Chats seen by any source; title, username, about and photo changes are kept."""

    table = chats
    history = chat_history
    history_fk = "chat_id"
    tracked = ("title", "username", "about", "photo_id", "migrated_to_id")

    async def upsert(self, batch: Sequence[ChatInfo], at: datetime) -> list[FieldChange]:
        return await self._upsert([entity_record(c, CHAT_FIELDS) for c in batch], at)

    async def ensure(self, chat_ids: Sequence[int], at: datetime) -> None:
        """Make sure rows exist for chats only known by id (filled in when seen properly)."""
        if chat_ids:
            rows = [self._new_row({"id": i, "kind": "unknown"}, at) for i in set(chat_ids)]
            await self._conn.execute(insert_ignore(self._dialect, chats, ("id",)), rows)


class UserRepo(_VersionedRepo):
    """People and bots; name, username, phone, bio and photo changes are kept."""

    table = users
    history = user_history
    history_fk = "user_id"
    tracked = ("first_name", "last_name", "username", "phone", "bio", "photo_id", "is_deleted")

    async def upsert(self, batch: Sequence[UserInfo], at: datetime) -> list[FieldChange]:
        return await self._upsert([entity_record(u, USER_FIELDS) for u in batch], at)


def entity_record(entity: ChatInfo | UserInfo, names: tuple[str, ...]) -> dict[str, Any]:
    """The entity's fields as a dict: ``asdict`` without its deep copy (every field is a plain
    value), which took about half of the upsert's own time on a page of a hundred messages."""
    return {name: getattr(entity, name) for name in names}


def _known_differences(record: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """Fields the record knows (not None) whose value differs from the stored one."""
    return {
        name: value
        for name, value in record.items()
        if name != "id" and value is not None and current.get(name) != value
    }


def _as_text(value: Any) -> str | None:
    return None if value is None else str(value)
