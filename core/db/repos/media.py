"""Media rows (one per message with media) and the content-addressed blobs they point to."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db import sqlite_bulk
from core.db.queue import claim, due
from core.db.sqlite_bulk import sqlite_datetime
from core.db.tables import media, media_blobs, messages, watched_chats
from core.db.upsert import insert_ignore
from core.domain.archive import MediaRef

PENDING, DOWNLOADING, RETRY = "pending", "downloading", "retry"
DONE, FAILED, SKIPPED = "done", "failed", "skipped"
WAITING_STATES = (PENDING, RETRY)
QUEUED_COLUMNS = (
    "message_pk", "kind", "tg_file_id", "tg_dc_id", "file_name", "mime_type", "declared_size",
    "state", "last_error", "created_at", "updated_at",
)  # fmt: skip


def _owned_by_another(account_id: int) -> ColumnElement[bool]:
    """The media row's chat belongs to another account (its archiver alone can see the file).

    A correlated subquery rather than a join: the claim's FOR UPDATE then locks media rows
    only, and no outer join meets it.
    """
    return exists().where(
        messages.c.id == media.c.message_pk,
        watched_chats.c.chat_id == messages.c.chat_id,
        watched_chats.c.account_id.is_not(None),
        watched_chats.c.account_id != account_id,
    )


class MediaRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def enqueue(
        self,
        refs: Sequence[tuple[MediaRef, int, str, str | None]],
        at: datetime,
    ) -> int:
        """Queue (ref, message pk, initial state, reason) rows; a message's media is queued once."""
        if not refs:
            return 0
        if self._dialect == "sqlite":  # an import queues one row per message with media
            stamp = sqlite_datetime(at)
            params = [
                (pk, ref.kind, ref.tg_file_id, ref.dc_id, ref.file_name, ref.mime_type,
                 ref.declared_size, state, reason, stamp, stamp)
                for ref, pk, state, reason in refs
            ]  # fmt: skip
            return await sqlite_bulk.insert_ignoring(
                self._conn, media.name, QUEUED_COLUMNS, params, unique=("message_pk",)
            )
        rows = [
            {
                "message_pk": pk,
                "kind": ref.kind,
                "tg_file_id": ref.tg_file_id,
                "tg_dc_id": ref.dc_id,
                "file_name": ref.file_name,
                "mime_type": ref.mime_type,
                "declared_size": ref.declared_size,
                "state": state,
                "last_error": reason,
                "created_at": at,
                "updated_at": at,
            }
            for ref, pk, state, reason in refs
        ]
        stmt = insert_ignore(self._dialect, media, ("message_pk",)).returning(media.c.id)
        return len((await self._conn.execute(stmt, rows)).all())

    async def claim_due(
        self, now: datetime, limit: int, worker: str, *, account_id: int | None = None
    ) -> list[dict[str, Any]]:
        """Take waiting rows whose time has come, with their chat and message ids.

        With ``account_id``, only media the account can download: those of chats it watches,
        of chats watched by no account in particular, or of chats nobody watches.
        """
        ready = due(media, now, WAITING_STATES)
        if account_id is not None:
            ready.append(~_owned_by_another(account_id))
        rows = await claim(
            self._conn,
            media,
            ready=ready,
            order_by=[media.c.next_attempt_at, media.c.id],
            limit=limit,
            claimed_by=worker,
            set_values={"state": DOWNLOADING, "updated_at": now},
        )
        return await self._with_message_keys(rows)

    async def _with_message_keys(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not rows:
            return rows
        pks = [r["message_pk"] for r in rows]
        query = select(messages.c.id, messages.c.chat_id, messages.c.message_id).where(
            messages.c.id.in_(pks)
        )
        keys = {r.id: (r.chat_id, r.message_id) for r in await self._conn.execute(query)}
        return [
            {**r, "chat_id": keys[r["message_pk"]][0], "message_id": keys[r["message_pk"]][1]}
            for r in rows
        ]

    async def blob_for_file(self, tg_file_id: int) -> dict[str, Any] | None:
        """A stored blob already downloaded for this Telegram file (dedup before download)."""
        query = (
            select(media_blobs)
            .join(media, media.c.sha256 == media_blobs.c.sha256)
            .where(media.c.tg_file_id == tg_file_id, media.c.state == DONE)
            .limit(1)
        )
        row = (await self._conn.execute(query)).mappings().first()
        return dict(row) if row else None

    async def add_blob(self, sha256: str, size: int, mime_type: str | None, path: str) -> None:
        stmt = insert_ignore(self._dialect, media_blobs, ("sha256",))
        await self._conn.execute(
            stmt, {"sha256": sha256, "size": size, "mime_type": mime_type, "path": path}
        )

    async def mark_done(self, media_id: int, sha256: str, at: datetime) -> None:
        await self._set(
            media_id,
            state=DONE,
            sha256=sha256,
            last_error=None,
            error_category=None,
            next_attempt_at=None,
            updated_at=at,
        )

    async def mark_retry(
        self,
        media_id: int,
        *,
        error: str,
        category: str,
        attempts: int,
        next_at: datetime,
        at: datetime,
    ) -> None:
        await self._set(
            media_id,
            state=RETRY,
            last_error=error,
            error_category=category,
            attempts=attempts,
            next_attempt_at=next_at,
            updated_at=at,
        )

    async def mark_failed(
        self, media_id: int, *, error: str, category: str, attempts: int, at: datetime
    ) -> None:
        await self._set(
            media_id,
            state=FAILED,
            last_error=error,
            error_category=category,
            attempts=attempts,
            next_attempt_at=None,
            updated_at=at,
        )

    async def requeue_failed(self, at: datetime, chat_id: int | None = None) -> int:
        """Give failed rows another round (an admin's /retry_media), attempts reset."""
        query = update(media).where(media.c.state == FAILED)
        if chat_id is not None:
            query = query.where(
                media.c.message_pk.in_(select(messages.c.id).where(messages.c.chat_id == chat_id))
            )
        result = await self._conn.execute(
            query.values(state=PENDING, attempts=0, next_attempt_at=None, updated_at=at)
        )
        return int(result.rowcount or 0)

    async def release_stale(self, older_than: datetime, at: datetime) -> int:
        """Downloads left half-way by a crashed worker go back to the queue."""
        query = (
            update(media)
            .where(media.c.state == DOWNLOADING, media.c.updated_at < older_than)
            .values(state=RETRY, claimed_by=None, next_attempt_at=None, updated_at=at)
        )
        return int((await self._conn.execute(query)).rowcount or 0)

    async def _set(self, media_id: int, **values: Any) -> None:
        await self._conn.execute(update(media).where(media.c.id == media_id).values(**values))

    async def get(self, media_id: int) -> dict[str, Any] | None:
        row = (await self._conn.execute(select(media).where(media.c.id == media_id))).mappings()
        found = row.first()
        return dict(found) if found else None

    async def counts(self) -> Mapping[str, int]:
        query = select(media.c.state, func.count()).group_by(media.c.state)
        return {state: int(n) for state, n in await self._conn.execute(query)}
