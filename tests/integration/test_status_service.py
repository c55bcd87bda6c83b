"""StatusService and ArchiverHeartbeat on both dialects: every /status section from real rows."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError

from core.db.database import Database
from core.db.tables import alerts, media, messages, tasks, vault_meta
from core.db.uow import UnitOfWork
from core.domain.archive import ArchivePage, CursorUpdate, Deletion, MediaRef
from core.domain.flood import FloodWaitEvent
from core.errors import InvalidInputError
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.status import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_KEY,
    HEARTBEAT_STALE_AFTER,
    ArchiverHeartbeat,
    StatusService,
    read_live_state,
)
from services.status.sizes import sqlite_path
from tests import factories as f

CHAT_A = f.chat(-1001000000001)  # backfill half-way
CHAT_B = f.chat(-1001000000002, username="bee")  # backfill done
CHAT_D = f.chat(-1001000000004)  # watched, no backfill started
CHAT_U = f.chat(-1001000000005)  # archived, no longer watched
CHAT_X = f.chat(-1001000000009)  # excluded by configuration
NOW = f.at(10_000)
POLICY = MediaPolicy(frozenset({"photo"}), max_size_mb=10)


class Clock:
    """A settable clock: tests move time instead of sleeping."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def _forget_heartbeat(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.connection.execute(
            delete(vault_meta).where(vault_meta.c.key.startswith(HEARTBEAT_KEY, autoescape=True))
        )
        await uow.commit()


@pytest.fixture
async def vault(db: Database) -> AsyncIterator[Database]:
    """The db fixture keeps vault_meta between PostgreSQL tests: no heartbeat before or after."""
    await _forget_heartbeat(db)
    yield db
    await _forget_heartbeat(db)


def _service(db: Database, tmp_path: Path, *, started_at: datetime | None = None) -> StatusService:
    return StatusService(
        db,
        media_dir=tmp_path,
        started_at=started_at,
        excluded_chats=frozenset({CHAT_X.id}),
        clock=lambda: NOW,
    )


def _page(chat_id: int, *ids: int, media_ids: tuple[int, ...] = ()) -> ArchivePage:
    chat = next(c for c in (CHAT_A, CHAT_B, CHAT_D, CHAT_U, CHAT_X) if c.id == chat_id)
    return ArchivePage(
        messages=[f.message(i, chat_id=chat_id) for i in ids],
        chats=[chat],
        users=[f.user(1001), f.user(1002)],
        media=[
            MediaRef(chat_id, i, "photo", tg_file_id=900 + i, declared_size=10) for i in media_ids
        ],
        observed_at=f.at(1),
    )


async def _messages(db: Database) -> None:
    ingest = IngestService(db, POLICY)
    await ingest.ingest_page(_page(CHAT_A.id, 1, 2, 3, 4, 5, 6, media_ids=(1, 2, 3, 4, 5)))
    await ingest.ingest_page(_page(CHAT_B.id, 1, 2))
    await ingest.ingest_page(_page(CHAT_U.id, 1))
    await ingest.ingest_page(_page(CHAT_X.id, 1))
    edited = ArchivePage(messages=[f.message(2, chat_id=CHAT_A.id, text="new", edit_date=f.at(60))])
    await ingest.ingest_page(edited)
    gone = Deletion((3, 4), f.at(70), chat_id=CHAT_A.id)
    await ingest.ingest_page(ArchivePage(deletions=[gone], observed_at=f.at(70)))


async def _media_ids(db: Database) -> dict[int, int]:
    query = (
        select(messages.c.message_id, media.c.id)
        .join(messages, messages.c.id == media.c.message_pk)
        .where(messages.c.chat_id == CHAT_A.id)
    )
    async with db.reader() as uow:
        return {row[0]: row[1] for row in await uow.connection.execute(query)}


async def _media_states(db: Database) -> None:
    ids = await _media_ids(db)
    async with db.unit_of_work() as uow:
        await uow.media.add_blob("a" * 64, 1000, "image/jpeg", "aa/a.jpg")
        await uow.media.add_blob("b" * 64, 500, "image/jpeg", "bb/b.jpg")
        await uow.media.mark_done(ids[1], "a" * 64, f.at(80))
        await uow.media.mark_done(ids[2], "b" * 64, f.at(80))
        await uow.media.mark_failed(
            ids[3],
            error="FileReferenceExpiredError: FILE_REFERENCE_EXPIRED",
            category="permanent",
            attempts=1,
            at=f.at(100),
        )
        await uow.media.mark_retry(
            ids[4], error="TimeoutError: read timed out", category="temporary",
            attempts=1, next_at=f.at(200), at=f.at(110),
        )  # fmt: skip
        await uow.commit()  # message 5's photo stays pending


