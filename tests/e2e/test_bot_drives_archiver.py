"""The bot drives the archiver through the task queue: the real bot and dispatcher, the real
TaskWorker with archiver_task_handlers over the real Telethon client and the scripted
Telegram, the progress relay and the alert sender, on one vault (both dialects)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.alerts.sender import AlertSender
from bot.progress import TaskProgressRelay
from core.db.tables import messages
from services.alerts.limits import SendLimiter
from tests.e2e.harness import ADMIN, BotEnv
from tests.fakes.telegram import FakeChat, FakeTelegram
from tests.fakes.telegram.task_stack import TaskStack, build_task_stack


class SimTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def world() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def somechat(world: FakeTelegram) -> FakeChat:
    chat = world.add_supergroup("Some chat", username="somechat")
    world.fill(chat, 230, world.add_user("Ana", username="ana"))
    return chat


@pytest.fixture
async def archiver(env: BotEnv, world: FakeTelegram, tmp_path: Path) -> AsyncIterator[TaskStack]:
    stack = await build_task_stack(world, env.db, tmp_path / "media")
    yield stack
    await stack.close()


def sender(env: BotEnv) -> AlertSender:
    time = SimTime()
    limiter = SendLimiter(clock=time.monotonic, sleep=time.sleep)
    return AlertSender(env.bot, env.services.outbox, limiter=limiter)


async def stored(env: BotEnv, chat_id: int) -> int:
    async with env.db.reader() as uow:
        query = select(func.count()).select_from(messages).where(messages.c.chat_id == chat_id)
        return int((await uow.connection.execute(query)).scalar_one())


async def test_watch_from_the_bot_archives_the_chat_and_ends_with_the_summary(
    env: BotEnv, archiver: TaskStack, somechat: FakeChat
) -> None:
    queued = await env.reply("/watch @somechat")
    relay = TaskProgressRelay(env.bot, env.services.tasks)
    await relay.relay_once()
    assert "waiting for the archiver" in (env.current(queued).plain_text or "")

    assert await archiver.worker.run_once() == 2  # the watch, then the backfill it queued

    assert [c.chat_id for c in (await env.services.watch.list()).chats] == [somechat.marked_id]
    assert await stored(env, somechat.marked_id) == 230
    assert await relay.relay_once() == 0  # both finished: only the outbox speaks now
    assert (await sender(env).drain_once()).sent == 2
    final = env.current(queued)
    assert final.plain_text == (
        "✅ Task #2 (backfill) done\n"
        f"Backfill of Some chat ({somechat.marked_id}): 230 messages (230 new, 0 edited); "
        "the history is complete"
    )
    assert final.edits == 3  # waiting, the watch's result, the backfill's result
    assert len(env.api.messages(ADMIN)) == 1
    listed = (await env.reply("/chats")).plain_text or ""
    assert "1. Some chat · @somechat" in listed and "230 fetched, complete" in listed


async def test_backfill_and_retry_media_from_the_bot_report_back_in_their_messages(
    env: BotEnv, archiver: TaskStack, world: FakeTelegram, somechat: FakeChat
) -> None:
    await env.reply("/watch somechat")
    await archiver.worker.run_once()
    await sender(env).drain_once()
    for text in ("late one", "late two"):  # arrived while the archiver was away
        world.post(somechat, text)

    backfill = await env.reply("/backfill Some chat")
    retry = await env.reply("/retry_media")
    assert await archiver.worker.run_once() == 2
    assert (await sender(env).drain_once()).sent == 2

    assert env.current(backfill).plain_text == (
        "✅ Task #3 (backfill) done\n"
        f"Backfill of Some chat ({somechat.marked_id}): 2 messages (2 new, 0 edited); "
        "the history is complete"
    )
    retried = env.current(retry).plain_text
    assert retried == "✅ Task #4 (retry_media) done\nNo failed media to retry"
    assert await stored(env, somechat.marked_id) == 232


async def test_a_reference_telegram_does_not_know_fails_in_the_progress_message(
    env: BotEnv, archiver: TaskStack
) -> None:
    queued = await env.reply("/watch @nobody_here")
    await archiver.worker.run_once()
    await sender(env).drain_once()

    text = env.current(queued).plain_text or ""
    assert text.startswith("❌ Task #1 (watch) failed\n") and "nobody uses this username" in text
