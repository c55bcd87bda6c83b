"""The archiver's task handlers (watch, backfill, retry_media) run by the real TaskWorker, with
the real Telethon client over the scripted Telegram, on both dialects."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from telethon.tl import functions

from core.db.database import Database
from core.db.tables import alerts, media, messages, watched_chats
from services.tasks.queue import DONE, FAILED, Task
from tests.fakes.telegram import FakeChat, FakeTelegram, FakeUser, rpc_error
from tests.fakes.telegram.task_stack import TaskStack, build_task_stack

GetHistory = functions.messages.GetHistoryRequest
GetFile = functions.upload.GetFileRequest
ADMIN = 111
PROGRESS_MESSAGE = 42
JPEG = b"\xff\xd8\xff\xe0" + b"photo-bytes" * 300


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def ana(world: FakeTelegram) -> FakeUser:
    return world.add_user("Ana", username="ana")


@pytest.fixture
def talk(world: FakeTelegram, ana: FakeUser) -> FakeChat:
    chat = world.add_supergroup("Talk", username="talk")
    world.fill(chat, 250, ana)
    return chat


@pytest.fixture
async def stack(world: FakeTelegram, db: Database, tmp_path: Path) -> AsyncIterator[TaskStack]:
    built = await build_task_stack(world, db, tmp_path / "media")
    yield built
    await built.close()


async def run(stack: TaskStack, kind: str, args: dict[str, Any]) -> Task:
    task, _ = await stack.queue.enqueue(
        kind, args, requested_by=ADMIN, reply_chat_id=ADMIN, reply_message_id=PROGRESS_MESSAGE
    )
    await stack.worker.run_once()
    return await stack.queue.get(task.id)


async def task_alerts(db: Database) -> list[dict[str, Any]]:
    async with db.reader() as uow:
        query = select(alerts.c.recipient_chat_id, alerts.c.payload).where(alerts.c.kind == "task")
        rows = await uow.connection.execute(query.order_by(alerts.c.id))
        return [{"chat": r.recipient_chat_id, **r.payload} for r in rows]


async def count(db: Database, table: Any, *where: Any) -> int:
    async with db.reader() as uow:
        query = select(func.count()).select_from(table).where(*where)
        return int((await uow.connection.execute(query)).scalar_one())


async def test_watch_stores_the_chat_and_queues_its_backfill_on_the_same_progress_message(
    stack: TaskStack, talk: FakeChat, db: Database
) -> None:
    watched = await run(stack, "watch", {"reference": "@talk", "added_by": ADMIN})

    assert watched.state == DONE and watched.result is not None
    backfill_id = watched.result["backfill_task"]
    assert watched.result["summary"] == (
        f"Watching Talk ({talk.marked_id}); backfill queued (task #{backfill_id})"
    )
    backfill = await stack.queue.get(backfill_id)
    assert (backfill.kind, backfill.state, backfill.reply_message_id) == (
        "backfill",
        DONE,
        PROGRESS_MESSAGE,
    )
    assert backfill.args == {"chat_id": talk.marked_id, "title": "Talk"}
    assert backfill.result is not None and backfill.result["summary"] == (
        f"Backfill of Talk ({talk.marked_id}): 250 messages (250 new, 0 edited); "
        "the history is complete"
    )
    assert await count(db, messages, messages.c.chat_id == talk.marked_id) == 250
    assert await count(db, watched_chats, watched_chats.c.added_by == ADMIN) == 1
    assert backfill.progress == {"done": 250, "percent": 100.0, "flood_wait": None}
    assert stack.media_wanted.is_set()
    outbox = await task_alerts(db)
    assert [(a["chat"], a["task_id"], a["edit_message_id"], a["state"]) for a in outbox] == [
        (ADMIN, watched.id, PROGRESS_MESSAGE, DONE),
        (ADMIN, backfill.id, PROGRESS_MESSAGE, DONE),
    ]
    assert outbox[1]["text"] == backfill.result["summary"]


async def test_backfill_progress_grows_page_by_page(
    stack: TaskStack, talk: FakeChat, world: FakeTelegram
) -> None:
    world.faults.flood_wait(GetHistory, nth=2, seconds=7)

    task = await run(stack, "backfill", {"chat_id": talk.marked_id})

    assert task.state == DONE
    reports = stack.queue.progress_of(task.id)
    assert reports[0]["done"] == 100 and 35 < reports[0]["percent"] < 45
    flood = [r for r in reports if r.get("flood_wait")]
    assert flood and flood[0]["flood_wait"] == 7.0 and flood[0]["done"] == 100
    assert reports[-1] == {"done": 250, "percent": 100.0, "flood_wait": None}
    assert stack.telegram.sleep.calls == [7.0]
    assert task.result is not None and task.result["summary"].startswith(
        f"Backfill of chat {talk.marked_id}: 250 messages"
    )


async def test_backfill_with_a_limit_counts_towards_it_and_says_older_ones_remain(
    stack: TaskStack, talk: FakeChat, db: Database
) -> None:
    task = await run(stack, "backfill", {"chat_id": talk.marked_id, "limit": 120, "title": "T"})

    assert task.progress == {"done": 120, "total": 120, "percent": 100.0, "flood_wait": None}
    assert task.result is not None
    assert task.result["summary"] == (
        f"Backfill of T ({talk.marked_id}): 120 messages (120 new, 0 edited); "
        "stopped at the requested limit or date; older messages remain"
    )
    assert (task.result["messages"], task.result["complete"]) == (120, False)
    assert await count(db, messages) == 120


async def test_backfill_since_a_date_stops_at_the_first_older_message(
    stack: TaskStack, talk: FakeChat, world: FakeTelegram, db: Database
) -> None:
    since = world.histories[talk.marked_id][201].date
    task = await run(stack, "backfill", {"chat_id": talk.marked_id, "since": since.isoformat()})

    assert task.state == DONE
    assert await count(db, messages) == 50
    assert task.result is not None and task.result["messages"] == 50


@pytest.mark.parametrize(
    ("kind", "args", "reason"),
    [
        ("watch", {}, "the task needs 'reference'"),
        ("watch", {"reference": "@nobody_here"}, "nobody uses this username"),
        ("watch", {"reference": "https://t.me/+DoesNotExist0"}, "not valid"),
        ("backfill", {"chat_id": "talk"}, "the task needs 'chat_id': a whole number"),
        ("backfill", {"chat_id": 1, "limit": 0}, "'limit' must be at least 1"),
        ("backfill", {"chat_id": 1, "since": "yesterday"}, "'since' must be an ISO date"),
        ("retry_media", {"chat_id": True}, "the task needs 'chat_id'"),
        ("retry_media", {"requeue": "yes"}, "'requeue' must be true or false"),
    ],
)
async def test_bad_arguments_fail_the_task_with_a_clear_reason_for_the_admin(
    stack: TaskStack, db: Database, kind: str, args: dict[str, Any], reason: str
) -> None:
    task = await run(stack, kind, args)

    assert task.state == FAILED
    assert task.error is not None and reason in task.error
    [alert] = await task_alerts(db)
    assert (alert["state"], alert["edit_message_id"]) == (FAILED, PROGRESS_MESSAGE)
    assert reason in alert["text"]


async def test_an_invite_link_joins_the_chat_before_watching_it(
    stack: TaskStack, world: FakeTelegram, ana: FakeUser, db: Database
) -> None:
    hidden = world.add_channel("Hidden", private=True, member=False)
    world.fill(hidden, 3, ana)
    invite = world.add_invite(hidden)

    watched = await run(stack, "watch", {"reference": invite.link})

    assert watched.state == DONE and hidden.member
    assert await count(db, watched_chats, watched_chats.c.chat_id == hidden.marked_id) == 1
    assert await count(db, messages, messages.c.chat_id == hidden.marked_id) == 3


async def test_retry_media_requeues_failed_downloads_and_reports_how_they_went(
    stack: TaskStack, world: FakeTelegram, talk: FakeChat, ana: FakeUser, db: Database
) -> None:
    for name in ("one", "two"):
        world.post(talk, name, ana, media=world.add_photo(JPEG + name.encode()))
    await run(stack, "backfill", {"chat_id": talk.marked_id})
    refused = lambda r: rpc_error(r, 400, "FILE_ID_INVALID")  # noqa: E731
    for nth in (1, 2, 3):  # both first downloads, then the first retry
        world.faults.fail(GetFile, nth=nth, error=refused)
    assert (await stack.media.process_failed_downloads()).by_state == {"failed": 2}

    task = await run(stack, "retry_media", {"chat_id": talk.marked_id})

    assert task.result is not None
    assert task.result["summary"] == "2 retried: 1 stored, 1 failed again"
    assert (task.result["requeued"], task.result["done"], task.result["failed"]) == (2, 1, 1)
    assert task.progress == {
        "done": 2, "total": 2, "note": "1 stored, 1 failed again", "flood_wait": None
    }  # fmt: skip
    assert await count(db, media, media.c.state == "done") == 1


async def test_retry_media_with_nothing_failed_says_so(stack: TaskStack) -> None:
    task = await run(stack, "retry_media", {"requeue": True})
    assert task.result is not None and task.result["summary"] == "No failed media to retry"


async def test_the_schedulers_sweep_downloads_what_is_due_and_leaves_failed_media_alone(
    stack: TaskStack, world: FakeTelegram, talk: FakeChat, ana: FakeUser, db: Database
) -> None:
    for name in ("one", "two", "three"):
        world.post(talk, name, ana, media=world.add_photo(JPEG + name.encode()))
    await run(stack, "backfill", {"chat_id": talk.marked_id})
    world.faults.fail(GetFile, nth=1, error=lambda r: rpc_error(r, 400, "FILE_ID_INVALID"))
    await stack.media.process_failed_downloads(limit=1)  # the first fails for good

    swept = await run(stack, "retry_media", {})
    again = await run(stack, "retry_media", {})

    assert swept.result is not None and again.result is not None
    assert swept.result["summary"] == "2 downloads: 2 stored, 0 failed"
    assert (swept.result["requeued"], swept.progress and swept.progress["total"]) == (None, None)
    assert again.result["summary"] == "Nothing was due in the media queue"
    assert await count(db, media, media.c.state == "failed") == 1
