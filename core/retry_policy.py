"""How hard a Telegram call is tried (RetryPolicy) and what came of it (RetryResult)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar, cast

from core.error_categories import ErrorCategory
from core.errors import ConfigurationError

T = TypeVar("T")

MAX_ATTEMPTS_KEY: Final = "TELEGRAM_API_RETRY_MAX_ATTEMPTS"
DELAY_BASE_KEY: Final = "TELEGRAM_API_RETRY_DELAY_BASE"
ATTEMPT_TIMEOUT_KEY: Final = "TELEGRAM_API_TIMEOUT"
FLOOD_WAIT_MAX_KEY: Final = "TELEGRAM_FLOOD_WAIT_MAX"
# Telethon's rule too: a FLOOD_WAIT_0 repeated at once only floods again.
MIN_FLOOD_WAIT_SECONDS: Final = 1.0


class RetrySettings(Protocol):
    """What the wrapper reads from ConfigManager."""

    def get_int(self, key: str, /) -> int: ...

    def get_float(self, key: str, /) -> float: ...


class FailureLogger(Protocol):
    """What the wrapper uses of EnhancedLoggingSystem: one warning when a call finally fails."""

    async def log_warning(
        self,
        component: str,
        operation: str,
        message: str,
        /,
        *,
        error: Exception | None = None,
        details: dict[str, Any] | None = None,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard to try: attempts, exponential backoff, per-attempt timeout, longest flood wait."""

    max_attempts: int = 3
    delay_base: float = 2.0
    max_delay: float = 60.0
    attempt_timeout: float | None = 30.0
    flood_wait_max: float = 900.0

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be {rule}, got {value!r}"
            for name, value, rule, ok in (
                ("max_attempts", self.max_attempts, ">= 1", self.max_attempts >= 1),
                ("delay_base", self.delay_base, ">= 0", self.delay_base >= 0),
                ("max_delay", self.max_delay, ">= 0", self.max_delay >= 0),
                ("flood_wait_max", self.flood_wait_max, ">= 0", self.flood_wait_max >= 0),
                ("attempt_timeout", self.attempt_timeout, "> 0 or None", _positive_or_none(self)),
            )
            if not ok
        ]
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_config(cls, config: RetrySettings) -> RetryPolicy:
        """The policy the TELEGRAM_API_* and TELEGRAM_FLOOD_WAIT_MAX keys describe."""
        try:
            return cls(
                max_attempts=config.get_int(MAX_ATTEMPTS_KEY),
                delay_base=config.get_float(DELAY_BASE_KEY),
                attempt_timeout=config.get_float(ATTEMPT_TIMEOUT_KEY),
                flood_wait_max=config.get_float(FLOOD_WAIT_MAX_KEY),
            )
        except ValueError as exc:
            raise ConfigurationError(f"invalid retry settings: {exc}", [str(exc)]) from exc

    def backoff(self, attempt: int) -> float:
        """The wait after failed attempt number ``attempt`` (1-based) of a temporary error."""
        return float(min(self.delay_base * 2 ** (attempt - 1), self.max_delay))


def _positive_or_none(policy: RetryPolicy) -> bool:
    return policy.attempt_timeout is None or policy.attempt_timeout > 0


@dataclass(frozen=True, slots=True)
class RetryResult(Generic[T]):
    """The outcome of a wrapped call; ``category`` is None on success."""

    success: bool
    result: T | None
    error: Exception | None
    attempts: int
    total_delay_ms: float
    category: ErrorCategory | None
    operation_name: str

    def unwrap(self) -> T:
        """The result, or raise the error the call finally failed with."""
        if self.error is not None:
            raise self.error
        return cast(T, self.result)
