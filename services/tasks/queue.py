"""TaskQueue: enqueue from the bot, claim and report from the worker, all through the database.

The bot process only enqueues and reads; the archivers (the processes with a Telegram session,
one account each) claim. A task with a dedup key is not queued twice while one is still queued
or running, so an impatient admin pressing /retry_media three times starts one sweep.

A task may be meant for one account: a task about a chat (its args name a ``chat_id``) goes to
the account that watches the chat, since only that account can see it; the others are anyone's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from core.db.database import Database
from core.db.repos.tasks import CANCELLED, DONE, FAILED, QUEUED, RUNNING
from core.db.uow import UnitOfWork
from core.errors import InvalidInputError, NotFoundError
from services.alerts.models import task_result_row

__all__ = ["CANCELLED", "DONE", "FAILED", "QUEUED", "RUNNING", "Task", "TaskQueue"]
MAX_ERROR_CHARS = 1000


@dataclass(frozen=True, slots=True)
class Task:
    id: int
    kind: str
    args: dict[str, Any]
    state: str
    progress: dict[str, Any] | None
    result: dict[str, Any] | None
    error: str | None
    attempts: int
    requested_by: int | None
    reply_chat_id: int | None
    reply_message_id: int | None
    created_at: datetime
    finished_at: datetime | None
    account_id: int | None = None  # the account whose archiver runs it; None: any

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED, CANCELLED)

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Task:
        return cls(
            id=row["id"],
            kind=row["kind"],
            args=dict(row["args"] or {}),
            state=row["state"],
            progress=row["progress"],
            result=row["result"],
            error=row["error"],
            attempts=row["attempts"],
            requested_by=row["requested_by"],
            reply_chat_id=row["reply_chat_id"],
            reply_message_id=row["reply_message_id"],
            created_at=row["created_at"],
            finished_at=row["finished_at"],
            account_id=row["account_id"],
        )


class TaskQueue:
    def __init__(
        self, db: Database, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    ) -> None:
        self._db = db
        self._clock = clock
        self._listeners: list[Callable[[Task], None]] = []

    def subscribe(self, listener: Callable[[Task], None]) -> None:
        """Call ``listener`` after a task is queued in this process (a worker here wakes up;
        workers in other processes find it on their next poll)."""
        self._listeners.append(listener)

    async def enqueue(
        self,
        kind: str,
        args: Mapping[str, Any] | None = None,
        *,
        dedup_key: str | None = None,
        requested_by: int | None = None,
        reply_chat_id: int | None = None,
        reply_message_id: int | None = None,
        priority: int = 0,
        account_id: int | None = None,
    ) -> tuple[Task, bool]:
        """Queue a task; returns it and whether it is new (False: the same work is under way).

        ``account_id`` reserves it for that account's archiver; without one, a task whose args
        name a ``chat_id`` goes to the account that watches that chat, any other to anyone.
        """
        if not kind:
            raise InvalidInputError("a task needs a kind")
        arguments = dict(args or {})
        values = {
            "kind": kind,
            "args": arguments,
            "dedup_key": dedup_key,
            "state": QUEUED,
            "priority": priority,
            "requested_by": requested_by,
            "reply_chat_id": reply_chat_id,
            "reply_message_id": reply_message_id,
            "created_at": self._clock(),
        }
        async with self._db.unit_of_work() as uow:
            if account_id is None:
                account_id = await _chat_account(uow, arguments)
            values["account_id"] = account_id
            row, created = await uow.tasks.add(values)
            await uow.commit()
        task = Task.from_row(row)
        if created:
            for listener in self._listeners:
                listener(task)
        return task, created

    async def attach_reply(self, task_id: int, chat_id: int, message_id: int) -> None:
        """Point the task at the bot message that shows its progress."""
        async with self._db.unit_of_work() as uow:
            await uow.tasks.change(
                task_id, {"reply_chat_id": chat_id, "reply_message_id": message_id}
            )
            await uow.commit()

    async def get(self, task_id: int) -> Task:
        async with self._db.reader() as uow:
            row = await uow.tasks.get(task_id)
        if row is None:
            raise NotFoundError(f"no task #{task_id}")
        return Task.from_row(row)

    async def enqueue_per_account(
        self, kind: str, args: Mapping[str, Any] | None = None, *, dedup_key: str
    ) -> list[tuple[Task, bool]]:
        """Queue ``kind`` once for every registered account (work each archiver does for its
        own chats, such as a catch-up), each deduplicated on its own; one task for any
        account while none is registered yet."""
        async with self._db.reader() as uow:
            accounts = await uow.watch.account_ids()
        if not accounts:
            return [await self.enqueue(kind, args, dedup_key=dedup_key)]
        return [
            await self.enqueue(
                kind, args, dedup_key=f"{dedup_key}:account:{account}", account_id=account
            )
            for account in accounts
        ]

    async def claim(
        self,
        kinds: tuple[str, ...],
        worker: str,
        limit: int = 1,
        *,
        account_id: int | None = None,
    ) -> list[Task]:
        """Take queued tasks for ``account_id`` or for any account (without an account: only
        the latter)."""
        async with self._db.unit_of_work() as uow:
            rows = await uow.tasks.claim(kinds, self._clock(), limit, worker, account_id=account_id)
            await uow.commit()
        return [Task.from_row(row) for row in rows]

    async def beat(self, task_id: int, worker: str) -> bool:
        """Record that ``worker`` still runs the task (so nobody requeues it as abandoned);
        False when the task is no longer the worker's."""
        async with self._db.unit_of_work() as uow:
            held = await uow.tasks.beat(task_id, worker, self._clock())
            await uow.commit()
        return held

    async def report_progress(self, task_id: int, progress: Mapping[str, Any]) -> None:
        """Store progress (and beat: the task is alive)."""
        async with self._db.unit_of_work() as uow:
            await uow.tasks.change(
                task_id, {"progress": dict(progress), "heartbeat_at": self._clock()}
            )
            await uow.commit()

    async def finish(
        self, task_id: int, worker: str, summary: str, result: Mapping[str, Any] | None = None
    ) -> bool:
        """Mark the task done; the admin who asked is told ``summary`` through the outbox."""
        values = {"state": DONE, "result": {"summary": summary, **(result or {})}}
        return await self._end(task_id, worker, values, summary)

    async def fail(self, task_id: int, worker: str, error: str) -> bool:
        error = error[:MAX_ERROR_CHARS]
        return await self._end(task_id, worker, {"state": FAILED, "error": error}, error)

    async def requeue_stale(self, stale_after: timedelta) -> int:
        """Running tasks whose worker died (no beat for ``stale_after``) are queued again."""
        async with self._db.unit_of_work() as uow:
            count = await uow.tasks.requeue_stale(self._clock() - stale_after)
            await uow.commit()
        return count

    async def live_with_reply(self) -> list[Task]:
        async with self._db.reader() as uow:
            return [Task.from_row(row) for row in await uow.tasks.live_with_reply()]

    async def recent(self, limit: int = 10) -> list[Task]:
        async with self._db.reader() as uow:
            return [Task.from_row(row) for row in await uow.tasks.recent(limit)]

    async def _end(self, task_id: int, worker: str, values: dict[str, Any], text: str) -> bool:
        """End the task and queue its result for the bot in the same transaction, so a crash
        cannot finish a task without telling the admin (or tell without finishing)."""
        now = self._clock()
        async with self._db.unit_of_work() as uow:
            ended = await uow.tasks.finish(task_id, worker, {**values, "finished_at": now})
            row = await uow.tasks.get(task_id) if ended else None
            if row is not None and row["reply_chat_id"] is not None:
                await uow.detections.enqueue_alerts([_result_alert(row, text, now)])
            await uow.commit()
        return ended


async def _chat_account(uow: UnitOfWork, args: Mapping[str, Any]) -> int | None:
    """The account that watches the chat a task is about; None for a task about no chat."""
    chat_id = args.get("chat_id")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int):
        return None
    return await uow.watch.account_of(chat_id)


def _result_alert(row: Mapping[str, Any], text: str, now: datetime) -> dict[str, Any]:
    """The outbox row that reports a finished task (edits the progress message when known)."""
    result = task_result_row(
        task_id=row["id"],
        kind=row["kind"],
        state=row["state"],
        text=text,
        chat_id=row["reply_chat_id"],
        edit_message_id=row["reply_message_id"],
    )
    return {**result, "created_at": now}
