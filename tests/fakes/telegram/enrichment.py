"""Profile enrichment's real stack over the scripted Telegram: the product's Telethon client,
APIRetryWrapper recording flood waits in the vault, TelethonProfiles, a ContentStore, and
EnhancedUserEnricherService, all on one fake clock whose sleeps pass time instantly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from telethon import TelegramClient

from core.api_retry_wrapper import APIRetryWrapper
from core.config_manager import ConfigManager
from core.db.database import Database, DatabaseFloodRecorder
from core.db.repos.entities import FieldChange
from core.db.repos.profiles import ProfileRepo
from core.db.tables import alerts
from core.domain.archive import ArchivePage
from core.domain.messages import ArchivedMessage, ChatInfo, UserInfo
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.retry_policy import RetryPolicy
from services.archiver.telethon_adapter.profiles import TelethonProfiles
from services.archiver.vault_peers import VaultAccessHashes
from services.enrichment.service import EnhancedUserEnricherService
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.media.store import ContentStore
from tests.fakes.telegram.archiver import settings_client_factory
from tests.fakes.telegram.client import fake_client
from tests.fakes.telegram.specs import FakeChat, FakeUser
from tests.fakes.telegram.world import FakeTelegram

ADMINS = (111, 222)
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=3, delay_base=1.0, flood_wait_max=900.0)
SETTINGS = {
    "USER_ENRICHMENT_TIMEOUT": "30",
    "USER_ENRICHMENT_BATCH_SIZE": "2",
    "USER_ENRICHMENT_MAX_RETRIES": "2",
}


@dataclass
class FakeTime:
    """The clock of the wrapper and the enricher; ``sleep`` moves it on at once and keeps
    what was waited, with how many requests Telegram had received by then."""

    world: FakeTelegram
    now: datetime = START
    sleeps: list[float] = field(default_factory=list)
    requests_at_sleep: list[int] = field(default_factory=list)

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.requests_at_sleep.append(len(self.world.log.exchanges))
        self.now += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class EnrichmentStack:
    world: FakeTelegram
    db: Database
    time: FakeTime
    client: TelegramClient
    retry: APIRetryWrapper
    store: ContentStore
    enricher: EnhancedUserEnricherService

    async def vault(
        self, *people: FakeUser, chat: FakeChat | None = None, hashes: bool = True
    ) -> None:
        """The people as the archive met them: names and access hash, no bio or photo; with
        ``chat``, each wrote one message there."""
        users = [
            UserInfo(
                id=p.id, first_name=p.first_name, last_name=p.last_name, username=p.username,
                access_hash=p.access_hash if hashes else None,
            )
            for p in people
        ]  # fmt: skip
        page = ArchivePage(users=users, observed_at=self.time.now)
        if chat is not None:
            page.chats = [ChatInfo(chat.marked_id, kind="supergroup", title=chat.title)]
            page.messages = [
                ArchivedMessage(chat.marked_id, i, self.time.now, f"hello {i}", sender_id=p.id)
                for i, p in enumerate(people, start=1)
            ]
        await IngestService(self.db, MediaPolicy(frozenset())).ingest_page(page)

    async def row(self, user_id: int) -> dict[str, Any]:
        async with self.db.reader() as uow:
            found = await uow.users.get(user_id)
        assert found is not None, f"user {user_id} is not in the vault"
        return found

    async def history(self, user_id: int) -> list[FieldChange]:
        async with self.db.reader() as uow:
            return await uow.users.history_of(user_id)

    async def photos(self, user_id: int) -> list[dict[str, Any]]:
        async with self.db.reader() as uow:
            return await ProfileRepo(uow.connection, uow.dialect).photos_of(user_id)

    async def alerts(self) -> list[dict[str, Any]]:
        async with self.db.reader() as uow:
            rows = await uow.connection.execute(select(alerts).order_by(alerts.c.id))
            return [dict(r._mapping) for r in rows]

    def stored_files(self) -> list[Path]:
        root = self.store.root
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def build_enrichment(
    world: FakeTelegram, db: Database, media_dir: Path, *, keep_photos: bool = True, **settings: str
) -> EnrichmentStack:
    """The stack with USER_ENRICHMENT_* ``settings`` over SETTINGS (batches of 2, 2 retries);
    without ``keep_photos`` the enricher gets no ContentStore."""
    config = ConfigManager(env_file=None, environ={**SETTINGS, **settings})
    config.load()
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    time = FakeTime(world)
    client = fake_client(world, settings_client_factory())
    retry = APIRetryWrapper(
        policy=POLICY, flood_recorder=DatabaseFloodRecorder(db), sleep=time.sleep, clock=time
    )
    profiles = TelethonProfiles(
        client, retry,
        timeout=config.get_int("USER_ENRICHMENT_TIMEOUT"),
        max_retries=config.get_int("USER_ENRICHMENT_MAX_RETRIES"),
        access_hashes=VaultAccessHashes(db),
    )  # fmt: skip
    store = ContentStore(media_dir)
    enricher = EnhancedUserEnricherService(
        config, logger, db=db, profiles=profiles, retry=retry, store=store if keep_photos else None,
        recipients=ADMINS, clock=time, sleep=time.sleep,
    )  # fmt: skip
    return EnrichmentStack(world, db, time, client, retry, store, enricher)
