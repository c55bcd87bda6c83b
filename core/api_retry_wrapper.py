"""APIRetryWrapper: the one place Telegram calls are retried (edges only), over tenacity.

Temporary failures back off exponentially, rate limits wait exactly what the server asked for
(and are recorded), permanent failures return at once. Errors of the wrapped call come back in a
RetryResult; cancellation always propagates.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final, TypeVar

import structlog
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from core.domain.flood import FloodWaitEvent
from core.error_categories import ErrorCategory, ErrorClassifier, retry_after_seconds
from core.flood_ledger import InMemoryFloodLedger
from core.ports.flood import FloodWaitRecorder
from core.retry_policy import (
    MIN_FLOOD_WAIT_SECONDS,
    FailureLogger,
    RetryPolicy,
    RetryResult,
    RetrySettings,
)

__all__ = ["APIRetryWrapper", "ErrorCategory", "RetryPolicy", "RetryResult"]

T = TypeVar("T")

COMPONENT: Final = "APIRetryWrapper"


@dataclass(slots=True)
class _Call:
    """What one execution counts; never shared between calls."""

    operation: str
    policy: RetryPolicy
    attempts: int = 0
    slept: float = 0.0

    @property
    def slept_ms(self) -> float:
        return self.slept * 1000.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


class APIRetryWrapper:
    """Runs a Telegram call with capped retries and returns a RetryResult instead of raising.

    The policy comes from ``config`` when given, unless an explicit ``policy`` overrides it.
    Flood waits go to ``flood_recorder``, or to an in-memory ledger (``flood_ledger``) by default.
    """

    def __init__(
        self,
        config: RetrySettings | None = None,
        logger: FailureLogger | None = None,
        *,
        policy: RetryPolicy | None = None,
        flood_recorder: FloodWaitRecorder | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        classifier: ErrorClassifier | None = None,
        clock: Callable[[], datetime] = _utc_now,
        account: str | None = None,
    ) -> None:
        if policy is None:
            policy = RetryPolicy.from_config(config) if config is not None else RetryPolicy()
        self.policy = policy
        if flood_recorder is None:
            flood_recorder = InMemoryFloodLedger()
        self.flood_recorder = flood_recorder
        # The queryable ledger when the recorder is one (always by default), else None.
        self.flood_ledger = (
            flood_recorder if isinstance(flood_recorder, InMemoryFloodLedger) else None
        )
        self._logger = logger
        self._sleep = sleep
        self._classifier = classifier or ErrorClassifier()
        self._clock = clock
        self._account = account
        self._log = structlog.get_logger(__name__)

    def categorize_error(self, exc: BaseException) -> ErrorCategory:
        return self._classifier.categorize(exc)

    def is_temporary_error(self, exc: BaseException) -> bool:
        """True when the wrapper would retry ``exc``: TEMPORARY or RATE_LIMIT (within the cap)."""
        return self.categorize_error(exc) is not ErrorCategory.PERMANENT

    async def execute_with_retry(
        self,
        func: Callable[..., Awaitable[T]],
        *args: Any,
        operation_name: str | None = None,
        **kwargs: Any,
    ) -> RetryResult[T]:
        """Await ``func(*args, **kwargs)`` under the wrapper's policy."""
        return await self._execute(func, args, kwargs, self.policy, operation_name)

    async def execute_with_custom_retry(
        self,
        func: Callable[..., Awaitable[T]],
        *args: Any,
        max_attempts: int | None = None,
        delay_base: float | None = None,
        operation_name: str | None = None,
        **kwargs: Any,
    ) -> RetryResult[T]:
        """Like execute_with_retry, with this call's own attempts and backoff base."""
        policy = replace(
            self.policy,
            max_attempts=self.policy.max_attempts if max_attempts is None else max_attempts,
            delay_base=self.policy.delay_base if delay_base is None else delay_base,
        )
        return await self._execute(func, args, kwargs, policy, operation_name)

    async def _execute(
        self,
        func: Callable[..., Awaitable[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        policy: RetryPolicy,
        operation_name: str | None,
    ) -> RetryResult[T]:
        call = _Call(operation_name or _name_of(func), policy)
        try:
            value: T = await self._retrying(call)(self._attempt, call, func, args, kwargs)
        except Exception as exc:
            return await self._failed(call, exc)
        self._log.debug(
            "api_call_succeeded",
            operation=call.operation,
            attempts=call.attempts,
            total_delay_ms=call.slept_ms,
        )
        return RetryResult(True, value, None, call.attempts, call.slept_ms, None, call.operation)

    def _retrying(self, call: _Call) -> AsyncRetrying:
        # A fresh tenacity object per call: concurrent calls share no statistics or state.
        return AsyncRetrying(
            stop=stop_after_attempt(call.policy.max_attempts),
            retry=retry_if_exception(partial(self._is_retryable, call.policy)),
            wait=partial(self._delay_after, call),
            sleep=partial(self._sleep_between, call),
            before_sleep=partial(self._before_sleep, call),
            reraise=True,
        )

    async def _attempt(
        self,
        call: _Call,
        func: Callable[..., Awaitable[T]],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> T:
        call.attempts += 1
        async with asyncio.timeout(call.policy.attempt_timeout):
            return await func(*args, **kwargs)

    def _is_retryable(self, policy: RetryPolicy, exc: BaseException) -> bool:
        if not isinstance(exc, Exception):  # CancelledError, KeyboardInterrupt, SystemExit
            return False
        category = self.categorize_error(exc)
        if category is ErrorCategory.RATE_LIMIT:
            return _server_wait(exc) <= policy.flood_wait_max
        return category is ErrorCategory.TEMPORARY

    def _delay_after(self, call: _Call, state: RetryCallState) -> float:
        error = _outcome_error(state)
        if self.categorize_error(error) is ErrorCategory.RATE_LIMIT:
            return max(_server_wait(error), MIN_FLOOD_WAIT_SECONDS)
        return call.policy.backoff(state.attempt_number)

    async def _sleep_between(self, call: _Call, seconds: float) -> None:
        await self._sleep(seconds)
        call.slept += seconds

    async def _before_sleep(self, call: _Call, state: RetryCallState) -> None:
        error = _outcome_error(state)
        category = self.categorize_error(error)
        self._log.info(
            "api_attempt_failed",
            operation=call.operation,
            attempt=state.attempt_number,
            category=category.value,
            delay=state.upcoming_sleep,
            error_type=type(error).__name__,
        )
        if category is ErrorCategory.RATE_LIMIT:
            await self._record_flood_wait(call, error, honoured=True)

    async def _failed(self, call: _Call, error: Exception) -> RetryResult[T]:
        category = self.categorize_error(error)
        if category is ErrorCategory.RATE_LIMIT:
            await self._record_flood_wait(call, error, honoured=False)
        details = {
            "operation": call.operation,
            "attempts": call.attempts,
            "category": category.value,
            "reason": self._failure_reason(call, error, category),
            "error_type": type(error).__name__,
            "total_delay_ms": call.slept_ms,
        }
        self._log.warning("api_call_failed", **details)
        await self._warn(call.operation, error, details)
        return RetryResult(
            False, None, error, call.attempts, call.slept_ms, category, call.operation
        )

    def _failure_reason(self, call: _Call, error: Exception, category: ErrorCategory) -> str:
        if category is ErrorCategory.PERMANENT:
            return "permanent"
        if self._is_retryable(call.policy, error):
            return "attempts_exhausted"
        return "flood_wait_over_cap"

    async def _record_flood_wait(
        self, call: _Call, error: BaseException, *, honoured: bool
    ) -> None:
        event = FloodWaitEvent(
            operation=call.operation,
            seconds=_server_wait(error),
            occurred_at=self._clock(),
            error_type=type(error).__name__,
            honoured=honoured,
            account=self._account,
        )
        self._log.warning(
            "flood_wait",
            operation=event.operation,
            seconds=event.seconds,
            honoured=honoured,
            error_type=event.error_type,
            account=event.account,
        )
        try:
            await self.flood_recorder.record(event)
        except Exception as exc:  # the ledger is a report: losing one entry must not fail the call
            self._log.error("flood_wait_record_failed", error_type=type(exc).__name__)

    async def _warn(self, operation: str, error: Exception, details: dict[str, Any]) -> None:
        if self._logger is None:
            return
        try:
            await self._logger.log_warning(
                COMPONENT, operation, "Telegram API call failed", error=error, details=details
            )
        except Exception as exc:  # a broken log sink must not turn a result into a crash
            self._log.error("failure_log_failed", error_type=type(exc).__name__)


def _name_of(func: Callable[..., Any]) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", "operation"))


def _server_wait(error: BaseException) -> float:
    return retry_after_seconds(error) or 0.0


def _outcome_error(state: RetryCallState) -> BaseException:
    # tenacity calls wait and before_sleep only after a failed attempt.
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    if error is None:
        raise RuntimeError("tenacity asked for a retry delay without a failed attempt")
    return error
