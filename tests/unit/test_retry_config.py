"""APIRetryWrapper built from the real ConfigManager, as the seed builds it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from telethon import errors

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy
from core.config_manager import ConfigManager
from core.errors import ConfigurationError


def config(**environ: str) -> ConfigManager:
    manager = ConfigManager(env_file=None, environ=environ)
    manager.load()
    return manager


class RecordingSleep:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


def test_the_policy_comes_from_the_config_keys() -> None:
    wrapper = APIRetryWrapper(
        config(
            TELEGRAM_API_RETRY_MAX_ATTEMPTS="5",
            TELEGRAM_API_RETRY_DELAY_BASE="1.5",
            TELEGRAM_API_TIMEOUT="12",
            TELEGRAM_FLOOD_WAIT_MAX="120",
        )
    )

    assert wrapper.policy == RetryPolicy(
        max_attempts=5, delay_base=1.5, max_delay=60.0, attempt_timeout=12.0, flood_wait_max=120.0
    )


def test_unset_keys_give_the_documented_defaults() -> None:
    assert APIRetryWrapper(config()).policy == RetryPolicy()


def test_an_explicit_policy_wins_over_the_config() -> None:
    policy = RetryPolicy(max_attempts=1)
    wrapper = APIRetryWrapper(config(TELEGRAM_API_RETRY_MAX_ATTEMPTS="7"), policy=policy)

    assert wrapper.policy is policy


async def test_configured_attempts_delays_and_flood_cap_drive_the_retries() -> None:
    sleep = RecordingSleep()
    wrapper = APIRetryWrapper(
        config(
            TELEGRAM_API_RETRY_MAX_ATTEMPTS="4",
            TELEGRAM_API_RETRY_DELAY_BASE="3",
            TELEGRAM_FLOOD_WAIT_MAX="10",
        ),
        sleep=sleep,
    )
    failures = [ConnectionError("a"), TimeoutError(), errors.FloodWaitError(None, capture=8)]

    async def get_entity(user_id: int) -> int:
        if failures:
            raise failures.pop(0)
        return user_id

    result = await wrapper.execute_with_retry(get_entity, 5, operation_name="get_user_entity")
    over_cap = await wrapper.execute_with_retry(
        _raises(errors.FloodWaitError(None, capture=11)), operation_name="get_history"
    )

    assert (result.success, result.attempts, sleep.delays) == (True, 4, [3.0, 6.0, 8.0])
    assert (over_cap.success, over_cap.attempts) == (False, 1)
    assert wrapper.flood_ledger is not None
    assert [(e.seconds, e.honoured) for e in wrapper.flood_ledger.recent()] == [
        (11.0, False),
        (8.0, True),
    ]


class _BadSettings:
    def get_int(self, key: str) -> int:
        return 0

    def get_float(self, key: str) -> float:
        return 1.0


def test_impossible_settings_are_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="max_attempts"):
        APIRetryWrapper(_BadSettings())


def _raises(error: Exception) -> Callable[[], Awaitable[None]]:
    async def call() -> None:
        raise error

    return call
