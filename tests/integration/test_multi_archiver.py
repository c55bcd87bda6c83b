"""Several archivers share the queues of one PostgreSQL vault: real OS processes claim tasks and
media with FOR UPDATE SKIP LOCKED; no task or media row is taken twice, a killed archiver's
task is finished by another, and work meant for an account stays with that account."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from core.db import migrate
from core.db.database import Database
from services.tasks.queue import DONE, TaskQueue
from tests.conftest import PostgresDatabases
from tests.integration.account_support import add_accounts, queue_media, watch_chat
from tests.integration.archiver_worker_process import KIND

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]
WAIT = 120.0  # generous bounds on a hang; nothing here is a measurement
POLL = 0.05
LONG_STALE = "300"  # seconds: nobody is taken for dead
HOLD = "0.02"  # seconds a handler (or a media claim) holds its work: the workers overlap
Runs = list[tuple[int, str]]


@pytest.fixture
async def vault(postgres_databases: PostgresDatabases) -> AsyncIterator[Database]:
    db = Database.from_url(postgres_databases.new())
    await migrate.upgrade(db.engine)
    async with db.engine.begin() as conn:
        await conn.execute(
            text(
                "CREATE TABLE worker_runs (id bigserial PRIMARY KEY, kind text NOT NULL,"
                " item_id bigint NOT NULL, worker text NOT NULL)"
            )
        )
    try:
        yield db
    finally:
        await db.dispose()


class Archiver:
    """One worker process; it waits for ``go`` so that all of a test's processes start as one."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.process = process

    @classmethod
    async def start(
        cls, db: Database, tmp_path: Path, name: str, mode: str, *,
        account: int | None = None, stale: str = LONG_STALE,
    ) -> Archiver:  # fmt: skip
        url = db.engine.url.render_as_string(hide_password=False)
        argv = [url, mode, name, "-" if account is None else str(account), stale, HOLD]
        with (tmp_path / f"{name}.log").open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.integration.archiver_worker_process", *argv,
                cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=log,
            )  # fmt: skip
        archiver = cls(name, process)
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), WAIT)
        assert line.strip() == b"ready", f"{name} did not start: see {tmp_path / name}.log"
        return archiver

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")

    async def finished(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WAIT)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()


@contextlib.asynccontextmanager
async def archivers(*started: Archiver) -> AsyncIterator[tuple[Archiver, ...]]:
    """Start them together; whatever happens, no process outlives the test."""
    try:
        for archiver in started:
            archiver.go()
        yield started
    finally:
        for archiver in started:
            archiver.kill()
            await asyncio.wait_for(archiver.process.wait(), WAIT)


async def _runs(db: Database, kind: str) -> Runs:
    query = text("SELECT item_id, worker FROM worker_runs WHERE kind = :kind ORDER BY id")
    async with db.reader() as uow:
        return [(row[0], row[1]) for row in await uow.connection.execute(query, {"kind": kind})]


async def _queue_tasks(db: Database, count: int, account: int | None = None) -> list[int]:
    queue = TaskQueue(db)
    return [(await queue.enqueue(KIND, {"n": n}, account_id=account))[0].id for n in range(count)]


async def _states(db: Database) -> Counter[str]:
    async with db.reader() as uow:
        return Counter(await uow.tasks.counts())


def _by_worker(runs: Runs) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for item, worker in runs:
        found.setdefault(worker, set()).add(item)
    return found


async def test_two_archivers_run_every_task_exactly_once(vault: Database, tmp_path: Path) -> None:
    queued = await _queue_tasks(vault, 200)
    first = await Archiver.start(vault, tmp_path, "first", "tasks")
    second = await Archiver.start(vault, tmp_path, "second", "tasks")
    async with archivers(first, second):
        assert await first.finished() == 0
        assert await second.finished() == 0

    runs = await _runs(vault, "task")
    assert sorted(item for item, _ in runs) == queued  # each once: none twice, none missed
    done = _by_worker(runs)
    assert done["first"] and done["second"]  # both took a share
    assert await _states(vault) == {DONE: 200}


