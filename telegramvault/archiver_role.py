"""The archiver role: the Telegram user session that fills the vault, wired from the core.

Start-up: connect the saved session of the account TELEGRAM_ACCOUNT names (a dead one stops with
one clear message), register the account (several archivers, one account each, can share a
PostgreSQL vault: each keeps to its account's chats, tasks and media), watch every
dialog when ARCHIVE_ALL_DIALOGS is on, attach live events *before* catching up so no message
falls between the two, then fill each watched chat's gap. Media are downloaded by a worker that
wakes when new media are queued and at least every MEDIA_POLL_SECONDS for due retries.
Shutdown: disconnect first (no new events), then write what the live path still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog

from core.config_settings import Settings, TelegramSettings
from core.db.database import DatabaseFloodRecorder
from core.domain.archive import MEDIA_KINDS, ArchivePage
from core.domain.messages import UserInfo
from services.archiver.backfill import BackfillService
from services.archiver.catch_up import catch_up_all
from services.archiver.catch_up_task import catch_up_task_handler
from services.archiver.flood_progress import FloodWaitProgress
from services.archiver.live import LiveIngestor
from services.archiver.session_store import EncryptedSessionStore, account_session_file
from services.archiver.task_handlers import archiver_task_handlers
from services.archiver.telethon_adapter import (
    LiveEvents,
    TelethonGateway,
    client_from_settings,
    connect_account,
    wait_disconnected,
)
from services.archiver.telethon_adapter.profiles import TelethonProfiles
from services.archiver.vault_peers import VaultAccessHashes
from services.archiver.watchlist import WatchListService, register_account
from services.detection.service import DetectionService
from services.enrichment.service import EnhancedUserEnricherService
from services.enrichment.task import enrich_task_handler
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService, PageResult
from services.media.ingestion import MediaIngestionService
from services.media.retry import MediaRetryService
from services.media.store import ContentStore
from services.status.heartbeat import ArchiverHeartbeat
from services.tasks.queue import TaskQueue
from services.tasks.worker import TaskWorker
from telegramvault.bootstrap import Core, alert_recipients

log = structlog.get_logger(__name__)
MEDIA_POLL_SECONDS = 30.0
TASK_SHUTDOWN_SECONDS = 30.0
ClientFactory = Callable[[TelegramSettings, str | None], Any]


@dataclass
class Archiver:
    """The running archiver's parts (tests and /status look at them)."""

    client: Any
    watch: WatchListService
    backfill: BackfillService
    live: LiveIngestor
    media: MediaRetryService
    heartbeat: ArchiverHeartbeat
    enricher: EnhancedUserEnricherService
    media_wanted: asyncio.Event = field(default_factory=asyncio.Event)
    background_stop: asyncio.Event = field(default_factory=asyncio.Event)
    account_id: int | None = None
    worker_id: str = "archiver"


def build_archiver(core: Core, client: Any, *, account_id: int | None = None) -> Archiver:
    """The archiver's services over ``client``, for the account ``account_id`` (None: one
    archiver does everything, as before accounts)."""
    settings = core.settings
    worker_id = archiver_worker_id(settings.telegram.account)
    gateway = TelethonGateway(client, core.retry, access_hashes=VaultAccessHashes(core.db))
    detection = DetectionService(
        core.config, core.logger, db=core.db, recipients=alert_recipients(core)
    )
    kinds = frozenset(k for k in settings.media.download_types if k in MEDIA_KINDS)
    policy = MediaPolicy(kinds, settings.media.max_file_size_mb)
    ingest = IngestService(core.db, policy, scanner=detection)
    watch = WatchListService(
        core.db,
        gateway,
        all_dialogs=settings.archive.all_dialogs,
        excluded=frozenset(settings.archive.exclude_chats),
        account_id=account_id,
    )
    media_wanted = asyncio.Event()

    async def on_written(result: PageResult) -> None:
        if result.media_queued:
            media_wanted.set()

    live = LiveIngestor(
        ingest,
        watch,
        batch_size=settings.archive.live_batch_size,
        flush_ms=settings.archive.live_flush_ms,
        on_written=on_written,
    )
    ingestion = MediaIngestionService(
        core.config,
        core.logger,
        db=core.db,
        gateway=gateway,
        flood_recorder=FloodWaitProgress(DatabaseFloodRecorder(core.db)),
    )
    media = MediaRetryService(
        core.config, core.logger, db=core.db, ingestion=ingestion,
        worker_id=worker_id, account_id=account_id,
    )  # fmt: skip
    backfill = BackfillService(gateway, ingest, core.db, account_id=account_id)
    heartbeat = ArchiverHeartbeat(core.db, label=settings.telegram.account)
    enricher = _enricher(core, client)
    return Archiver(
        client, watch, backfill, live, media, heartbeat, enricher, media_wanted,
        account_id=account_id, worker_id=worker_id,
    )  # fmt: skip


def archiver_worker_id(account: str) -> str:
    """Who claimed a task or a download (64 characters at most): account, host and process."""
    return f"archiver:{account}:{socket.gethostname()[:14]}:{os.getpid()}"


