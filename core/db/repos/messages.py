"""Batched, idempotent message writes: inserts, edits kept as versions, deletions as marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import postgres_bulk, sqlite_bulk
from core.db.repos.message_keys import Key, StoredContent, possibly_stored, stored_content
from core.db.search_index import SearchIndexWriter
from core.db.tables import chats, message_versions, messages, watched_chats
from core.domain.messages import ArchivedMessage, IngestOutcome, StoredMessageRef, WrittenMessage

# Columns an incoming message sets (every field of ArchivedMessage); everything else
# (deleted_at, scanned_at …) is the vault's own. One list for both write paths.
CONTENT_COLUMNS = sqlite_bulk.MESSAGE_COLUMNS
MUTABLE_COLUMNS = ("text", "entities", "edit_date", "views", "media_kind")
KEY_CHUNK = 2000  # keys per statement: well under every driver's parameter limit
CHANNEL_KINDS = ("channel", "supergroup")


def message_row(message: ArchivedMessage) -> dict[str, Any]:
    row = {name: getattr(message, name) for name in CONTENT_COLUMNS}
    row["entities"] = list(message.entities) if message.entities is not None else None
    return row


def _without_nul(message: ArchivedMessage) -> ArchivedMessage:
    """PostgreSQL cannot store NUL in text; every source gets the same replacement character."""
    if "\x00" not in message.text:
        return message
    return replace(message, text=message.text.replace("\x00", "\ufffd"))


def _latest_per_key(
    batch: Sequence[ArchivedMessage],
) -> tuple[list[ArchivedMessage], list[Key], list[ArchivedMessage]]:
    """One message per key (the latest edit wins), their keys, and the earlier versions they
    superseded. A batch without repeated keys (nearly every one) is handled in a few passes
    at C speed; this runs for every message written."""
    messages = [_without_nul(m) for m in batch]
    keys = [(m.chat_id, m.message_id) for m in messages]
    if len(dict.fromkeys(keys)) == len(keys):
        return messages, keys, []
    chosen: dict[Key, ArchivedMessage] = {}
    superseded: list[ArchivedMessage] = []
    for key, message in zip(keys, messages, strict=True):
        current = chosen.get(key)
        if current is None or _edit_order(message) >= _edit_order(current):
            if current is not None:
                superseded.append(current)
            chosen[key] = message
        else:
            superseded.append(message)
    return list(chosen.values()), list(chosen), superseded


def _edit_order(message: ArchivedMessage) -> float:
    return message.edit_date.timestamp() if message.edit_date else 0.0


class MessageRepo:
    """Messages of the archive. Writes are batched; the unit of work owns the transaction."""

    def __init__(self, conn: AsyncConnection, dialect: str, index: SearchIndexWriter) -> None:
        self._conn = conn
        self._dialect = dialect
        self._index = index

    async def upsert_batch(
        self,
        batch: Sequence[ArchivedMessage],
        *,
        index: bool = True,
        scanned_at: datetime | None = None,
        prepared: sqlite_bulk.PreparedMessages | None = None,
    ) -> IngestOutcome:
        """Store a batch idempotently (unique on chat id + message id).

        ``index=False`` skips the SQLite search index for bulk loads that rebuild it afterwards.
        ``scanned_at`` marks the new and edited rows scanned as they are written: the caller
        scans them in this transaction (a separate UPDATE would rewrite every row again).
        ``prepared`` (SQLite): the new messages' row values and folded texts, converted ahead.
        """
        unique, keys, superseded = _latest_per_key(batch)
        outcome = IngestOutcome()
        candidates = await possibly_stored(self._conn, self._dialect, keys)
        existing = await stored_content(self._conn, self._dialect, candidates)
        fresh = [m for m, key in zip(unique, keys, strict=True) if key not in existing]
        inserted = await self._insert(fresh, scanned_at, index=index, prepared=prepared)
        if len(inserted) < len(fresh):  # another writer inserted some between lookup and insert
            taken = {(w.message.chat_id, w.message.message_id) for w in inserted}
            raced = [m.key for m in fresh if m.key not in taken]
            existing.update(await stored_content(self._conn, self._dialect, raced))
        outcome.inserted = [
            StoredMessageRef(w.pk, w.message.chat_id, w.message.message_id) for w in inserted
        ]
        outcome.written_messages = inserted
        if existing:
            changed = [m for m, key in zip(unique, keys, strict=True) if key in existing]
            await self._apply_updates(changed, existing, outcome, index=index, at=scanned_at)
            outcome.stored.update({key: old.pk for key, old in existing.items()})
        outcome.stored.update({(r.chat_id, r.message_id): r.pk for r in outcome.inserted})
        if superseded:
            final = dict(zip(keys, unique, strict=True))
            earlier = [
                (m, outcome.stored[m.key])
                for m in superseded
                if m.key in outcome.stored and _content_differs_from(m, final[m.key])
            ]
            outcome.older_versions += await self._store_older_versions(earlier)
        return outcome

    async def _insert(
        self,
        fresh: Sequence[ArchivedMessage],
        scanned_at: datetime | None,
        *,
        index: bool,
        prepared: sqlite_bulk.PreparedMessages | None,
    ) -> list[WrittenMessage]:
        """Insert messages not stored yet (and index them); what was inserted, in order."""
        if not fresh:
            return []
        if self._dialect == "sqlite":
            ids = await sqlite_bulk.insert_messages(
                self._conn, fresh, scanned_at=scanned_at, prepared=prepared
            )
            written = [WrittenMessage(pk, m) for pk, m in zip(ids, fresh, strict=True)]
            if index:
                folded = prepared.folded(fresh) if prepared is not None else None
                texts = [(w.pk, w.message.text) for w in written]
                await self._index.add(self._conn, texts, folded)
            return written
        rows = await postgres_bulk.insert_messages(self._conn, fresh, scanned_at=scanned_at)
        by_key = {m.key: m for m in fresh}
        return [
            WrittenMessage(pk, by_key[(chat_id, message_id)]) for pk, chat_id, message_id in rows
        ]

    async def _apply_updates(
        self,
        candidates: Sequence[ArchivedMessage],
        existing: dict[Key, StoredContent],
        outcome: IngestOutcome,
        *,
        index: bool,
        at: datetime | None,
    ) -> None:
        newer: list[tuple[ArchivedMessage, StoredContent]] = []
        older: list[tuple[ArchivedMessage, StoredContent]] = []
        for message in candidates:
            old = existing[message.key]
            if not _content_differs(message, old):
                outcome.unchanged += 1
            elif _is_older(message, old):
                older.append((message, old))
            else:
                newer.append((message, old))
        outcome.older_versions += await self._store_older_versions(
            [(m, old.pk) for m, old in older]
        )
        await self._store_edits(newer, index=index, scanned_at=at)
        outcome.edited.extend(StoredMessageRef(old.pk, m.chat_id, m.message_id) for m, old in newer)
        outcome.written_messages.extend(WrittenMessage(old.pk, m) for m, old in newer)

    async def _store_edits(
        self,
        edits: Sequence[tuple[ArchivedMessage, StoredContent]],
        *,
        index: bool,
        scanned_at: datetime | None,
    ) -> None:
        if not edits:
            return
        await self._conn.execute(
            message_versions.insert(),
            [
                {
                    "message_pk": old.pk,
                    "text": old.text,
                    "entities": old.entities,
                    "edit_date": old.edit_date,
                }
                for _, old in edits
            ],
        )
        columns: dict[str, Any] = {name: bindparam(f"new_{name}") for name in MUTABLE_COLUMNS}
        if scanned_at is not None:  # scanned in this transaction; else left as it was
            columns["scanned_at"] = bindparam("new_scanned_at")
        stmt = update(messages).where(messages.c.id == bindparam("pk")).values(columns)
        params = []
        for message, old in edits:
            row = message_row(message)
            values = {f"new_{n}": row[n] for n in MUTABLE_COLUMNS}
            if scanned_at is not None:
                values["new_scanned_at"] = scanned_at
            params.append({"pk": old.pk, **values})
        await self._conn.execute(stmt, params)
        if index:
            await self._index.remove(self._conn, [(old.pk, old.text) for _, old in edits])
            await self._index.add(self._conn, [(old.pk, m.text) for m, old in edits])

    async def _store_older_versions(self, older: Sequence[tuple[ArchivedMessage, int]]) -> int:
        """Versions older than the stored text, once each: an import after a backfill, or an
        original and its edit arriving in one batch."""
        if not older:
            return 0
        known = await self._version_keys([pk for _, pk in older])
        rows = []
        for message, pk in older:
            key = (pk, message.text, _stamp(message.edit_date))
            if key not in known:
                known.add(key)
                row = message_row(message)
                rows.append(
                    {
                        "message_pk": pk,
                        "text": row["text"],
                        "entities": row["entities"],
                        "edit_date": row["edit_date"],
                    }
                )
        if rows:
            await self._conn.execute(message_versions.insert(), rows)
        return len(rows)

    async def _version_keys(self, pks: Sequence[int]) -> set[tuple[int, str, float | None]]:
        query = select(
            message_versions.c.message_pk, message_versions.c.text, message_versions.c.edit_date
        ).where(message_versions.c.message_pk.in_(pks))
        return {(r[0], r[1], _stamp(r[2])) for r in await self._conn.execute(query)}

    async def mark_deleted(
        self,
        message_ids: Sequence[int],
        at: datetime,
        chat_id: int | None = None,
        *,
        account_id: int | None = None,
    ) -> int:
        """Mark messages deleted, keeping their content.

        Telegram names the chat only for channels and supergroups; ids of private chats and
        basic groups are unique per account, so ``chat_id=None`` searches those chats — the
        ones ``account_id`` owns or nobody does, never another account's.
        """
        if not message_ids:
            return 0
        scope = (
            messages.c.chat_id == chat_id
            if chat_id is not None
            else messages.c.chat_id.in_(_numbered_by(account_id))
        )
        stmt = (
            update(messages)
            .where(
                and_(scope, messages.c.message_id.in_(message_ids), messages.c.deleted_at.is_(None))
            )
            .values(deleted_at=at)
        )
        result = await self._conn.execute(stmt)
        return int(result.rowcount or 0)

    async def count(self, chat_id: int | None = None) -> int:
        query = select(func.count()).select_from(messages)
        if chat_id is not None:
            query = query.where(messages.c.chat_id == chat_id)
        return int((await self._conn.execute(query)).scalar_one())

    async def get(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        query = select(messages).where(
            messages.c.chat_id == chat_id, messages.c.message_id == message_id
        )
        row = (await self._conn.execute(query)).mappings().first()
        return dict(row) if row else None

    async def versions(self, message_pk: int) -> list[dict[str, Any]]:
        query = (
            select(message_versions)
            .where(message_versions.c.message_pk == message_pk)
            .order_by(message_versions.c.id)
        )
        return [dict(r) for r in (await self._conn.execute(query)).mappings()]


def _content_differs(message: ArchivedMessage, old: StoredContent) -> bool:
    new_entities = list(message.entities) if message.entities is not None else None
    return message.text != old.text or new_entities != old.entities


def _content_differs_from(message: ArchivedMessage, other: ArchivedMessage) -> bool:
    return (message.text, message.entities) != (other.text, other.entities)


def _is_older(message: ArchivedMessage, old: StoredContent) -> bool:
    if old.edit_date is None:
        return False
    return message.edit_date is None or message.edit_date < old.edit_date


def _stamp(value: datetime | None) -> float | None:
    return value.timestamp() if value else None


def _numbered_by(account_id: int | None) -> Select[tuple[int]]:
    """Chats whose message ids an account's chat-less deletion may name: private chats and
    basic groups, except those another account owns."""
    query = select(chats.c.id).where(chats.c.kind.not_in(CHANNEL_KINDS))
    if account_id is None:
        return query
    theirs = select(watched_chats.c.chat_id).where(
        watched_chats.c.account_id.is_not(None), watched_chats.c.account_id != account_id
    )
    return query.where(chats.c.id.not_in(theirs))
