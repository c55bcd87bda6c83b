"""The archiver role: the Telegram user session that fills the vault, wired from the core.

Start-up: connect the saved session (a dead one stops with one clear message), watch every
dialog when ARCHIVE_ALL_DIALOGS is on, attach live events *before* catching up so no message
falls between the two, then fill each watched chat's gap. Media are downloaded by a worker that
wakes when new media are queued and at least every MEDIA_POLL_SECONDS for due retries.
Shutdown: disconnect first (no new events), then write what the live path still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import structlog

from core.config_settings import TelegramSettings
from core.db.database import DatabaseFloodRecorder
from core.domain.archive import MEDIA_KINDS, ArchivePage
from services.archiver.backfill import BackfillService
from services.archiver.catch_up import catch_up_all
from services.archiver.live import LiveIngestor
from services.archiver.session_store import EncryptedSessionStore
from services.archiver.telethon_adapter import (
    LiveEvents,
    TelethonGateway,
    client_from_settings,
    connect_account,
    wait_disconnected,
)
from services.archiver.vault_peers import VaultAccessHashes
from services.archiver.watchlist import WatchListService
from services.detection.service import DetectionService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService, PageResult
from services.media.ingestion import MediaIngestionService
from services.media.retry import MediaRetryService
from services.status.heartbeat import ArchiverHeartbeat
from telegramvault.bootstrap import Core

log = structlog.get_logger(__name__)
MEDIA_POLL_SECONDS = 30.0
ClientFactory = Callable[[TelegramSettings, str | None], Any]


def alert_recipients(core: Core) -> list[int]:
    bot = core.settings.bot
    return [*bot.admin_ids, *([bot.alert_chat_id] if bot.alert_chat_id else [])]


@dataclass
class Archiver:
    """The running archiver's parts (tests and /status look at them)."""

    client: Any
    watch: WatchListService
    backfill: BackfillService
    live: LiveIngestor
    media: MediaRetryService
    heartbeat: ArchiverHeartbeat
    media_wanted: asyncio.Event = field(default_factory=asyncio.Event)
    background_stop: asyncio.Event = field(default_factory=asyncio.Event)


def build_archiver(core: Core, client: Any) -> Archiver:
    settings = core.settings
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
        flood_recorder=DatabaseFloodRecorder(core.db),
    )
    media = MediaRetryService(core.config, core.logger, db=core.db, ingestion=ingestion)
    backfill = BackfillService(gateway, ingest, core.db)
    heartbeat = ArchiverHeartbeat(core.db)
    return Archiver(client, watch, backfill, live, media, heartbeat, media_wanted)


async def _media_worker(archiver: Archiver, poll_seconds: float) -> None:
    while True:
        report = await archiver.media.process_failed_downloads()
        if report.processed:
            continue  # more may be due right away
        archiver.media_wanted.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(poll_seconds):
                await archiver.media_wanted.wait()


async def _start(core: Core, archiver: Archiver) -> list[asyncio.Task[Any]]:
    me = await connect_account(archiver.client, core.retry)
    log.info("archiver_connected", account_id=me.id)
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
) -> None:
    """Run until ``stop`` is set or the session ends; raises ConfigurationError for a dead one."""
    settings = core.settings
    session = settings.telegram.session_string
    if not session and settings.core.secret_key:
        session = EncryptedSessionStore(
            settings.telegram.session_file, settings.core.secret_key
        ).load()
    archiver = build_archiver(core, client_factory(settings.telegram, session))
    tasks = await _start(core, archiver)
    tasks.append(asyncio.create_task(_media_worker(archiver, media_poll_seconds), name="media"))
    if on_ready is not None:
        on_ready(archiver)
    session_task = asyncio.create_task(wait_disconnected(archiver.client))
    stopped = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({session_task, stopped}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        await _shutdown(archiver, tasks, session_task, stopped)


async def _shutdown(
    archiver: Archiver,
    tasks: list[asyncio.Task[Any]],
    session_task: asyncio.Task[None],
    stopped: asyncio.Task[Any],
) -> None:
    await archiver.client.disconnect()  # first: no event may arrive after the live path stops
    archiver.background_stop.set()
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
