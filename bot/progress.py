"""TaskProgressRelay: edits each waiting admin's progress message as the worker reports.

The worker (maybe in another process) stores progress in the task row; this loop polls the
live tasks that have a progress message and edits it when the rendered text changed. The final
result is not sent from here: it goes through the durable outbox with the task's completion.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from bot.keyboards import NO_PREVIEW
from bot.presenters.tasks import progress_reply
from bot.replies import NOT_MODIFIED
from services.tasks.queue import TaskQueue

log = structlog.get_logger(__name__)
POLL_SECONDS = 2.0


class TaskProgressRelay:
    def __init__(self, bot: Bot, tasks: TaskQueue, *, poll_seconds: float = POLL_SECONDS) -> None:
        self._bot = bot
        self._tasks = tasks
        self._poll_seconds = poll_seconds
        self._shown: dict[int, str] = {}

    async def relay_once(self) -> int:
        """Edit every progress message whose text changed; returns the edits made."""
        live = await self._tasks.live_with_reply()
        self._shown = {task.id: self._shown[task.id] for task in live if task.id in self._shown}
        edits = 0
        for task in live:
            text = progress_reply(task).text
            if self._shown.get(task.id) == text or task.reply_chat_id is None:
                continue
            if (await self._tasks.get(task.id)).finished:
                continue  # its result goes out through the outbox; never overwrite it
            if await self._edit(task.reply_chat_id, task.reply_message_id, text):
                edits += 1
            self._shown[task.id] = text
        return edits

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self.relay_once()
            except TelegramRetryAfter as error:
                await _wait(stop, error.retry_after)
            except TelegramAPIError as error:  # an outage: keep the loop, try next round
                log.warning("task_progress_failed", error=str(error))
            await _wait(stop, self._poll_seconds)

    async def _edit(self, chat_id: int, message_id: int | None, text: str) -> bool:
        if message_id is None:
            return False
        try:
            await self._bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                link_preview_options=NO_PREVIEW,
            )
        except TelegramRetryAfter:
            raise
        except TelegramAPIError as error:
            if NOT_MODIFIED not in str(error):
                log.info("task_progress_not_shown", chat_id=chat_id, error=str(error))
            return False
        return True


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