async def _rules_and_alerts(db: Database) -> None:
    async with db.unit_of_work() as uow:
        for name, enabled in (("one", True), ("two", True), ("off", False)):
            values = {"name": name, "kind": "keywords", "pattern": name, "enabled": enabled}
            await uow.rules.add(values, f.at(1))
        rule = await uow.rules.get(name="one")
        assert rule is not None
        pks = list((await uow.connection.execute(select(messages.c.id))).scalars())
        hits = await uow.detections.add_hits(
            [{"rule_id": rule.id, "message_pk": pk, "matched_text": "one"} for pk in pks[:2]]
        )
        rows = [
            ("sent", None, f.at(5)),
            ("pending", None, f.at(6)),
            ("retry", "TelegramRetryAfter: retry later", f.at(7)),
            ("failed", "TelegramForbiddenError: bot was blocked", f.at(130)),
        ]
        for i, (state, error, at) in enumerate(rows):
            await uow.connection.execute(
                alerts.insert().values(
                    dedup_key=f"k{i}", kind="detection", detection_id=hits[0]["id"],
                    recipient_chat_id=555, payload={"i": i}, state=state, last_error=error,
                    created_at=at,
                )
            )  # fmt: skip
        await uow.commit()


async def _tasks(db: Database) -> None:
    rows = [
        ("queued", None, None),
        ("queued", None, None),
        ("running", None, None),
        ("done", None, f.at(50)),
        ("failed", "RuntimeError: the session is gone", f.at(90)),
        ("failed", "ValueError: bad chat\nTraceback line that is not shown", f.at(120)),
        ("failed", "KeyError: " + "x" * 300, f.at(140)),
    ]
    async with db.unit_of_work() as uow:
        for state, error, finished in rows:
            await uow.connection.execute(
                tasks.insert().values(
                    kind="backfill", args={}, state=state, error=error,
                    finished_at=finished, created_at=f.at(2),
                )
            )  # fmt: skip
        await uow.commit()


async def _watch_list(db: Database) -> None:
    async with db.unit_of_work() as uow:
        await uow.chats.upsert([CHAT_D], f.at(1))
        for chat in (CHAT_A, CHAT_B, CHAT_D, CHAT_U, CHAT_X):
            await uow.watch.watch(chat.id, f.at(1), added_by=1)
        await uow.watch.unwatch(CHAT_U.id)
        for chat in (CHAT_A, CHAT_B, CHAT_X):
            await uow.backfill.start(chat.id, f.at(1))
        await uow.backfill.save(CursorUpdate(CHAT_A.id, 151, 50, False, top_message_id=200), NOW)
        await uow.backfill.save(CursorUpdate(CHAT_B.id, None, 2, True, top_message_id=2), NOW)
        await uow.commit()


async def _flood_waits(db: Database) -> None:
    events = [
        FloodWaitEvent("GetHistoryRequest", 300, NOW - timedelta(seconds=100), "FLOOD_WAIT", True),
        FloodWaitEvent("GetHistoryRequest", 60, NOW - timedelta(seconds=10), "FLOOD_WAIT", True),
        FloodWaitEvent("GetFileRequest", 30, NOW - timedelta(seconds=5), "FLOOD_WAIT", True, "b"),
        FloodWaitEvent("ResolveUsername", 10, NOW - timedelta(seconds=60), "FLOOD_WAIT", True),
    ]
    async with db.unit_of_work() as uow:
        for event in events:
            await uow.flood_waits.add(event)
        await uow.commit()


@pytest.fixture
async def filled(vault: Database) -> Database:
    await _messages(vault)
    await _media_states(vault)
    await _rules_and_alerts(vault)
    await _tasks(vault)
    await _watch_list(vault)
    await _flood_waits(vault)
    return vault


async def test_totals_count_the_archive(filled: Database, tmp_path: Path) -> None:
    totals = (await _service(filled, tmp_path).snapshot()).totals
    assert (totals.messages, totals.chats, totals.users) == (10, 5, 2)
    assert (totals.edited, totals.deleted) == (1, 2)
    assert (totals.media_files, totals.media_stored) == (5, 2)
    assert (totals.detections, totals.rules_enabled) == (2, 2)


async def test_queues_count_waiting_and_failed_work(filled: Database, tmp_path: Path) -> None:
    queues = (await _service(filled, tmp_path).snapshot()).queues
    assert (queues.media_pending, queues.media_failed) == (2, 1)  # pending + retry
    assert (queues.alerts_pending, queues.alerts_failed) == (2, 1)  # pending + retry
    assert (queues.tasks_queued, queues.tasks_running, queues.tasks_failed) == (2, 1, 3)


