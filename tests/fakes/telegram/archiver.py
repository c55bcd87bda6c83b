"""The archiver's real stack (Telethon client, gateway, retry wrapper, services) over the fake."""

from __future__ import annotations

from dataclasses import dataclass, field

from telethon import TelegramClient

from core.api_retry_wrapper import APIRetryWrapper
from core.db.database import Database, DatabaseFloodRecorder
from core.domain.archive import MEDIA_KINDS
from core.ports.flood import FloodWaitRecorder
from core.retry_policy import RetryPolicy
from services.archiver.backfill import BackfillService
from services.archiver.telethon_adapter import TelethonGateway
from services.archiver.telethon_adapter.peers import AccessHashLookup
from services.archiver.vault_peers import VaultAccessHashes
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from tests.fakes.telegram.client import ClientFactory, fake_client
from tests.fakes.telegram.world import FakeTelegram

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
