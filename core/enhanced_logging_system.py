"""The seed's async logging facade (service/operation events, operation timing, metrics)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TextIO

import structlog

from core.log_setup import (
    bind_context,
    configure_logging,
    get_logger,
    parse_level,
    shutdown_logging,
)

__all__ = ["EnhancedLoggingSystem", "LoggingConfig", "bind_context", "get_logger"]

LOGGER_NAME = "telegramvault"
# Operations started but never ended would otherwise pile up for the life of the process.
MAX_OPEN_OPERATIONS = 10_000

_NOT_INITIALIZED = (
    "EnhancedLoggingSystem is not initialized: call `await logger.initialize()` before logging"
)


class LoggingConfig(Protocol):
    """The part of ConfigManager that logging reads."""

    def get(self, key: str, default: str | None = None) -> str | None: ...

    def get_int(self, key: str, default: int | None = None) -> int: ...

    def secret_values(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class _Operation:
    name: str
    service: str
    started_at: float
    context: Mapping[str, Any] = field(default_factory=dict)


def _load_default_config() -> LoggingConfig:
    from core.config_manager import ConfigManager  # deferred: only needed when none is given

    config = ConfigManager()
    config.load()
    return config


def _error_fields(error: BaseException | None, with_traceback: bool) -> dict[str, Any]:
    if error is None:
        return {}
    fields: dict[str, Any] = {"error_type": type(error).__name__, "error_message": str(error)}
    if with_traceback:
        fields["exc_info"] = (type(error), error, error.__traceback__)
    return fields


def _optional_path(value: str | None) -> Path | None:
    return Path(value) if value and value.strip() else None


class EnhancedLoggingSystem:
    """Structured logging for services: every record carries service, operation and details.

    Build one in the composition root, ``await initialize()`` it once, and hand it down.
    """

    def __init__(
        self,
        config: LoggingConfig | None = None,
        *,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._stream = stream
        self._clock = clock
        self._logger: structlog.stdlib.BoundLogger | None = None
        self._operations: dict[str, _Operation] = {}

    @property
    def initialized(self) -> bool:
        """Whether ``initialize()`` has run."""
        return self._logger is not None

    async def initialize(self) -> None:
        """Configure logging from LOG_* settings; loads ``ConfigManager()`` when none was given."""
        config = self._config if self._config is not None else _load_default_config()
        configure_logging(
            level=config.get("LOG_LEVEL") or "INFO",
            fmt=(config.get("LOG_FORMAT") or "text").strip().lower(),
            log_file=_optional_path(config.get("LOG_FILE")),
            max_size_mb=config.get_int("LOG_MAX_SIZE_MB"),
            backup_count=config.get_int("LOG_BACKUP_COUNT"),
            secrets=config.secret_values(),
            stream=self._stream,
        )
        self._config = config
        self._logger = get_logger(LOGGER_NAME)

    async def shutdown(self) -> None:
        """Close the log file at process exit; the facade refuses to log until initialized again."""
        shutdown_logging()
        self._logger = None

    async def log_info(
        self, service: str, operation: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        self._emit(logging.INFO, message, service=service, operation=operation, details=details)

    async def log_debug(
        self, service: str, operation: str, message: str, details: Mapping[str, Any] | None = None
    ) -> None:
        self._emit(logging.DEBUG, message, service=service, operation=operation, details=details)

    async def log_warning(
        self,
        service: str,
        operation: str,
        message: str,
        error: BaseException | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        fields = _error_fields(error, with_traceback=False)
        self._emit(
            logging.WARNING,
            message,
            service=service,
            operation=operation,
            details=details,
            **fields,
        )

    async def log_error(
        self,
        service: str,
        operation: str,
        message: str,
        error: BaseException | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Log an error; ``error`` adds its type, message and full traceback."""
        fields = _error_fields(error, with_traceback=True)
        self._emit(
            logging.ERROR, message, service=service, operation=operation, details=details, **fields
        )

    async def log_with_context(
        self, level: str, message: str, service: str, context: Mapping[str, Any] | None = None
    ) -> None:
        """Log at a level given by name ("INFO", "warning"...); ValueError for unknown names."""
        self._emit(parse_level(level), message, service=service, context=context)

    async def log_operation_start(
        self, operation: str, service: str, context: Mapping[str, Any] | None = None
    ) -> str:
        """Log the start of an operation and return the id that ``log_operation_end`` takes."""
        self._require_logger()
        operation_id = uuid.uuid4().hex
        started = _Operation(operation, service, self._clock(), dict(context or {}))
        self._track(operation_id, started)
        self._emit(
            logging.INFO,
            "operation_started",
            service=service,
            operation=operation,
            operation_id=operation_id,
            context=context,
        )
        return operation_id

    async def log_operation_end(
        self,
        operation_id: str,
        success: bool,
        context: Mapping[str, Any] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """Log how an operation ended and how long it took (``duration_ms``, monotonic clock)."""
        self._require_logger()
        started = self._operations.pop(operation_id, None)
        if started is None:
            self._emit(
                logging.WARNING,
                "operation_end_unknown_id",
                operation_id=operation_id,
                success=success,
                context=context,
                **_error_fields(error, with_traceback=False),
            )
            return
        self._emit(
            logging.INFO if success else logging.ERROR,
            "operation_completed" if success else "operation_failed",
            service=started.service,
            operation=started.name,
            operation_id=operation_id,
            success=success,
            duration_ms=round((self._clock() - started.started_at) * 1000, 3),
            context={**started.context, **(context or {})} or None,
            **_error_fields(error, with_traceback=True),
        )

    async def log_metrics(self, service: str, metrics: Mapping[str, float | int | str]) -> None:
        """Log one record holding a set of named measurements."""
        self._emit(logging.INFO, "metrics", service=service, metrics=dict(metrics))

    def _track(self, operation_id: str, operation: _Operation) -> None:
        if len(self._operations) >= MAX_OPEN_OPERATIONS:
            oldest_id = next(iter(self._operations))
            forgotten = self._operations.pop(oldest_id)
            self._emit(
                logging.WARNING,
                "operation_tracking_full",
                service=forgotten.service,
                operation=forgotten.name,
                operation_id=oldest_id,
                limit=MAX_OPEN_OPERATIONS,
            )
        self._operations[operation_id] = operation

    def _require_logger(self) -> structlog.stdlib.BoundLogger:
        if self._logger is None:
            raise RuntimeError(_NOT_INITIALIZED)
        return self._logger

    def _emit(self, level: int, message: str, **fields: Any) -> None:
        present = {key: value for key, value in fields.items() if value is not None}
        self._require_logger().log(level, message, **present)
