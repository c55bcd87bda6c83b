"""The task queue table: work the bot asks for and the process holding the session does."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from core.db.queue import claim
from core.db.repos.watch import belongs_to
from core.db.tables import tasks
from core.db.upsert import insert_ignore

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
LIVE_STATES = (QUEUED, RUNNING)


class TaskRepo:
    def __init__(self, conn: AsyncConnection, dialect: str) -> None:
        self._conn = conn
        self._dialect = dialect

    async def add(self, values: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
        """Insert a task; with a ``dedup_key`` already live, return that task instead.

        Returns the row and whether it was created now.
        """
        stmt = insert_ignore(self._dialect, tasks, ("dedup_key",)).returning(*tasks.c)
        created = (await self._conn.execute(stmt, dict(values))).mappings().first()
        if created is not None:
            return dict(created), True
        existing = await self.by_dedup_key(str(values["dedup_key"]))
        if existing is None:  # finished between the insert and this read: insert again
            return await self.add(values)
        return existing, False

    async def by_dedup_key(self, key: str) -> dict[str, Any] | None:
        row = (await self._conn.execute(select(tasks).where(tasks.c.dedup_key == key))).first()
        return dict(row._mapping) if row else None

    async def get(self, task_id: int) -> dict[str, Any] | None:
        row = (await self._conn.execute(select(tasks).where(tasks.c.id == task_id))).first()
        return dict(row._mapping) if row else None

    async def claim(
        self,
        kinds: Sequence[str],
        now: datetime,
        limit: int,
        worker: str,
        *,
        account_id: int | None = None,
    ) -> list[dict[str, Any]]:
        """Take queued tasks of ``kinds`` meant for ``account_id`` or for any account (a worker
        without an account takes only the latter)."""
        return await claim(
            self._conn,
            tasks,
            ready=[
                tasks.c.state == QUEUED,
                tasks.c.kind.in_(kinds),
                belongs_to(tasks.c.account_id, account_id),
            ],
            order_by=[tasks.c.priority.desc(), tasks.c.id],
            limit=limit,
            claimed_by=worker,
            set_values={
                "state": RUNNING,
                "claimed_at": now,
                "heartbeat_at": now,
                "attempts": tasks.c.attempts + 1,
            },
        )

    async def change(self, task_id: int, values: Mapping[str, Any]) -> bool:
        stmt = update(tasks).where(tasks.c.id == task_id).values(**values)
        return bool((await self._conn.execute(stmt)).rowcount)

    async def finish(self, task_id: int, worker: str, values: Mapping[str, Any]) -> bool:
        """End a running task held by ``worker``; its dedup key is freed for a later run."""
        stmt = (
            update(tasks)
            .where(tasks.c.id == task_id, tasks.c.state == RUNNING, tasks.c.claimed_by == worker)
            .values(dedup_key=None, **values)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def beat(self, task_id: int, worker: str, now: datetime) -> bool:
        """The worker still runs the task; False when it is no longer the worker's."""
        stmt = (
            update(tasks)
            .where(tasks.c.id == task_id, tasks.c.state == RUNNING, tasks.c.claimed_by == worker)
            .values(heartbeat_at=now)
        )
        return bool((await self._conn.execute(stmt)).rowcount)

    async def requeue_stale(self, older_than: datetime) -> int:
        """Running tasks whose worker stopped beating go back to the queue."""
        stmt = (
            update(tasks)
            .where(tasks.c.state == RUNNING, tasks.c.heartbeat_at < older_than)
            .values(state=QUEUED, claimed_by=None)
        )
        return int((await self._conn.execute(stmt)).rowcount)

    async def recent(self, limit: int) -> list[dict[str, Any]]:
        query = select(tasks).order_by(tasks.c.id.desc()).limit(limit)
        return [dict(r._mapping) for r in await self._conn.execute(query)]

    async def live_with_reply(self) -> list[dict[str, Any]]:
        """Queued or running tasks that report progress into a bot message."""
        query = (
            select(tasks)
            .where(tasks.c.state.in_(LIVE_STATES), tasks.c.reply_message_id.is_not(None))
            .order_by(tasks.c.id)
        )
        return [dict(r._mapping) for r in await self._conn.execute(query)]

    async def counts(self) -> dict[str, int]:
        query = select(tasks.c.state, func.count()).group_by(tasks.c.state)
        return {state: int(n) for state, n in await self._conn.execute(query)}
