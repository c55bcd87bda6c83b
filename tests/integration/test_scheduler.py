"""VaultScheduler on both dialects: registration, real runs of every job through APScheduler and
by hand, schedules and pauses kept across a restart, and the controls the bot uses."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from sqlalchemy import select, text

from core.db.database import Database
from core.db.tables import scheduler_jobs, tasks
from core.domain.archive import ArchivePage
from core.domain.detection import RuleKind
from core.errors import NotFoundError, RetryLaterError
from services.detection.service import RuleDraft
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.jobs.bodies import job_bodies
from services.jobs.context import JobContext
from services.jobs.models import (
    CATCH_UP,
    DIGEST,
    ENRICH,
    JOB_IDS,
    MAINTENANCE,
    MANUAL,
    RESCAN,
    RETRY_MEDIA,
    SCHEDULED,
    JobOutcome,
)
from services.jobs.runs import load_last_runs
from services.jobs.scheduler import VaultScheduler
from tests import factories as f
from tests.integration.scheduler_support import TZ, WAIT, job_context, next_run_of, schedule

ENQUEUED = {CATCH_UP: ("catch_up", {}), RETRY_MEDIA: ("retry_media", {}),
            ENRICH: ("enrich", {"target": "stale"})}  # fmt: skip


@pytest.fixture
async def context(db: Database, tmp_path: Path) -> JobContext:
    return await job_context(db, tmp_path)


@pytest.fixture
async def scheduler(context: JobContext) -> AsyncIterator[VaultScheduler]:
    vault_scheduler = VaultScheduler(context, schedule())
    await vault_scheduler.start(paused=True)  # registered and stored; nothing is timed
    yield vault_scheduler
    await vault_scheduler.shutdown()


async def _stored_states(db: Database) -> dict[str, dict[str, Any]]:
    async with db.reader() as uow:
        rows = (await uow.connection.execute(select(scheduler_jobs))).all()
    return {row.id: pickle.loads(row.job_state) for row in rows}


async def _tasks(db: Database) -> list[dict[str, Any]]:
    async with db.reader() as uow:
        rows = await uow.connection.execute(select(tasks).order_by(tasks.c.id))
        return [dict(row._mapping) for row in rows]


async def _ingest_unscanned(db: Database, texts: list[str]) -> None:
    page = ArchivePage(messages=[f.message(i + 1, text=t) for i, t in enumerate(texts)],
                       chats=[f.chat()])  # fmt: skip
    await IngestService(db, MediaPolicy(frozenset())).ingest_page(page)  # no scanner: a gap


async def test_every_job_is_registered_with_its_options(
    scheduler: VaultScheduler, db: Database
) -> None:
    jobs = await scheduler.jobs()
    assert [job.id for job in jobs] == list(JOB_IDS)
    schedules = {job.id: job.schedule for job in jobs}
    assert schedules == {
        CATCH_UP: "every 15 min",
        RETRY_MEDIA: "every 10 min",
        ENRICH: "every 24 h",
        RESCAN: "every 15 min",
        MAINTENANCE: "every 24 h",
        DIGEST: "daily at 08:00 (Europe/Madrid)",
    }
    assert all(job.next_run is not None and not job.running for job in jobs)
    states = await _stored_states(db)
    assert set(states) == set(JOB_IDS)
    for job_id, state in states.items():
        assert state["func"] == "services.jobs.runtime:run_scheduled_job"
        assert state["args"] == (job_id,)
        assert (state["coalesce"], state["max_instances"]) == (True, 1)
        assert state["misfire_grace_time"] > 0
    assert states[CATCH_UP]["misfire_grace_time"] == 15 * 60
    assert states[DIGEST]["misfire_grace_time"] == 6 * 3600
    digest_next = states[DIGEST]["next_run_time"].astimezone(TZ)
    assert (digest_next.hour, digest_next.minute) == (8, 0)


async def test_a_due_job_runs_through_the_scheduler(
    scheduler: VaultScheduler, db: Database
) -> None:
    finished = next_run_of(scheduler)
    now = datetime.now(UTC)
    await scheduler.set_next_run(RESCAN, now)
    await scheduler.resume_processing()
    run = await asyncio.wait_for(finished, WAIT)
    assert (run.job_id, run.trigger, run.ok) == (RESCAN, SCHEDULED, True)
    assert (await load_last_runs(db))[RESCAN] == run
    rescan = next(job for job in await scheduler.jobs() if job.id == RESCAN)
    assert rescan.next_run is not None and rescan.next_run > now  # the interval goes on
    assert rescan.last_run == run


async def test_queued_jobs_enqueue_one_task_each_even_when_run_twice(
    scheduler: VaultScheduler, db: Database
) -> None:
    for job_id in ENQUEUED:
        first = await (await scheduler.run_now(job_id))
        second = await (await scheduler.run_now(job_id))
        assert first is not None and second is not None
        assert first.data["queued"] is True and second.data["queued"] is False
        assert "still queued" in second.summary
    rows = await _tasks(db)
    assert [(row["kind"], row["args"], row["dedup_key"]) for row in rows] == [
        (kind, args, f"job:{kind}") for kind, args in ENQUEUED.values()
    ]


async def test_rescan_scans_what_a_crash_left_unscanned(
    scheduler: VaultScheduler, context: JobContext, db: Database
) -> None:
    await _ingest_unscanned(db, ["wire transfer now", "nothing here", "another wire transfer"])
    detection: Any = context.detection
    await detection.add_rule(RuleDraft("wire", RuleKind.KEYWORDS, "wire transfer"))
    run = await (await scheduler.run_now(RESCAN))
    assert run is not None and run.ok and run.trigger == MANUAL
    assert run.data == {"new_detections": 2}
    again = await (await scheduler.run_now(RESCAN))
    assert again is not None and again.data == {"new_detections": 0}


async def test_a_failing_job_is_recorded_and_logged_and_others_still_run(
    context: JobContext, db: Database
) -> None:
    async def broken() -> JobOutcome:
        raise ValueError("disk on fire")

    bodies = {**job_bodies(context), MAINTENANCE: broken}
    vault_scheduler = VaultScheduler(context, schedule(), bodies=bodies)
    await vault_scheduler.start(paused=True)
    try:
        with structlog.testing.capture_logs() as logs:
            failed = await (await vault_scheduler.run_now(MAINTENANCE))
            fine = await (await vault_scheduler.run_now(CATCH_UP))
    finally:
        await vault_scheduler.shutdown()
    assert failed is not None and not failed.ok and failed.error == "ValueError: disk on fire"
    assert fine is not None and fine.ok
    recorded = await load_last_runs(db)
    assert recorded[MAINTENANCE].error == "ValueError: disk on fire"
    events = [(e["event"], e.get("job_id")) for e in logs]
    assert ("job_failed", MAINTENANCE) in events and ("job_finished", CATCH_UP) in events
    finished = next(e for e in logs if e["event"] == "job_finished")
    assert finished["seconds"] >= 0 and finished["result"]["queued"] is True


async def test_run_now_keeps_the_schedule_and_refuses_a_second_run(
    context: JobContext,
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow() -> JobOutcome:
        started.set()
        await release.wait()
        return JobOutcome("done")

    vault_scheduler = VaultScheduler(
        context, schedule(), bodies={**job_bodies(context), ENRICH: slow}
    )
    await vault_scheduler.start(paused=True)
    try:
        await vault_scheduler.pause(ENRICH)
        running = await vault_scheduler.run_now(ENRICH)
        await asyncio.wait_for(started.wait(), WAIT)
        with pytest.raises(RetryLaterError, match="running already"):
            await vault_scheduler.run_now(ENRICH)
        assert next(j for j in await vault_scheduler.jobs() if j.id == ENRICH).running
        release.set()
        run = await asyncio.wait_for(running, WAIT)
        assert run is not None and run.summary == "done"
        enrich = next(j for j in await vault_scheduler.jobs() if j.id == ENRICH)
        assert enrich.paused and not enrich.running and enrich.last_run == run
    finally:
        await vault_scheduler.shutdown()


async def test_unknown_jobs_and_a_stopped_scheduler_are_clear_errors(
    scheduler: VaultScheduler, context: JobContext
) -> None:
    for action in (scheduler.run_now, scheduler.pause, scheduler.resume):
        with pytest.raises(NotFoundError, match="no scheduled job 'nope'"):
            await action("nope")
    stopped = VaultScheduler(context, schedule())
    with pytest.raises(RetryLaterError, match="not running"):
        await stopped.jobs()


async def test_schedules_and_pauses_survive_a_restart(context: JobContext, db: Database) -> None:
    first = VaultScheduler(context, schedule())
    await first.start()
    await first.pause(ENRICH)
    await first.pause(DIGEST)
    before = {job.id: job for job in await first.jobs()}
    await first.shutdown()

    changed = schedule(catchup_minutes=30, enrichment_hours=48, digest_hour=9)
    second = VaultScheduler(context, changed)
    started_at = datetime.now(UTC)
    await second.start(paused=True)
    try:
        after = {job.id: job for job in await second.jobs()}
    finally:
        await second.shutdown()
    assert after[ENRICH].paused and after[ENRICH].schedule == "every 48 h"
    assert after[DIGEST].paused and after[DIGEST].schedule == "daily at 09:00 (Europe/Madrid)"
    catch_up = after[CATCH_UP]
    assert catch_up.schedule == "every 30 min" and catch_up.next_run is not None
    assert started_at < catch_up.next_run <= datetime.now(UTC) + timedelta(minutes=30)
    assert after[RETRY_MEDIA].next_run == before[RETRY_MEDIA].next_run  # unchanged: kept


async def test_store_writes_never_block_the_vaults_own_transactions(
    scheduler: VaultScheduler, db: Database
) -> None:
    # On SQLite the pause below needs the write lock this transaction holds. It must wait in
    # the scheduler's thread: on the event loop it would block the very commit it waits for.
    async with db.unit_of_work() as uow:
        await uow.connection.execute(text("DELETE FROM vault_meta WHERE key = 'nothing'"))
        pausing = asyncio.create_task(scheduler.pause(MAINTENANCE))
        await uow.connection.execute(text("DELETE FROM vault_meta WHERE key = 'nothing'"))
        await uow.commit()
    paused = await asyncio.wait_for(pausing, WAIT)
    assert paused.paused
