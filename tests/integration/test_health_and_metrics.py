"""/health and /metrics on both dialects: real rows in the vault become metric values, and the
health checks pass and fail with the database, the archiver's heartbeat and the bot's polling."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core.db.database import Database
from core.db.tables import alerts, media, messages, tasks
from core.domain.archive import ArchivePage, Deletion, MediaRef
from core.domain.flood import FloodWaitEvent
from core.errors import InvalidInputError
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.jobs.models import CATCH_UP, DIGEST, RESCAN, JobOutcome, JobRun
from services.jobs.runs import save_last_run
from services.jobs.scheduler import VaultScheduler
from services.observability.health import check_health
from services.observability.job_runs import JobRunCounter
from services.observability.liveness import BotLiveness
from services.observability.metrics import VaultMetrics
from services.status.heartbeat import HEARTBEAT_STALE_AFTER, ArchiverHeartbeat
from tests import factories as f
from tests.integration.scheduler_support import WAIT, job_context, schedule
from tests.metrics_parsing import Exposition, parse

CHAT = f.chat(-1001000000001)
NOW = f.at(10_000)
STARTED = NOW - timedelta(seconds=250)
BOTH = ("bot", "archiver")


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _alive() -> bool:
    return True


async def _messages(db: Database) -> None:
    ingest = IngestService(db, MediaPolicy(frozenset({"photo"}), max_size_mb=10))
    page = ArchivePage(
        messages=[f.message(i, chat_id=CHAT.id) for i in range(1, 6)],
        chats=[CHAT],
        users=[f.user()],
        media=[MediaRef(CHAT.id, i, "photo", tg_file_id=900 + i) for i in range(1, 5)],
        observed_at=f.at(1),
    )
    await ingest.ingest_page(page)
    gone = Deletion((4, 5), f.at(70), chat_id=CHAT.id)
    await ingest.ingest_page(ArchivePage(deletions=[gone], observed_at=f.at(70)))


async def _media_states(db: Database) -> None:
    query = select(messages.c.message_id, media.c.id).join(
        messages, messages.c.id == media.c.message_pk
    )
    async with db.unit_of_work() as uow:
        ids = {row[0]: row[1] for row in await uow.connection.execute(query)}
        await uow.media.add_blob("a" * 64, 1000, "image/jpeg", "aa/a.jpg")
        await uow.media.mark_done(ids[1], "a" * 64, f.at(80))
        await uow.media.mark_failed(
            ids[2], error="FileReferenceExpiredError", category="permanent", attempts=1,
            at=f.at(90),
        )  # fmt: skip
        await uow.media.mark_retry(
            ids[3], error="TimeoutError", category="temporary", attempts=1, next_at=f.at(200),
            at=f.at(90),
        )  # fmt: skip
        await uow.commit()  # message 4's photo stays pending


async def _queues(db: Database) -> None:
    alert_states = ["sent", "sent", "sent", "pending", "retry", "failed"]
    task_states = ["queued", "queued", "running", "done", "failed"]
    async with db.unit_of_work() as uow:
        for i, state in enumerate(alert_states):
            await uow.connection.execute(
                alerts.insert().values(
                    dedup_key=f"task:{i}", kind="task", recipient_chat_id=555,
                    payload={"i": i}, state=state, created_at=f.at(i),
                )
            )  # fmt: skip
        for state in task_states:
            await uow.connection.execute(
                tasks.insert().values(kind="backfill", args={}, state=state, created_at=f.at(2))
            )
        await uow.commit()


async def _flood_waits(db: Database) -> None:
    events = [
        FloodWaitEvent("GetHistoryRequest", 300, NOW - timedelta(seconds=100), "FLOOD_WAIT", True),
        FloodWaitEvent("GetHistoryRequest", 60, NOW - timedelta(seconds=10), "FLOOD_WAIT", True),
        FloodWaitEvent("GetFileRequest", 30, NOW - timedelta(seconds=5), "FLOOD_WAIT", True),
        FloodWaitEvent("ResolveUsername", 10, NOW - timedelta(seconds=60), "FLOOD_WAIT", True),
    ]
    async with db.unit_of_work() as uow:
        for event in events:
            await uow.flood_waits.add(event)
        await uow.commit()


async def _heartbeat(
    db: Database, at: datetime, *, synced: bool = True, label: str = "main"
) -> None:
    heartbeat = ArchiverHeartbeat(db, label=label, account=f"@{label}_user", clock=Clock(at))
    await heartbeat.connected()
    if synced:
        await heartbeat.synced()


async def _last_runs(db: Database) -> None:
    await save_last_run(db, JobRun(CATCH_UP, "schedule", f.at(9_990), 1.25, True, "queued"))
    failed = JobRun(DIGEST, "manual", f.at(9_995), 0.5, False, "failed", error="boom")
    await save_last_run(db, failed)


@pytest.fixture
async def filled(db: Database) -> Database:
    await _messages(db)
    await _media_states(db)
    await _queues(db)
    await _flood_waits(db)
    await _heartbeat(db, NOW - timedelta(seconds=20))
    await _last_runs(db)
    return db


@contextlib.asynccontextmanager
async def _short_lived(url: str) -> AsyncIterator[Database]:
    """A database for one failing call. aiosqlite stops a connection that failed to open on its
    worker thread without waiting for it; that thread must end while the loop still runs (on a
    closed loop it raises), so the new worker threads are joined before the test ends."""
    before = set(threading.enumerate())
    database = Database.from_url(url)
    try:
        yield database
    finally:
        await database.dispose()
        for thread in set(threading.enumerate()) - before:
            if thread.name.endswith("(_connection_worker_thread)"):
                await asyncio.to_thread(thread.join, WAIT)


async def _scrape(db: Database, counter: JobRunCounter | None = None) -> Exposition:
    metrics = VaultMetrics(db, started_at=STARTED, job_runs=counter, clock=lambda: NOW)
    return parse(await metrics.exposition())


# --- metrics ----------------------------------------------------------------------------------


async def test_message_and_flood_wait_metrics(filled: Database) -> None:
    scraped = await _scrape(filled)
    assert scraped.value("telegramvault_messages_archived") == 5
    assert scraped.value("telegramvault_messages_deleted") == 2
    assert scraped.value("telegramvault_flood_waits_active") == 2  # one per operation in force
    assert scraped.value("telegramvault_flood_waits_total") == 4
    assert scraped.types["telegramvault_flood_waits_total"] == "counter"
    assert scraped.types["telegramvault_messages_archived"] == "gauge"


async def test_queues_by_state_list_every_known_state(filled: Database) -> None:
    scraped = await _scrape(filled)
    assert scraped.series("telegramvault_alerts") == {
        (("state", "pending"),): 1, (("state", "retry"),): 1, (("state", "sending"),): 0,
        (("state", "sent"),): 3, (("state", "failed"),): 1, (("state", "digested"),): 0,
    }  # fmt: skip
    assert scraped.series("telegramvault_media") == {
        (("state", "pending"),): 1, (("state", "downloading"),): 0, (("state", "retry"),): 1,
        (("state", "done"),): 1, (("state", "failed"),): 1, (("state", "skipped"),): 0,
    }  # fmt: skip
    assert scraped.series("telegramvault_tasks") == {
        (("state", "queued"),): 2, (("state", "running"),): 1, (("state", "done"),): 1,
        (("state", "failed"),): 1, (("state", "cancelled"),): 0,
    }  # fmt: skip


async def test_archiver_jobs_and_uptime(filled: Database) -> None:
    scraped = await _scrape(filled)
    assert scraped.series("telegramvault_archiver_connected") == {(("account", "main"),): 1}
    synced_at = (NOW - timedelta(seconds=20)).timestamp()
    assert scraped.series("telegramvault_archiver_last_sync_timestamp_seconds") == {
        (("account", "main"),): synced_at
    }
    assert scraped.series("telegramvault_job_last_run_seconds") == {
        (("job", CATCH_UP),): 1.25, (("job", DIGEST),): 0.5,
    }  # fmt: skip
    assert scraped.value("telegramvault_job_last_run_timestamp_seconds", job=DIGEST) == (
        f.at(9_995).timestamp()
    )
    assert scraped.value("telegramvault_job_last_run_success", job=CATCH_UP) == 1
    assert scraped.value("telegramvault_job_last_run_success", job=DIGEST) == 0
    assert scraped.value("telegramvault_uptime_seconds") == 250
    assert scraped.series("telegramvault_job_runs_total") == {}  # no scheduler here


async def test_an_empty_vault_reads_as_zeros_and_a_stale_archiver(db: Database) -> None:
    scraped = await _scrape(db)
    assert scraped.value("telegramvault_messages_archived") == 0
    assert scraped.value("telegramvault_archiver_connected") == 0
    assert scraped.series("telegramvault_archiver_last_sync_timestamp_seconds") == {}
    assert "telegramvault_archiver_last_sync_timestamp_seconds" in scraped.types  # declared
    assert set(scraped.series("telegramvault_alerts").values()) == {0}


async def test_a_silent_archiver_reads_as_disconnected(db: Database) -> None:
    await _heartbeat(db, NOW - HEARTBEAT_STALE_AFTER - timedelta(seconds=1))
    assert (await _scrape(db)).value("telegramvault_archiver_connected", account="main") == 0


async def _broken() -> JobOutcome:
    raise RuntimeError("the job broke")


async def _fine() -> JobOutcome:
    return JobOutcome("fine")


async def test_job_runs_are_counted_from_the_schedulers_run_events(
    db: Database, tmp_path: Path
) -> None:
    scheduler = VaultScheduler(
        await job_context(db, tmp_path), schedule(), bodies={CATCH_UP: _fine, RESCAN: _broken}
    )
    counter = JobRunCounter()
    scheduler.subscribe(counter.record)
    await scheduler.start(paused=True)
    try:
        for job_id in (CATCH_UP, CATCH_UP, RESCAN):
            task = await scheduler.run_now(job_id)
            await asyncio.wait_for(task, WAIT)
    finally:
        await scheduler.shutdown()
    scraped = await _scrape(db, counter)
    assert scraped.value("telegramvault_job_runs_total", job=CATCH_UP, result="ok") == 2
    assert scraped.value("telegramvault_job_runs_total", job=RESCAN, result="error") == 1
    assert scraped.value("telegramvault_job_runs_total", job=DIGEST, result="ok") == 0
    assert scraped.value("telegramvault_job_last_run_success", job=RESCAN) == 0


async def test_metrics_raise_when_the_database_is_gone(tmp_path: Path) -> None:
    async with _short_lived(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'vault.db'}") as gone:
        with pytest.raises(Exception, match="unable to open database file"):
            await _scrape(gone)


# --- health -----------------------------------------------------------------------------------


async def test_everything_up_is_healthy(filled: Database) -> None:
    report = await check_health(filled, roles=BOTH, bot_alive=_alive, now=NOW)
    assert report.ok
    assert set(report.checks) == {"database", "archiver", "last_sync", "bot_polling"}
    assert all(check.ok for check in report.checks.values())
    assert report.checks["database"].detail == f"{filled.dialect} answers"
    assert "connected as @main_user" in report.checks["archiver"].detail
    assert "20 s ago" in report.checks["last_sync"].detail


async def test_a_stale_archiver_fails_where_the_archiver_runs(db: Database) -> None:
    await _heartbeat(db, NOW - HEARTBEAT_STALE_AFTER - timedelta(seconds=1))
    report = await check_health(db, roles=BOTH, bot_alive=_alive, now=NOW)
    assert not report.ok
    archiver = report.checks["archiver"]
    assert (archiver.ok, archiver.required) == (False, True)
    assert "stale" in archiver.detail


async def test_a_bot_process_reports_the_archiver_but_does_not_fail_on_it(db: Database) -> None:
    await _heartbeat(db, NOW - HEARTBEAT_STALE_AFTER - timedelta(seconds=1))
    report = await check_health(db, roles=("bot",), bot_alive=_alive, now=NOW)
    assert report.ok
    archiver = report.checks["archiver"]
    assert (archiver.ok, archiver.required) == (False, False)


async def test_an_archiver_process_has_no_bot_check(filled: Database) -> None:
    report = await check_health(filled, roles=("archiver",), bot_alive=None, now=NOW)
    assert report.ok
    assert "bot_polling" not in report.checks


async def test_stale_polling_fails_the_bot_process(filled: Database) -> None:
    clock = Clock(NOW - timedelta(seconds=91))
    liveness = BotLiveness(clock=clock, max_silence=timedelta(seconds=90))
    liveness.beat()
    clock.now = NOW
    report = await check_health(filled, roles=("bot",), bot_alive=liveness.alive_now, now=NOW)
    assert not report.ok
    assert not report.checks["bot_polling"].ok
    liveness.beat()
    fresh = await check_health(filled, roles=("bot",), bot_alive=liveness.alive_now, now=NOW)
    assert fresh.ok


async def test_the_bot_role_needs_its_liveness(db: Database) -> None:
    with pytest.raises(InvalidInputError, match="liveness"):
        await check_health(db, roles=BOTH, bot_alive=None, now=NOW)


def _unreachable_url(dialect: str, tmp_path: Path) -> str:
    if dialect == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'vault.db'}"
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql+asyncpg://vault:hunter22@127.0.0.1:{port}/vault"


async def test_an_unreachable_database_fails_every_check_that_reads_it(
    db: Database, tmp_path: Path
) -> None:
    async with _short_lived(_unreachable_url(db.dialect, tmp_path)) as unreachable:
        report = await check_health(unreachable, roles=BOTH, bot_alive=_alive, now=NOW)
    assert not report.ok
    database = report.checks["database"]
    assert not database.ok
    assert database.detail.startswith("unreachable: ")
    assert "hunter22" not in database.detail
    assert report.checks["archiver"].detail == "unknown: the database cannot be read"
    assert report.checks["bot_polling"].ok


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """Accepts connections and never answers: a database that hangs."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for writer in held:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_hanging_database_fails_within_the_deadline(silent_server: int) -> None:
    url = f"postgresql+asyncpg://vault@127.0.0.1:{silent_server}/vault"
    async with _short_lived(url) as hanging:
        report = await check_health(
            hanging, roles=("archiver",), bot_alive=None, now=NOW, db_seconds=0.2
        )
    assert not report.ok
    assert report.checks["database"].detail == "no answer to SELECT 1 within 0.2 s"
