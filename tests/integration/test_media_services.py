"""MediaIngestionService and MediaRetryService against a real vault and a scripted gateway."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from core.config_manager import ConfigManager
from core.db.database import Database
from core.domain.archive import ArchivePage, MediaRef
from core.enhanced_logging_system import EnhancedLoggingSystem
from core.errors import MediaUnavailableError
from core.ports.telegram import HistoryPage, ResolvedChat
from services.ingest.media_policy import MediaPolicy
from services.ingest.service import IngestService
from services.media.ingestion import MediaIngestionService
from services.media.retry import MediaRetryService
from tests import factories as f

CHAT = f.chat()
JPEG = b"\xff\xd8\xff\xe0" + b"jpeg-body" * 100
PDF = b"%PDF-1.7 " + b"pdf-body" * 50


class Clock:
    def __init__(self) -> None:
        self.now = f.at(0)

    def __call__(self) -> datetime:
        return self.now


class ScriptedGateway:
    """Serves bytes per message id; an exception in ``failures`` is raised once per listing."""

    def __init__(self, files: dict[int, bytes]) -> None:
        self.files = files
        self.failures: dict[int, list[BaseException]] = {}
        self.downloads: list[int] = []

    async def resolve_chat(self, reference: str) -> ResolvedChat:
        raise NotImplementedError

    async def fetch_history(self, chat_id: int, *, offset_id: int, limit: int) -> HistoryPage:
        raise NotImplementedError

    async def download_media(self, chat_id: int, message_id: int) -> AsyncIterator[bytes]:
        self.downloads.append(message_id)
        pending = self.failures.get(message_id)
        if pending:
            raise pending.pop(0)
        data = self.files[message_id]
        for start in range(0, len(data), 256):
            yield data[start : start + 256]


Vault = tuple[Database, ConfigManager, Clock]


async def _noop_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
async def vault(db: Database, tmp_path: Path) -> Vault:
    config = ConfigManager(
        env_file=None,
        environ={
            "MEDIA_DIR": str(tmp_path / "media"),
            "MEDIA_RETRY_MAX_ATTEMPTS": "3",
            "MEDIA_RETRY_DELAY_BASE": "60",
            "MEDIA_DOWNLOAD_CONCURRENCY": "2",
            "TELEGRAM_API_RETRY_MAX_ATTEMPTS": "1",
        },
    )
    config.load()
    return db, config, Clock()


async def _queue(db: Database, refs: list[MediaRef]) -> None:
    ids = sorted({r.message_id for r in refs})
    page = ArchivePage(messages=[f.message(i) for i in ids], chats=[CHAT], media=refs)
    await IngestService(db, MediaPolicy(frozenset({"photo", "document"}))).ingest_page(page)


async def _services(vault: Vault, gateway: ScriptedGateway) -> MediaRetryService:
    db, config, clock = vault
    logger = EnhancedLoggingSystem(config)
    await logger.initialize()
    ingestion = MediaIngestionService(
        config, logger, db=db, gateway=gateway, sleep=_noop_sleep, clock=clock
    )
    return MediaRetryService(config, logger, db=db, ingestion=ingestion, clock=clock)


async def _states(db: Database) -> dict[int, tuple[str, str | None]]:
    async with db.reader() as uow:
        rows = await uow.connection.exec_driver_sql(
            "SELECT m.message_id, x.state, x.last_error FROM media x "
            "JOIN messages m ON m.id = x.message_pk ORDER BY m.message_id"
        )
        return {r[0]: (r[1], r[2]) for r in rows}


async def test_downloads_land_content_addressed_and_dedupe(vault: Vault, tmp_path: Path) -> None:
    db, _, _ = vault
    gateway = ScriptedGateway({1: JPEG, 2: JPEG, 3: JPEG})
    await _queue(
        db,
        [
            MediaRef(
                CHAT.id, 1, "photo", tg_file_id=500, mime_type="image/jpeg", declared_size=len(JPEG)
            ),
            MediaRef(CHAT.id, 2, "photo", tg_file_id=501, mime_type="image/jpeg"),
        ],
    )
    service = await _services(vault, gateway)
    report = await service.process_failed_downloads()
    assert report.by_state == {"done": 2}
    sha = hashlib.sha256(JPEG).hexdigest()
    stored = tmp_path / "media" / sha[:2] / sha[2:4] / sha
    assert stored.read_bytes() == JPEG
    assert len([p for p in (tmp_path / "media").rglob("*") if p.is_file()]) == 1
    # the same Telegram file in another message is not downloaded again
    await _queue(db, [MediaRef(CHAT.id, 3, "photo", tg_file_id=500, mime_type="image/jpeg")])
    await service.process_failed_downloads()
    assert sorted(gateway.downloads) == [1, 2]
    assert (await _states(db))[3] == ("done", None)


async def test_temporary_failures_back_off_then_give_up_with_the_reason(vault: Vault) -> None:
    db, _, clock = vault
    gateway = ScriptedGateway({1: JPEG})
    gateway.failures[1] = [ConnectionError("reset")] * 3
    await _queue(db, [MediaRef(CHAT.id, 1, "photo", tg_file_id=9)])
    service = await _services(vault, gateway)
    assert (await service.process_failed_downloads()).by_state == {"retry": 1}
    assert (await service.process_failed_downloads()).processed == 0  # not due yet
    clock.now += timedelta(seconds=60)
    assert (await service.process_failed_downloads()).by_state == {"retry": 1}
    clock.now += timedelta(seconds=119)
    assert (await service.process_failed_downloads()).processed == 0  # backoff doubled: 120 s
    clock.now += timedelta(seconds=1)
    assert (await service.process_failed_downloads()).by_state == {"failed": 1}
    state, reason = (await _states(db))[1]
    assert state == "failed"
    assert reason is not None
    assert reason.startswith("gave up after 3 attempts: ConnectionError: reset")


async def test_a_recovered_download_after_a_failure_is_done(vault: Vault) -> None:
    db, _, clock = vault
    gateway = ScriptedGateway({1: JPEG})
    gateway.failures[1] = [ConnectionError("reset")]
    await _queue(db, [MediaRef(CHAT.id, 1, "photo", tg_file_id=9)])
    service = await _services(vault, gateway)
    await service.process_failed_downloads()
    clock.now += timedelta(minutes=5)
    assert (await service.process_failed_downloads()).by_state == {"done": 1}


async def test_permanent_errors_fail_at_once_and_can_be_requeued(vault: Vault) -> None:
    db, _, _ = vault
    gateway = ScriptedGateway({1: JPEG})
    gateway.failures[1] = [MediaUnavailableError("message 1 was deleted")]
    await _queue(db, [MediaRef(CHAT.id, 1, "photo", tg_file_id=9)])
    service = await _services(vault, gateway)
    assert (await service.process_failed_downloads()).by_state == {"failed": 1}
    assert (await _states(db))[1] == ("failed", "MediaUnavailableError: message 1 was deleted")
    assert await service.requeue_failed(CHAT.id) == 1
    assert (await service.process_failed_downloads()).by_state == {"done": 1}


async def test_validation_rejects_wrong_size_and_wrong_content(vault: Vault) -> None:
    db, _, _ = vault
    gateway = ScriptedGateway({1: JPEG, 2: PDF})
    await _queue(
        db,
        [
            MediaRef(CHAT.id, 1, "photo", tg_file_id=1, declared_size=len(JPEG) + 1),
            MediaRef(CHAT.id, 2, "photo", tg_file_id=2, mime_type="image/jpeg"),
        ],
    )
    service = await _services(vault, gateway)
    assert (await service.process_failed_downloads()).by_state == {"failed": 2}
    states = await _states(db)
    assert states[1][1] is not None and "differs from the declared" in states[1][1]
    assert states[2][1] is not None and "content looks like document" in states[2][1]


async def test_downloads_abandoned_by_a_crash_are_released(vault: Vault) -> None:
    db, _, clock = vault
    await _queue(db, [MediaRef(CHAT.id, 1, "photo", tg_file_id=9)])
    async with db.unit_of_work() as uow:
        assert len(await uow.media.claim_due(clock(), 10, "crashed-worker")) == 1
        await uow.commit()
    service = await _services(vault, ScriptedGateway({1: JPEG}))
    assert (await service.process_failed_downloads()).processed == 0
    clock.now += timedelta(hours=1)
    report = await service.process_failed_downloads()
    assert (report.released_stale, report.by_state) == (1, {"done": 1})