def _enricher(core: Core, client: Any) -> EnhancedUserEnricherService:
    enrichment = core.settings.enrichment
    profiles = TelethonProfiles(
        client,
        core.retry,
        timeout=enrichment.timeout,
        max_retries=enrichment.max_retries,
        access_hashes=VaultAccessHashes(core.db),
    )
    return EnhancedUserEnricherService(
        core.config,
        core.logger,
        db=core.db,
        profiles=profiles,
        retry=core.retry,
        store=ContentStore(core.settings.media.dir),
        recipients=alert_recipients(core),
    )


async def _media_worker(archiver: Archiver, poll_seconds: float) -> None:
    while True:
        report = await archiver.media.process_failed_downloads()
        if report.processed:
            continue  # more may be due right away
        archiver.media_wanted.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await archiver.media_wanted.wait()


async def _connect(core: Core, client: Any) -> tuple[UserInfo, int]:
    """Log the session in and register its account; returns the user and the account id."""
    me = await connect_account(client, core.retry)
    label = core.settings.telegram.account
    account_id = await register_account(core.db, label, me.id)
    log.info("archiver_connected", account=label, account_id=account_id, telegram_user_id=me.id)
    return me, account_id


async def _start(core: Core, archiver: Archiver, me: UserInfo) -> list[asyncio.Task[Any]]:
    archiver.heartbeat.account = f"@{me.username}" if me.username else f"id {me.id}"
    await archiver.heartbeat.connected()
    if core.settings.archive.all_dialogs:
        await archiver.watch.watch_all_dialogs()
    tasks = [asyncio.create_task(archiver.live.run(), name="live")]

    async def submit(page: ArchivePage) -> None:
        archiver.heartbeat.event_seen()
        await archiver.live.submit(page)

    LiveEvents(archiver.client, submit).attach()
    await catch_up_all(archiver.backfill, archiver.watch)
    await archiver.heartbeat.synced()
    archiver.media_wanted.set()
    tasks.append(
        asyncio.create_task(archiver.heartbeat.run(archiver.background_stop), name="heartbeat")
    )
    return tasks


async def run_archiver(
    core: Core,
    *,
    stop: asyncio.Event,
    client_factory: ClientFactory = client_from_settings,
    media_poll_seconds: float = MEDIA_POLL_SECONDS,
    on_ready: Callable[[Archiver], None] | None = None,
    tasks: TaskQueue | None = None,
) -> None:
    """Run until ``stop`` is set or the session ends; raises ConfigurationError for a dead one.

    ``tasks`` is the queue the bot fills (shared when both run in this process).
    """
    settings = core.settings
    client = client_factory(settings.telegram, _saved_session(core))
    me, account_id = await _connect(core, client)
    archiver = build_archiver(core, client, account_id=account_id)
    running = await _start(core, archiver, me)
    running.append(asyncio.create_task(_media_worker(archiver, media_poll_seconds), name="media"))
    worker = _task_worker(archiver, tasks or TaskQueue(core.db), settings)
    work = asyncio.create_task(worker.run(archiver.background_stop), name="tasks")
    if on_ready is not None:
        on_ready(archiver)
    session_task = asyncio.create_task(wait_disconnected(archiver.client))
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({session_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await _finish_tasks(archiver, work)
        await _shutdown(archiver, running, session_task, stopped)


def _saved_session(core: Core) -> str | None:
    """TELEGRAM_SESSION_STRING, else the session ``telegramvault login`` saved for the account."""
    settings = core.settings
    session = settings.telegram.session_string
    if not session and settings.core.secret_key:
        session = EncryptedSessionStore(
            account_session_file(core.config), settings.core.secret_key
        ).load()
    return session


def _task_worker(archiver: Archiver, queue: TaskQueue, settings: Settings) -> TaskWorker:
    handlers = archiver_task_handlers(
        watch=archiver.watch,
        backfill=archiver.backfill,
        media=archiver.media,
        tasks=queue,
        media_wanted=archiver.media_wanted,
    )
    stale_after = timedelta(hours=settings.scheduler.enrichment_hours)
    handlers["enrich"] = enrich_task_handler(archiver.enricher, stale_after=stale_after)
    handlers["catch_up"] = catch_up_task_handler(archiver.backfill, archiver.watch)
    worker = TaskWorker(
        queue, handlers, worker_id=archiver.worker_id, account_id=archiver.account_id
    )
    queue.subscribe(lambda _task: worker.wake())
    return worker


async def _finish_tasks(archiver: Archiver, work: asyncio.Task[None]) -> None:
    """Let the running task end while the session is still connected, within a deadline;
    one cut short is queued again by the next start (its worker stopped beating)."""
    archiver.background_stop.set()
    try:
        await asyncio.wait_for(work, TASK_SHUTDOWN_SECONDS)
    except TimeoutError:
        log.warning("task_cut_short_at_shutdown", deadline=TASK_SHUTDOWN_SECONDS)


async def _shutdown(
    archiver: Archiver,
    tasks: list[asyncio.Task[Any]],
    session_task: asyncio.Task[None],
    stopped: asyncio.Task[Any],
) -> None:
    await archiver.client.disconnect()  # first: no event may arrive after the live path stops
    live_task, *others = tasks
    for task in others:
        if task.get_name() != "heartbeat":
            task.cancel()
    for task in others:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await archiver.live.stop(live_task)
    await archiver.heartbeat.disconnected()
    stopped.cancel()
    if session_task.done():
        session_task.result()  # a dead session surfaces as its ConfigurationError
    else:
        session_task.cancel()