async def test_the_task_of_a_killed_archiver_is_finished_by_the_other(
    vault: Database, tmp_path: Path
) -> None:
    queued = await _queue_tasks(vault, 200)
    victim = await Archiver.start(vault, tmp_path, "victim", "tasks", stale="3")
    survivor = await Archiver.start(vault, tmp_path, "survivor", "tasks", stale="3")
    async with archivers(victim, survivor):
        await _until_ran(vault, "victim", 20)
        victim.kill()  # kill -9 in the middle of its work: its running task stays "running"
        await victim.finished()
        assert await survivor.finished() == 0

    runs = await _runs(vault, "task")
    assert sorted({item for item, _ in runs}) == queued  # nothing lost
    assert await _states(vault) == {DONE: 200}
    twice = [item for item, n in Counter(item for item, _ in runs).items() if n > 1]
    # Only the task the victim held when it died may have run twice (its handler had started).
    assert len(twice) <= 1 and set(twice) <= _by_worker(runs)["victim"]
    assert _by_worker(runs)["survivor"] - _by_worker(runs)["victim"]


async def _until_ran(db: Database, worker: str, count: int) -> None:
    for _ in range(int(WAIT / POLL)):
        if sum(1 for _, who in await _runs(db, "task") if who == worker) >= count:
            return
        await asyncio.sleep(POLL)
    pytest.fail(f"{worker} did not run {count} tasks within {WAIT} s")


async def test_tasks_for_an_account_run_only_on_its_archiver(
    vault: Database, tmp_path: Path
) -> None:
    main, work = await add_accounts(vault, "main", "work")
    for_main, for_work, for_any = [], [], []
    for _ in range(40):  # interleaved, as they would arrive
        for_main += await _queue_tasks(vault, 1, main)
        for_work += await _queue_tasks(vault, 1, work)
        for_any += await _queue_tasks(vault, 1)
    first = await Archiver.start(vault, tmp_path, "main", "tasks", account=main)
    second = await Archiver.start(vault, tmp_path, "work", "tasks", account=work)
    async with archivers(first, second):
        assert await first.finished() == 0
        assert await second.finished() == 0

    runs = await _runs(vault, "task")
    assert sorted(item for item, _ in runs) == sorted(for_main + for_work + for_any)
    done = _by_worker(runs)
    assert set(for_main) <= done["main"] and not set(for_main) & done["work"]
    assert set(for_work) <= done["work"] and not set(for_work) & done["main"]
    assert await _states(vault) == {DONE: 120}


async def test_two_archivers_never_claim_the_same_media_row(
    vault: Database, tmp_path: Path
) -> None:
    rows = await queue_media(vault, -1001, 300)  # one account (or none): every row is anybody's
    first = await Archiver.start(vault, tmp_path, "first", "media")
    second = await Archiver.start(vault, tmp_path, "second", "media")
    async with archivers(first, second):
        assert await first.finished() == 0
        assert await second.finished() == 0

    runs = await _runs(vault, "media")
    assert sorted(item for item, _ in runs) == rows  # each claimed once
    claimed = _by_worker(runs)
    assert claimed["first"] and claimed["second"]


async def test_media_are_claimed_only_by_an_archiver_whose_account_can_see_them(
    vault: Database, tmp_path: Path
) -> None:
    main, work = await add_accounts(vault, "main", "work")
    await watch_chat(vault, -1001, main)
    await watch_chat(vault, -1002, work)
    await watch_chat(vault, -1003, None)  # watched before accounts: anybody's
    rows = {chat: await queue_media(vault, chat, 90) for chat in (-1001, -1002, -1003, -1004)}
    first = await Archiver.start(vault, tmp_path, "main", "media", account=main)
    second = await Archiver.start(vault, tmp_path, "work", "media", account=work)
    async with archivers(first, second):
        assert await first.finished() == 0
        assert await second.finished() == 0

    runs = await _runs(vault, "media")
    assert sorted(item for item, _ in runs) == sorted(r for chat in rows.values() for r in chat)
    claimed = _by_worker(runs)
    assert set(rows[-1001]) <= claimed["main"]
    assert set(rows[-1002]) <= claimed["work"]
