"""/jobs with the real aiogram bot: the list, and Run now / Pause / Resume edited in place,
against a real scheduler on the same vault (direct), or one in another process (queued)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.db.database import Database
from services.jobs.control import JOB_CONTROL, DirectJobControl, QueuedJobControl
from services.jobs.models import CATCH_UP, ENRICH
from services.jobs.scheduler import VaultScheduler
from services.tasks.queue import QUEUED
from tests.e2e.harness import ADMIN, STRANGER, BotEnv
from tests.integration.scheduler_support import WAIT, job_context, next_run_of, schedule


@pytest.fixture
async def scheduler(db: Database, tmp_path: Path) -> AsyncIterator[VaultScheduler]:
    vault_scheduler = VaultScheduler(await job_context(db, tmp_path), schedule())
    await vault_scheduler.start(paused=True)  # jobs registered; nothing fires by itself
    yield vault_scheduler
    await vault_scheduler.shutdown()


def use_jobs(env: BotEnv, control: object) -> None:
    env.dispatcher["jobs"] = control


async def test_jobs_lists_every_job_and_its_buttons_work_in_place(
    env: BotEnv, scheduler: VaultScheduler
) -> None:
    use_jobs(env, DirectJobControl(scheduler))
    listing = await env.reply("/jobs")
    text = listing.plain_text or ""
    assert "Catch-up of watched chats · every 15 min" in text
    assert "Daily digest · daily at 08:00 (Europe/Madrid)" in text
    assert text.count("last run: never") == 6

    finished = next_run_of(scheduler)
    after_run = await env.press(listing, "Run catch-up")
    assert env.answers()[-1] == "Started: Catch-up of watched chats"
    run = await asyncio.wait_for(finished, WAIT)
    assert run.job_id == CATCH_UP and run.ok
    [task] = await env.services.tasks.recent(1)
    assert (task.kind, task.state) == ("catch_up", QUEUED)
    assert after_run.message_id == listing.message_id and after_run.edits == 1

    paused = await env.press(listing, "Pause enrich")
    assert env.answers()[-1] == "Paused: Profile enrichment sweep"
    assert "Profile enrichment sweep · every 24 h\n⏸ paused" in (paused.plain_text or "")
    resumed = await env.press(paused, "Resume enrich")
    assert env.answers()[-1] == "Resumed: Profile enrichment sweep"
    assert "⏸ paused" not in (resumed.plain_text or "")
    refreshed = await env.press(resumed, "Run catch-up")  # shows the last run now
    assert "last run by hand ✅" in (refreshed.plain_text or "")
    assert refreshed.message_id == listing.message_id


async def test_a_bot_in_another_process_queues_the_action_for_the_leader(
    env: BotEnv, scheduler: VaultScheduler
) -> None:
    use_jobs(env, QueuedJobControl(env.db, env.services.tasks))
    listing = await env.reply("/jobs")
    assert "Profile enrichment sweep" in (listing.plain_text or "")
    await env.press(listing, "Pause enrich")
    assert env.answers()[-1] == "Asked the scheduler to pause: Profile enrichment sweep"
    [task] = await env.services.tasks.recent(1)
    assert (task.kind, task.args) == (JOB_CONTROL, {"action": "pause", "job_id": ENRICH})


async def test_stale_buttons_and_strangers(env: BotEnv, scheduler: VaultScheduler) -> None:
    use_jobs(env, DirectJobControl(scheduler))
    listing = await env.reply("/jobs")
    gone = env.api.callback_update(user_id=ADMIN, data="jb1:pause:retired_job", message=listing)
    await env.feed(gone)
    assert env.answers()[-1] == "That job no longer exists."
    future = env.api.callback_update(user_id=ADMIN, data="jb1:explode:enrich", message=listing)
    await env.feed(future)
    assert env.answers()[-1] == "This button has expired."

    answers_before = len(env.answers())
    assert await env.send("/jobs", user_id=STRANGER) == []
    pressed = env.api.callback_update(user_id=STRANGER, data="jb1:pause:enrich", message=listing)
    await env.feed(pressed)
    assert len(env.answers()) == answers_before and env.api.messages(STRANGER) == []
    assert not next(job for job in await scheduler.jobs() if job.id == ENRICH).paused
