"""/jobs and its buttons: run a job now, pause or resume it, refresh the list in place.

The scheduler is reached through a JobControl in the dispatcher's data under ``jobs``: direct
when it runs in this process, queued for the leading process otherwise.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message

from bot.context import BotServices
from bot.presenters.jobs import REFRESH, JobAction, control_note, jobs_reply
from bot.replies import answer, edit
from bot.text import clip
from core.errors import NotFoundError
from services.jobs.models import PAUSE, RESUME, RUN_NOW, ControlOutcome

if TYPE_CHECKING:  # the control is built by the composition root
    from services.jobs.control import JobControl

JOB_GONE = "That job no longer exists."
EXPIRED = "This button has expired."
UPDATED = "Updated"
MAX_ANSWER_CHARS = 200  # Telegram's limit on a callback answer


def jobs_router() -> Router:
    router = Router(name=__name__)
    router.message.register(cmd_jobs, Command("jobs"))
    router.callback_query.register(on_job_action, JobAction.filter())
    return router


async def cmd_jobs(message: Message, jobs: JobControl, services: BotServices) -> None:
    await answer(message, jobs_reply(await jobs.jobs(), services.tz))


async def on_job_action(
    query: CallbackQuery, callback_data: JobAction, jobs: JobControl, services: BotServices
) -> None:
    note = UPDATED
    if callback_data.action != REFRESH:
        try:
            outcome = await _apply(jobs, callback_data)
        except NotFoundError:
            await query.answer(JOB_GONE)
            return
        if outcome is None:
            await query.answer(EXPIRED)
            return
        note = control_note(outcome)
    if isinstance(query.message, Message):
        await edit(query.message, jobs_reply(await jobs.jobs(), services.tz, note=note))
    await query.answer(clip(note, MAX_ANSWER_CHARS))


async def _apply(jobs: JobControl, data: JobAction) -> ControlOutcome | None:
    """The action the button asks for; None for one this version does not know."""
    if data.action == RUN_NOW:
        return await jobs.run_now(data.job_id)
    if data.action == PAUSE:
        return await jobs.pause(data.job_id)
    if data.action == RESUME:
        return await jobs.resume(data.job_id)
    return None
