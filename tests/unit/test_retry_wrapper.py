"""APIRetryWrapper against real Telethon and aiogram exceptions, with a recording fake sleep."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import SendMessage
from structlog.testing import capture_logs
from telethon import errors, functions, types

from core.api_retry_wrapper import APIRetryWrapper, RetryPolicy, RetryResult
from core.domain.flood import FloodWaitEvent
from core.error_categories import ErrorCategory, ErrorClassifier

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
REQUEST = functions.messages.GetHistoryRequest(
    peer=types.InputPeerEmpty(),
    offset_id=0,
    offset_date=None,
    add_offset=0,
    limit=100,
    max_id=0,
    min_id=0,
    hash=0,
)


def rpc(code: int, message: str) -> Exception:
    error: Exception = errors.rpc_message_to_error(types.RpcError(code, message), REQUEST)
    return error


class FakeSleep:
    """Records every requested delay and only yields to the loop."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class Scripted:
    """An async callable that raises or returns the scripted outcomes in order."""

    def __init__(self, *outcomes: object) -> None:
        self.outcomes = list(outcomes)
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    async def __call__(self, *args: Any, **kwargs: Any) -> object:
        self.calls.append((args, kwargs))
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class FakeSeedLogger:
    def __init__(self, fail: bool = False) -> None:
        self.warnings: list[dict[str, Any]] = []
        self.fail = fail

    async def log_warning(
        self,
        service: str,
        operation: str,
        message: str,
        error: BaseException | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        if self.fail:
            raise RuntimeError("log sink down")
        self.warnings.append(
            {"service": service, "operation": operation, "error": error, "details": details}
        )


class ListRecorder:
    def __init__(self) -> None:
        self.events: list[FloodWaitEvent] = []

    async def record(self, event: FloodWaitEvent) -> None:
        self.events.append(event)


class BrokenRecorder:
    async def record(self, event: FloodWaitEvent) -> None:
        raise OSError("database is locked")


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


def make_wrapper(
    sleep: FakeSleep, policy_fields: dict[str, Any] | None = None, **options: Any
) -> APIRetryWrapper:
    policy = RetryPolicy(**(policy_fields or {}))
    return APIRetryWrapper(policy=policy, sleep=sleep, clock=lambda: NOW, **options)


# --- outcomes --------------------------------------------------------------------------------


async def test_success_on_the_first_attempt(sleep: FakeSleep) -> None:
    call = Scripted("entity")
    result = await make_wrapper(sleep).execute_with_retry(call, 42, operation_name="op", x=1)

    assert result == RetryResult(True, "entity", None, 1, 0.0, None, "op")
    assert result.unwrap() == "entity"
    assert call.calls == [((42,), {"x": 1})]
    assert sleep.delays == []


async def test_success_after_a_temporary_failure(sleep: FakeSleep) -> None:
    call = Scripted(rpc(500, "INTERNAL"), "entity")
    result = await make_wrapper(sleep).execute_with_retry(call, operation_name="op")

    assert result.success
    assert result.result == "entity"
    assert result.attempts == 2
    assert result.category is None
    assert sleep.delays == [2.0]
    assert result.total_delay_ms == 2000.0


async def test_temporary_failures_back_off_exponentially_then_fail(sleep: FakeSleep) -> None:
    last = rpc(-503, "Timeout")
    call = Scripted(rpc(500, "INTERNAL"), ConnectionError("reset"), last)
    result = await make_wrapper(sleep).execute_with_retry(call, operation_name="op")

    assert not result.success
    assert result.error is last
    assert result.attempts == 3
    assert result.category is ErrorCategory.TEMPORARY
    assert sleep.delays == [2.0, 4.0]
    assert result.total_delay_ms == 6000.0
    with pytest.raises(type(last)):
        result.unwrap()


async def test_backoff_is_capped_by_max_delay(sleep: FakeSleep) -> None:
    fields = {"max_attempts": 5, "delay_base": 10.0, "max_delay": 25.0}
    call = Scripted(*[TimeoutError()] * 5)
    result = await make_wrapper(sleep, policy_fields=fields).execute_with_retry(call)

    assert sleep.delays == [10.0, 20.0, 25.0, 25.0]
    assert result.attempts == 5


@pytest.mark.parametrize(
    "error",
    [
        rpc(401, "AUTH_KEY_UNREGISTERED"),
        rpc(400, "PEER_ID_INVALID"),
        rpc(400, "FILE_REFERENCE_EXPIRED"),
        ValueError("a bug"),
    ],
    ids=lambda error: type(error).__name__,
)
async def test_permanent_errors_fail_at_once(sleep: FakeSleep, error: Exception) -> None:
    call = Scripted(error, "never reached")
    result = await make_wrapper(sleep).execute_with_retry(call, operation_name="op")

    assert (result.success, result.attempts, result.category) == (
        False,
        1,
        ErrorCategory.PERMANENT,
    )
    assert result.error is error
    assert len(call.calls) == 1
    assert sleep.delays == []
    with pytest.raises(type(error)):
        result.unwrap()


async def test_the_operation_name_defaults_to_the_callable(sleep: FakeSleep) -> None:
    async def get_entity(user_id: int) -> int:
        return user_id

    result = await make_wrapper(sleep).execute_with_retry(get_entity, 7)
    assert result.operation_name.endswith("get_entity")


# --- rate limits ---------------------------------------------------------------------------


async def test_a_flood_wait_is_waited_exactly_and_recorded(sleep: FakeSleep) -> None:
    wrapper = make_wrapper(sleep)
    call = Scripted(rpc(420, "FLOOD_WAIT_7"), "history")
    result = await wrapper.execute_with_retry(call, operation_name="get_history")

    assert result.success
    assert result.attempts == 2
    assert sleep.delays == [7.0]
    assert result.total_delay_ms == 7000.0
    assert wrapper.flood_ledger is not None
    assert wrapper.flood_ledger.recent() == [
        FloodWaitEvent("get_history", 7.0, NOW, "FloodWaitError", honoured=True)
    ]


@pytest.mark.parametrize(
    ("error", "seconds"),
    [
        (rpc(420, "SLOWMODE_WAIT_30"), 30.0),
        (rpc(420, "FLOOD_PREMIUM_WAIT_3"), 3.0),
        (errors.FloodWaitError(request=None, capture=120), 120.0),  # above max_delay, below cap
        (
            TelegramRetryAfter(
                method=SendMessage(chat_id=1, text="x"), message="Too Many", retry_after=5
            ),
            5.0,
        ),
    ],
    ids=lambda value: type(value).__name__,
)
async def test_every_kind_of_server_wait_is_honoured(
    sleep: FakeSleep, error: Exception, seconds: float
) -> None:
    wrapper = make_wrapper(sleep)
    result = await wrapper.execute_with_retry(Scripted(error, "ok"), operation_name="op")

    assert result.success
    assert sleep.delays == [seconds]
    assert wrapper.flood_ledger is not None
    assert [event.seconds for event in wrapper.flood_ledger.recent()] == [seconds]


async def test_a_flood_wait_of_zero_waits_one_second(sleep: FakeSleep) -> None:
    result = await make_wrapper(sleep).execute_with_retry(Scripted(rpc(420, "FLOOD_WAIT_0"), "ok"))

    assert result.success
    assert sleep.delays == [1.0]


async def test_a_flood_wait_above_the_cap_fails_without_waiting(sleep: FakeSleep) -> None:
    wrapper = make_wrapper(sleep, policy_fields={"flood_wait_max": 60.0})
    error = rpc(420, "FLOOD_WAIT_3600")
    call = Scripted(error, "never reached")
    result = await wrapper.execute_with_retry(call, operation_name="get_history")

    assert not result.success
    assert result.error is error
    assert result.category is ErrorCategory.RATE_LIMIT
    assert result.attempts == 1
    assert len(call.calls) == 1
    assert sleep.delays == []
    assert wrapper.flood_ledger is not None
    assert wrapper.flood_ledger.recent() == [
        FloodWaitEvent("get_history", 3600.0, NOW, "FloodWaitError", honoured=False)
    ]


async def test_a_flood_wait_exactly_at_the_cap_is_honoured(sleep: FakeSleep) -> None:
    wrapper = make_wrapper(sleep, policy_fields={"flood_wait_max": 60.0})
    result = await wrapper.execute_with_retry(Scripted(rpc(420, "FLOOD_WAIT_60"), "ok"))

    assert result.success
    assert sleep.delays == [60.0]


async def test_a_flood_wait_on_the_last_attempt_is_recorded_not_waited(sleep: FakeSleep) -> None:
    wrapper = make_wrapper(sleep, policy_fields={"max_attempts": 2})
    call = Scripted(rpc(420, "FLOOD_WAIT_7"), rpc(420, "FLOOD_WAIT_9"))
    result = await wrapper.execute_with_retry(call, operation_name="op")

    assert not result.success
    assert result.attempts == 2
    assert sleep.delays == [7.0]
    assert wrapper.flood_ledger is not None
    assert [(e.seconds, e.honoured) for e in wrapper.flood_ledger.recent()] == [
        (9.0, False),
        (7.0, True),
    ]


async def test_flood_waits_go_to_an_injected_recorder(sleep: FakeSleep) -> None:
    recorder = ListRecorder()
    wrapper = make_wrapper(sleep, flood_recorder=recorder, account="archiver-1")
    await wrapper.execute_with_retry(Scripted(rpc(420, "FLOOD_WAIT_7"), "ok"), operation_name="op")

    assert wrapper.flood_ledger is None
    assert recorder.events == [
        FloodWaitEvent("op", 7.0, NOW, "FloodWaitError", honoured=True, account="archiver-1")
    ]


async def test_a_failing_recorder_does_not_break_the_call(sleep: FakeSleep) -> None:
    wrapper = make_wrapper(sleep, flood_recorder=BrokenRecorder())
    with capture_logs() as logs:
        result = await wrapper.execute_with_retry(Scripted(rpc(420, "FLOOD_WAIT_7"), "ok"))

    assert result.success
    assert sleep.delays == [7.0]
    assert "flood_wait_record_failed" in [log["event"] for log in logs]


# --- timeouts and cancellation ---------------------------------------------------------------


async def test_each_attempt_runs_under_the_timeout(sleep: FakeSleep) -> None:
    never = asyncio.Event()
    calls = 0

    async def hangs() -> None:
        nonlocal calls
        calls += 1
        await never.wait()

    fields = {"max_attempts": 2, "attempt_timeout": 0.05}
    result = await make_wrapper(sleep, policy_fields=fields).execute_with_retry(hangs)

    assert not result.success
    assert isinstance(result.error, TimeoutError)
    assert result.category is ErrorCategory.TEMPORARY
    assert (result.attempts, calls) == (2, 2)
    assert sleep.delays == [2.0]


async def test_cancelling_the_caller_propagates(sleep: FakeSleep) -> None:
    started, never = asyncio.Event(), asyncio.Event()
    calls = 0

    async def hangs() -> None:
        nonlocal calls
        calls += 1
        started.set()
        await never.wait()

    task = asyncio.create_task(make_wrapper(sleep).execute_with_retry(hangs))
    await started.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls == 1
    assert sleep.delays == []


async def test_a_cancelled_error_from_the_call_is_never_retried(sleep: FakeSleep) -> None:
    call = Scripted(asyncio.CancelledError(), "never reached")
    with pytest.raises(asyncio.CancelledError):
        await make_wrapper(sleep).execute_with_retry(call)
    assert len(call.calls) == 1


async def test_cancellation_propagates_even_if_a_rule_calls_it_temporary(sleep: FakeSleep) -> None:
    classifier = ErrorClassifier({"asyncio.CancelledError": ErrorCategory.TEMPORARY})
    call = Scripted(asyncio.CancelledError(), "never reached")
    with pytest.raises(asyncio.CancelledError):
        await make_wrapper(sleep, classifier=classifier).execute_with_retry(call)
    assert len(call.calls) == 1


async def test_cancelling_during_a_backoff_propagates() -> None:
    sleeping, never = asyncio.Event(), asyncio.Event()

    async def blocking_sleep(seconds: float) -> None:
        sleeping.set()
        await never.wait()

    wrapper = APIRetryWrapper(policy=RetryPolicy(), sleep=blocking_sleep)
    task = asyncio.create_task(wrapper.execute_with_retry(Scripted(TimeoutError(), "ok")))
    await sleeping.wait()
    task.cancel()

    with pytest.raises(asyncio.CancelledError):
        await task


# --- custom retries and isolation ------------------------------------------------------------


async def test_custom_retries_override_attempts_and_base(sleep: FakeSleep) -> None:
    call = Scripted(*[rpc(500, "INTERNAL")] * 3, "ok")
    result = await make_wrapper(sleep).execute_with_custom_retry(
        call, "arg", max_attempts=4, delay_base=3, operation_name="op"
    )

    assert result.success
    assert result.attempts == 4
    assert sleep.delays == [3.0, 6.0, 12.0]
    assert call.calls[0] == (("arg",), {})


async def test_custom_retries_reject_an_invalid_policy(sleep: FakeSleep) -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        await make_wrapper(sleep).execute_with_custom_retry(Scripted("ok"), max_attempts=0)


async def test_concurrent_calls_with_different_policies_share_no_state() -> None:
    delays: dict[str, list[float]] = {"fast": [], "slow": []}
    both_failed_once = asyncio.Barrier(2)

    def failing(name: str, failures: int) -> Any:
        remaining = failures

        async def call() -> str:
            nonlocal remaining
            if remaining == failures:
                await both_failed_once.wait()  # both calls are in flight together
            if remaining:
                remaining -= 1
                raise ConnectionError(name)
            return name

        return call

    async def sleep(seconds: float) -> None:
        task = asyncio.current_task()
        assert task is not None
        delays[task.get_name()].append(seconds)
        await asyncio.sleep(0)

    wrapper = APIRetryWrapper(policy=RetryPolicy(), sleep=sleep)
    fast = asyncio.create_task(
        wrapper.execute_with_custom_retry(failing("fast", 2), max_attempts=3, delay_base=1),
        name="fast",
    )
    slow = asyncio.create_task(
        wrapper.execute_with_custom_retry(failing("slow", 4), max_attempts=5, delay_base=3),
        name="slow",
    )
    fast_result, slow_result = await asyncio.gather(fast, slow)

    assert (fast_result.result, fast_result.attempts, fast_result.total_delay_ms) == (
        "fast",
        3,
        3000.0,
    )
    assert (slow_result.result, slow_result.attempts, slow_result.total_delay_ms) == (
        "slow",
        5,
        45000.0,
    )
    assert delays == {"fast": [1.0, 2.0], "slow": [3.0, 6.0, 12.0, 24.0]}
    assert wrapper.policy == RetryPolicy()


# --- the seed's examples ---------------------------------------------------------------------


class FakeClient:
    """Stands in for TelegramClient: the methods fail as scripted, then answer."""

    def __init__(self, entity_failures: list[Exception], media_failures: int) -> None:
        self.entity_failures = entity_failures
        self.media_failures = media_failures

    async def get_entity(self, user_id: int) -> dict[str, int]:
        if self.entity_failures:
            raise self.entity_failures.pop(0)
        return {"id": user_id}

    async def download_media(self, message: str) -> str:
        if self.media_failures:
            self.media_failures -= 1
            raise rpc(500, "INTERNAL")
        return f"/media/{message}"


async def test_seed_example_get_user_entity(sleep: FakeSleep) -> None:
    client = FakeClient([rpc(420, "FLOOD_WAIT_3"), ConnectionError("reset")], media_failures=0)
    wrapper = APIRetryWrapper(policy=RetryPolicy(), sleep=sleep)
    user_id = 12345

    result = await wrapper.execute_with_retry(
        client.get_entity, user_id, operation_name="get_user_entity"
    )

    assert result.success
    assert result.result == {"id": user_id}
    assert result.attempts == 3
    assert result.total_delay_ms == 3000.0 + 4000.0
    assert result.operation_name == "get_user_entity"


async def test_seed_example_download_large_media(sleep: FakeSleep) -> None:
    client = FakeClient([], media_failures=9)
    wrapper = APIRetryWrapper(policy=RetryPolicy(), sleep=sleep)

    result = await wrapper.execute_with_custom_retry(
        client.download_media,
        "message-1",
        max_attempts=10,
        delay_base=5,
        operation_name="download_large_media",
    )

    assert result.success
    assert result.result == "/media/message-1"
    assert result.attempts == 10
    assert sleep.delays == [5.0, 10.0, 20.0, 40.0, 60.0, 60.0, 60.0, 60.0, 60.0]


async def test_seed_error_helpers(sleep: FakeSleep) -> None:
    wrapper = make_wrapper(sleep)
    network = TelegramNetworkError(method=SendMessage(chat_id=1, text="x"), message="timeout")

    assert wrapper.categorize_error(rpc(420, "FLOOD_WAIT_7")) is ErrorCategory.RATE_LIMIT
    assert wrapper.categorize_error(network) is ErrorCategory.TEMPORARY
    assert wrapper.is_temporary_error(network)
    assert wrapper.is_temporary_error(rpc(420, "FLOOD_WAIT_7"))
    assert not wrapper.is_temporary_error(rpc(401, "SESSION_REVOKED"))


async def test_an_injected_classifier_changes_what_is_retried(sleep: FakeSleep) -> None:
    classifier = ErrorClassifier()
    classifier.register("telethon.PeerFloodError", ErrorCategory.TEMPORARY)
    wrapper = make_wrapper(sleep, classifier=classifier)

    result = await wrapper.execute_with_retry(Scripted(rpc(400, "PEER_FLOOD"), "ok"))

    assert result.success
    assert result.attempts == 2


# --- logging -------------------------------------------------------------------------------


async def test_attempts_and_the_final_failure_are_logged_as_events(sleep: FakeSleep) -> None:
    wrapper = make_wrapper(sleep, policy_fields={"max_attempts": 2})
    with capture_logs() as logs:
        await wrapper.execute_with_retry(
            Scripted(rpc(500, "INTERNAL"), rpc(500, "INTERNAL")), operation_name="op"
        )

    attempt = next(log for log in logs if log["event"] == "api_attempt_failed")
    assert attempt | {"log_level": "info"} == {
        "event": "api_attempt_failed",
        "log_level": "info",
        "operation": "op",
        "attempt": 1,
        "category": "temporary",
        "delay": 2.0,
        "error_type": "ServerError",
    }
    failed = next(log for log in logs if log["event"] == "api_call_failed")
    assert failed["log_level"] == "warning"
    assert (failed["attempts"], failed["reason"]) == (2, "attempts_exhausted")


async def test_flood_waits_are_logged_as_events(sleep: FakeSleep) -> None:
    with capture_logs() as logs:
        await make_wrapper(sleep).execute_with_retry(
            Scripted(rpc(420, "FLOOD_WAIT_7"), "ok"), operation_name="op"
        )

    flood = next(log for log in logs if log["event"] == "flood_wait")
    assert (flood["seconds"], flood["honoured"], flood["operation"]) == (7.0, True, "op")


async def test_the_seed_logger_gets_one_warning_on_final_failure(sleep: FakeSleep) -> None:
    seed_logger = FakeSeedLogger()
    wrapper = APIRetryWrapper(None, seed_logger, policy=RetryPolicy(), sleep=sleep)
    error = rpc(403, "CHAT_WRITE_FORBIDDEN")

    await wrapper.execute_with_retry(Scripted("ok"), operation_name="fine")
    await wrapper.execute_with_retry(Scripted(error), operation_name="send")

    assert len(seed_logger.warnings) == 1
    warning = seed_logger.warnings[0]
    assert (warning["service"], warning["operation"], warning["error"]) == (
        "APIRetryWrapper",
        "send",
        error,
    )
    assert warning["details"]["reason"] == "permanent"


async def test_a_failing_seed_logger_does_not_break_the_call(sleep: FakeSleep) -> None:
    wrapper = APIRetryWrapper(None, FakeSeedLogger(fail=True), policy=RetryPolicy(), sleep=sleep)
    error = ValueError("bug")

    result = await wrapper.execute_with_retry(Scripted(error))

    assert result.error is error


# --- policy --------------------------------------------------------------------------------


def test_default_policy() -> None:
    assert APIRetryWrapper().policy == RetryPolicy(3, 2.0, 60.0, 30.0, 900.0)


@pytest.mark.parametrize(
    "fields",
    [
        {"max_attempts": 0},
        {"delay_base": -1.0},
        {"max_delay": -1.0},
        {"attempt_timeout": 0.0},
        {"flood_wait_max": -5.0},
    ],
)
def test_policy_rejects_impossible_values(fields: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(fields))):
        RetryPolicy(**fields)


def test_results_and_policies_are_frozen() -> None:
    result = RetryResult(True, 1, None, 1, 0.0, None, "op")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.attempts = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        RetryPolicy().max_attempts = 9  # type: ignore[misc]
