"""The seed guide's "After" examples, composed as a service would, against a real vault database.

Module paths are ``core.X`` instead of ``backend.app.core.X``; everything else is as written.
"""

from __future__ import annotations

import io
import json
from typing import Any

from telethon import errors

from core.api_retry_wrapper import APIRetryWrapper
from core.config_manager import ConfigManager
from core.db.database import Database, DatabaseFloodRecorder
from core.enhanced_logging_system import EnhancedLoggingSystem

SECRETS = {
    "SECRET_KEY": "Zr8vQ2mN5xK7pL1wT9yB4cF6hJ3sD0gAeUiOo",
    "BOT_TOKEN": "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq",
    "TELEGRAM_API_HASH": "9f2c4e1a7b3d8e6f0a5c2b9d4e7f1a3c",
    "TELEGRAM_PHONE": "+34 612 345 678",
}
ENVIRON = {**SECRETS, "TELEGRAM_API_ID": "12345", "BOT_ADMIN_IDS": "111", "LOG_FORMAT": "json"}


class FakeSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FloodingClient:
    """Answers get_entity with a real Telethon FloodWaitError first, then the user."""

    def __init__(self, flood_seconds: int) -> None:
        self.calls = 0
        self.flood_seconds = flood_seconds

    async def get_entity(self, user_id: int) -> dict[str, Any]:
        self.calls += 1
        if self.calls == 1:
            raise errors.FloodWaitError(request=None, capture=self.flood_seconds)
        return {"id": user_id, "username": "ana", "phone": SECRETS["TELEGRAM_PHONE"]}


class EnhancedUserEnricherService:
    """The guide's enricher example, line for line in its logic."""

    def __init__(self, config: ConfigManager, logger: EnhancedLoggingSystem, retry: Any) -> None:
        self.config = config
        self.logger = logger
        self.retry_wrapper = retry
        self.timeout = config.get_int("USER_ENRICHMENT_TIMEOUT")
        self.batch_size = config.get_int("USER_ENRICHMENT_BATCH_SIZE")

    async def enrich_user(self, client: FloodingClient, user_id: int) -> Any:
        op_id = await self.logger.log_operation_start(
            "enrich_user", "EnhancedUserEnricherService", context={"user_id": user_id}
        )
        result = await self.retry_wrapper.execute_with_retry(
            client.get_entity, user_id, operation_name="get_user_entity"
        )
        if result.success:
            user = result.result
            await self.logger.log_operation_end(
                op_id,
                success=True,
                context={"user_id": user_id, "user": user, "attempts": result.attempts},
            )
            return user
        await self.logger.log_operation_end(
            op_id,
            success=False,
            error=result.error,
            context={"user_id": user_id, "attempts": result.attempts},
        )
        return None


async def _compose(db: Database, stream: io.StringIO, sleep: FakeSleep) -> Any:
    config = ConfigManager(env_file=None, environ=ENVIRON)
    assert config.load()
    logger = EnhancedLoggingSystem(config, stream=stream)
    await logger.initialize()
    retry = APIRetryWrapper(config, logger, flood_recorder=DatabaseFloodRecorder(db), sleep=sleep)
    return EnhancedUserEnricherService(config, logger, retry)


async def test_flood_wait_is_waited_exactly_recorded_and_nothing_secret_is_logged(
    db: Database,
) -> None:
    stream, sleep = io.StringIO(), FakeSleep()
    service = await _compose(db, stream, sleep)
    user = await service.enrich_user(FloodingClient(flood_seconds=7), 42)

    assert user["username"] == "ana"
    assert sleep.delays == [7]
    async with db.reader() as uow:
        recorded = await uow.flood_waits.recent()
    assert [(e.operation, e.seconds, e.honoured) for e in recorded] == [
        ("get_user_entity", 7, True)
    ]
    output = stream.getvalue()
    events = [json.loads(line) for line in output.splitlines()]
    assert any(e.get("operation") == "enrich_user" and "duration_ms" in e for e in events)
    for secret in SECRETS.values():
        assert secret not in output


async def test_a_flood_wait_over_the_cap_is_not_waited_but_reported(db: Database) -> None:
    stream, sleep = io.StringIO(), FakeSleep()
    service = await _compose(db, stream, sleep)
    assert await service.enrich_user(FloodingClient(flood_seconds=86_400), 42) is None
    assert sleep.delays == []
    async with db.reader() as uow:
        recorded = await uow.flood_waits.recent()
    assert [(e.seconds, e.honoured) for e in recorded] == [(86_400, False)]
