"""Exactly one scheduler leads across processes (a PostgreSQL advisory lock), and another takes
over when the leader dies: two real OS processes against one vault database."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import migrate
from core.db.database import Database
from services.jobs.control import QueuedJobControl
from services.jobs.leader import LEADING, STANDBY
from services.jobs.models import ENRICH
from services.tasks.queue import TaskQueue
from tests.conftest import PostgresDatabases

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
WAIT = 60.0  # generous bounds on a hang; nothing here is a measurement
POLL = 0.2


@pytest.fixture
async def vault(postgres_databases: PostgresDatabases) -> AsyncIterator[Database]:
    db = Database.from_url(postgres_databases.new())
    await migrate.upgrade(db.engine)
    try:
        yield db
    finally:
        await db.dispose()


class Candidate:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def start(cls, db: Database, tmp_path: Path, name: str) -> Candidate:
        url = db.engine.url.render_as_string(hide_password=False)
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.integration.leader_candidate", url,
                str(tmp_path / "media"), cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=log,
            )  # fmt: skip
        return cls(process)

    async def next_state(self) -> str:
        assert self.process.stdout is not None
        line = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        assert line, f"the candidate exited ({self.process.returncode}) without a word"
        return line.decode().strip()

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()


async def _lock_holders(db: Database) -> int:
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = "
        "(SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    async with db.reader() as uow:
        return int((await uow.connection.execute(query)).scalar_one())


async def _until_paused(control: QueuedJobControl, job_id: str) -> None:
    """Another process applies it: look again every POLL seconds, up to WAIT."""
    for _ in range(int(WAIT / POLL)):
        if any(job.id == job_id and job.paused for job in await control.jobs()):
            return
        await asyncio.sleep(POLL)
    pytest.fail(f"{job_id} was not paused by the leader within {WAIT} s")


async def test_one_leader_at_a_time_and_a_takeover_when_it_dies(
    vault: Database, tmp_path: Path
) -> None:
    first = await Candidate.start(vault, tmp_path, "first")
    second: Candidate | None = None
    try:
        assert await first.next_state() == LEADING
        second = await Candidate.start(vault, tmp_path, "second")
        assert await second.next_state() == STANDBY  # tried, and the lock was taken
        assert await _lock_holders(vault) == 1

        control = QueuedJobControl(vault, TaskQueue(vault))
        await control.pause(ENRICH)  # as a bot in a third process would
        await _until_paused(control, ENRICH)  # applied by the leader's worker

        first.kill()  # kill -9: no goodbye, PostgreSQL drops its session and the lock
        await asyncio.wait_for(first.process.wait(), WAIT)
        assert await second.next_state() == LEADING
        assert await _lock_holders(vault) == 1
        assert next(job for job in await control.jobs() if job.id == ENRICH).paused

        second.process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(second.process.wait(), WAIT) == 0
    finally:
        for candidate in (first, second):
            if candidate is not None:
                candidate.kill()
                await asyncio.wait_for(candidate.process.wait(), WAIT)