async def test_chats_list_unfinished_backfills_first(filled: Database, tmp_path: Path) -> None:
    status = await _service(filled, tmp_path).snapshot()
    assert [c.chat_id for c in status.chats] == [CHAT_D.id, CHAT_A.id, CHAT_B.id]
    assert status.chats_total == 3  # neither the unwatched nor the excluded chat
    d, a, b = status.chats
    assert (d.started, d.done, d.fetched, d.percent) == (False, False, 0, None)
    assert (a.started, a.done, a.fetched, a.top_message_id) == (True, False, 50, 200)
    assert a.percent == pytest.approx(25.0)
    assert (b.done, b.percent, b.username, b.title) == (True, 100.0, "bee", CHAT_B.title)


async def test_the_chat_limit_caps_the_list_not_the_total(filled: Database, tmp_path: Path) -> None:
    status = await _service(filled, tmp_path).snapshot(chat_limit=1)
    assert [c.chat_id for c in status.chats] == [CHAT_D.id]
    assert status.chats_total == 3
    assert (await _service(filled, tmp_path).snapshot(chat_limit=0)).chats == ()


@pytest.mark.parametrize("limit", [-1, 101])
async def test_a_chat_limit_out_of_range_is_refused(
    vault: Database, tmp_path: Path, limit: int
) -> None:
    with pytest.raises(InvalidInputError, match="chat_limit"):
        await _service(vault, tmp_path).snapshot(chat_limit=limit)


async def test_flood_waits_in_force_once_per_operation(filled: Database, tmp_path: Path) -> None:
    waits = (await _service(filled, tmp_path).snapshot()).flood_waits
    summary = [(w.operation, w.seconds, w.account) for w in waits]
    assert summary == [("GetHistoryRequest", 300, None), ("GetFileRequest", 30, "b")]
    assert waits[0].until == NOW + timedelta(seconds=200)


async def test_recent_errors_are_the_newest_five(filled: Database, tmp_path: Path) -> None:
    errors = (await _service(filled, tmp_path).snapshot()).recent_errors
    assert [(e.source, e.at) for e in errors] == [
        ("task", f.at(140)),
        ("alert", f.at(130)),
        ("task", f.at(120)),
        ("media", f.at(110)),
        ("media", f.at(100)),
    ]
    task_id = await _task_id(filled, f.at(120))
    assert errors[2].summary == f"task backfill #{task_id}: ValueError: bad chat"
    assert errors[4].summary == (
        f"photo in chat {CHAT_A.id} msg 3: FileReferenceExpiredError: FILE_REFERENCE_EXPIRED"
    )
    assert errors[1].summary.endswith("to chat 555: TelegramForbiddenError: bot was blocked")
    assert errors[0].summary.endswith("…")
    assert len(errors[0].summary) < 160


async def _task_id(db: Database, finished: datetime) -> int:
    async with db.reader() as uow:
        query = select(tasks.c.id).where(tasks.c.finished_at == finished)
        return int((await uow.connection.execute(query)).scalar_one())


async def test_error_summaries_hide_credentials(vault: Database, tmp_path: Path) -> None:
    async with vault.unit_of_work() as uow:
        await uow.connection.execute(
            tasks.insert().values(
                kind="login", args={}, state="failed", finished_at=f.at(5),
                error="PhoneCodeInvalid for +7 999 123-45-67 via postgresql://vault:hunter22@db/v",
            )
        )  # fmt: skip
        await uow.commit()
    (error,) = (await _service(vault, tmp_path).snapshot()).recent_errors
    assert "123-45-67" not in error.summary
    assert "hunter22" not in error.summary


async def test_sizes(filled: Database, tmp_path: Path) -> None:
    status = await _service(filled, tmp_path).snapshot()
    assert status.media_bytes == 1500
    assert status.database_bytes is not None
    if filled.dialect == "sqlite":
        path = sqlite_path(filled.engine.url)
        assert path is not None
        wal = path.with_name(path.name + "-wal")
        on_disk = path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        assert status.database_bytes == on_disk
    else:
        assert status.database_bytes > 1_000_000  # the catalogs alone weigh a few megabytes
    assert status.disk_free_bytes is not None
    assert status.disk_free_bytes > 0


async def test_an_empty_vault(vault: Database, tmp_path: Path) -> None:
    status = await _service(vault, tmp_path / "no-media-yet").snapshot()
    assert status.totals.messages == status.totals.media_files == 0
    assert status.queues.media_pending == status.queues.tasks_queued == 0
    assert (status.chats, status.chats_total, status.flood_waits) == ((), 0, ())
    assert (status.recent_errors, status.media_bytes, status.disk_free_bytes) == ((), 0, None)
    assert status.archivers == ()
    assert (status.uptime_seconds, status.generated_at) == (None, NOW)


async def test_uptime_from_the_start_time(vault: Database, tmp_path: Path) -> None:
    service = _service(vault, tmp_path, started_at=NOW - timedelta(minutes=90))
    assert (await service.snapshot()).uptime_seconds == 5400.0


