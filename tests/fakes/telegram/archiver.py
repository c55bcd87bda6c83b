"""The archiver's real stack (Telethon client, gateway, retry wrapper, services) over the fake."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from telethon import TelegramClient

from core.api_retry_wrapper import APIRetryWrapper
from core.config_manager import ConfigManager
from core.config_settings import TelegramSettings
from core.db.database import Database, DatabaseFloodRecorder
from core.domain.archive import MEDIA_KINDS
from core.ports.flood import FloodWaitRecorder
from core.retry_policy import RetryPolicy
from services.archiver.backfill import BackfillService
from services.archiver.live import LiveIngestor
from services.archiver.telethon_adapter import TelethonGateway
from services.archiver.telethon_adapter.client import client_from_settings
from services.archiver.telethon_adapter.live_events import LiveEvents
from services.archiver.telethon_adapter.peers import AccessHashLookup
from services.archiver.vault_peers import VaultAccessHashes
from services.archiver.watchlist import WatchListService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests.fakes.telegram.client import API_ID, ClientFactory, fake_client
from tests.fakes.telegram.world import FakeTelegram

# API_HASH is the .env.example placeholder, which the configuration rightly refuses.
SETTINGS_API_HASH = "5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99"
DEFAULT_POLICY = RetryPolicy(max_attempts=3, delay_base=1.0, flood_wait_max=900.0)


@dataclass
class FakeSleep:
    """Records the waits APIRetryWrapper asks for instead of sleeping through them."""

    calls: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@dataclass
class ArchiverStack:
    """One process's worth of archiver: build a second one over the same world and vault to
    play a restart."""

    world: FakeTelegram
    db: Database
    client: TelegramClient
    retry: APIRetryWrapper
    gateway: TelethonGateway
    ingest: IngestService
    backfill: BackfillService
    sleep: FakeSleep

    async def close(self) -> None:
        await self.client.disconnect()


@dataclass
class GatewayStack:
    """The Telegram side alone: client, retry wrapper (in-memory flood ledger) and gateway."""

    world: FakeTelegram
    client: TelegramClient
    retry: APIRetryWrapper
    gateway: TelethonGateway
    sleep: FakeSleep

    async def close(self) -> None:
        await self.client.disconnect()


def build_gateway(
    world: FakeTelegram,
    *,
    policy: RetryPolicy | None = None,
    flood_recorder: FloodWaitRecorder | None = None,
    access_hashes: AccessHashLookup | None = None,
    factory: ClientFactory | None = None,
) -> GatewayStack:
    client = fake_client(world, factory) if factory else fake_client(world)
    sleep = FakeSleep()
    retry = APIRetryWrapper(
        policy=policy or DEFAULT_POLICY, flood_recorder=flood_recorder, sleep=sleep
    )
    gateway = TelethonGateway(client, retry, access_hashes=access_hashes)
    return GatewayStack(world, client, retry, gateway, sleep)


def build_archiver(
    world: FakeTelegram,
    db: Database,
    *,
    policy: RetryPolicy | None = None,
    remember_access_hashes: bool = True,
) -> ArchiverStack:
    hashes = VaultAccessHashes(db) if remember_access_hashes else None
    telegram = build_gateway(
        world, policy=policy, flood_recorder=DatabaseFloodRecorder(db), access_hashes=hashes
    )
    ingest = IngestService(db, MediaPolicy(frozenset(MEDIA_KINDS)))
    backfill = BackfillService(telegram.gateway, ingest, db)
    return ArchiverStack(
        world, db, telegram.client, telegram.retry, telegram.gateway, ingest, backfill,
        telegram.sleep,
    )  # fmt: skip


def telegram_settings(**environ: str) -> TelegramSettings:
    """The product's Telegram settings from an environment (API credentials of the fake)."""
    values = {"TELEGRAM_API_ID": str(API_ID), "TELEGRAM_API_HASH": SETTINGS_API_HASH, **environ}
    return ConfigManager(env_file=None, environ=values).settings.telegram


def settings_client_factory(
    settings: TelegramSettings | None = None, session_string: str | None = None
) -> ClientFactory:
    """``fake_client`` factory building the client exactly as the product does."""
    configured = settings or telegram_settings()
    return lambda: client_from_settings(configured, session_string)


@dataclass
class LiveStack:
    """A connected, logged-in client (the product's options) whose updates reach a LiveIngestor
    through LiveEvents; ``settle`` lets the client's update loop dispatch what was pushed."""

    archiver: ArchiverStack
    watch: WatchListService
    live: LiveIngestor
    events: LiveEvents
    runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.archiver.client.connect()
        self.runner = asyncio.create_task(self.live.run())
        self.events.attach()

    async def settle(self, handled: int, *, rounds: int = 200_000) -> None:
        """Yield until the handlers have dealt with ``handled`` events in total (no real sleep)."""
        for _ in range(rounds):
            if self.events.stats.handled >= handled:
                return
            await asyncio.sleep(0)
        raise AssertionError(f"{self.events.stats.handled} of {handled} events were handled")

    async def stop(self) -> None:
        """Write what the ingestor holds, then disconnect."""
        if self.runner is not None:
            await self._drained()
            await self.live.stop(self.runner)
            self.runner = None
        await self.archiver.close()

    async def _drained(self, rounds: int = 100_000) -> None:
        # LiveIngestor.stop cancels a wait_for(queue.get()); on Python 3.11 a cancellation that
        # meets a get completing at that moment is lost (CPython gh-86296) and stop() then
        # waits forever. Cancelling only once the queue is empty and the get idle avoids it.
        for _ in range(rounds):
            if self.live.pending == 0:
                break
            await asyncio.sleep(0)
        for _ in range(10):
            await asyncio.sleep(0)


def build_live(
    world: FakeTelegram, db: Database, *, batch_size: int = 500, flush_ms: int = 60_000
) -> LiveStack:
    """The live path over the fake. A long ``flush_ms`` means batches are cut by size or by
    ``stop`` only, so a test sees how many transactions a burst needs without real waiting."""
    settings = telegram_settings()
    client = fake_client(world, settings_client_factory(settings))
    sleep = FakeSleep()
    retry = APIRetryWrapper(
        policy=DEFAULT_POLICY, flood_recorder=DatabaseFloodRecorder(db), sleep=sleep
    )
    gateway = TelethonGateway(client, retry, access_hashes=VaultAccessHashes(db))
    ingest = IngestService(db, MediaPolicy(frozenset(MEDIA_KINDS)))
    archiver = ArchiverStack(
        world, db, client, retry, gateway, ingest, BackfillService(gateway, ingest, db), sleep
    )
    watch = WatchListService(db, gateway)
    live = LiveIngestor(ingest, watch, batch_size=batch_size, flush_ms=flush_ms)
    return LiveStack(archiver, watch, live, LiveEvents(client, live.submit))