async def test_a_naive_start_time_is_refused(vault: Database, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="time zone"):
        StatusService(vault, media_dir=tmp_path, started_at=datetime(2025, 1, 1))


async def test_a_connected_archiver_shows_live(vault: Database, tmp_path: Path) -> None:
    clock = Clock(NOW - timedelta(seconds=20))
    heartbeat = ArchiverHeartbeat(vault, label="main", account="@vault", clock=clock)
    await heartbeat.connected()
    clock.now = NOW - timedelta(seconds=10)
    heartbeat.event_seen()
    await heartbeat.synced()
    (live,) = (await _service(vault, tmp_path).snapshot()).archivers
    assert (live.connected, live.stale, live.account, live.label) == (True, False, "@vault", "main")
    assert live.since == NOW - timedelta(seconds=20)
    assert live.last_event_at == live.last_sync_at == live.updated_at == NOW - timedelta(seconds=10)


async def test_a_silent_archiver_goes_stale(vault: Database) -> None:
    clock = Clock(NOW)
    await ArchiverHeartbeat(vault, label="main", clock=clock).connected()
    async with vault.reader() as uow:
        fresh = await read_live_state(uow, NOW + HEARTBEAT_STALE_AFTER)
        late = await read_live_state(uow.connection, NOW + HEARTBEAT_STALE_AFTER + timedelta(1))
    assert (fresh.connected, fresh.stale) == (True, False)
    assert (late.connected, late.stale, late.updated_at) == (False, True, NOW)


async def test_a_disconnect_is_reported(vault: Database) -> None:
    clock = Clock(NOW - timedelta(minutes=5))
    heartbeat = ArchiverHeartbeat(vault, label="main", clock=clock)
    await heartbeat.connected()
    clock.now = NOW
    await heartbeat.disconnected()
    async with vault.reader() as uow:
        live = await read_live_state(uow, NOW)
    assert (live.connected, live.stale, live.since) == (False, False, NOW)


def _stopping_after(beats: int, stop: asyncio.Event, clock: Clock) -> Callable[[], datetime]:
    calls = 0

    def tick() -> datetime:
        nonlocal calls
        calls += 1
        if calls >= beats:
            stop.set()
        clock.now += timedelta(seconds=HEARTBEAT_INTERVAL)
        return clock.now

    return tick


async def test_run_beats_until_stopped(vault: Database) -> None:
    stop, clock = asyncio.Event(), Clock(NOW)
    heartbeat = ArchiverHeartbeat(vault, label="main", clock=_stopping_after(3, stop, clock))
    await asyncio.wait_for(heartbeat.run(stop, interval=0.001), timeout=10)
    async with vault.reader() as uow:
        live = await read_live_state(uow, clock.now)
    assert live.updated_at == NOW + timedelta(seconds=3 * HEARTBEAT_INTERVAL)


async def test_run_wakes_as_soon_as_stop_is_set(vault: Database) -> None:
    stop, clock = asyncio.Event(), Clock(NOW)
    first_beat = asyncio.Event()

    def tick() -> datetime:
        first_beat.set()
        return clock.now

    runner = asyncio.create_task(
        ArchiverHeartbeat(vault, label="main", clock=tick).run(stop, interval=3600)
    )
    await asyncio.wait_for(first_beat.wait(), timeout=10)
    stop.set()
    await asyncio.wait_for(runner, timeout=10)  # an hour-long wait was cut short
    async with vault.reader() as uow:
        assert (await read_live_state(uow, NOW)).updated_at == NOW


class LockedOnce(Database):
    """A database whose first write fails the way a busy SQLite file does."""

    def __init__(self, db: Database) -> None:
        super().__init__(db.engine)
        self.failed = False

    def unit_of_work(self) -> UnitOfWork:
        if not self.failed:
            self.failed = True
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked"))
        return super().unit_of_work()


async def test_run_survives_a_failed_beat(vault: Database) -> None:
    stop, clock, flaky = asyncio.Event(), Clock(NOW), LockedOnce(vault)
    heartbeat = ArchiverHeartbeat(flaky, label="main", clock=_stopping_after(2, stop, clock))
    await asyncio.wait_for(heartbeat.run(stop, interval=0.001), timeout=10)
    async with vault.reader() as uow:
        live = await read_live_state(uow, clock.now)
    assert flaky.failed
    assert live.updated_at == NOW + timedelta(seconds=2 * HEARTBEAT_INTERVAL)


async def test_run_refuses_a_non_positive_interval(vault: Database) -> None:
    with pytest.raises(InvalidInputError, match="interval"):
        await ArchiverHeartbeat(vault, label="main").run(asyncio.Event(), interval=0)
