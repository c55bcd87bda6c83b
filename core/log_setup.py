"""One logging pipeline for structlog events and stdlib loggers: format, level, files, redaction."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager, suppress
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any, TextIO

import structlog
from structlog.typing import Processor

from core.redaction import Redactor

LOG_FORMATS = ("json", "text")
LOG_LEVELS = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "WARN": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}
# Chatty below WARNING (per query, per packet, per loop tick); heard in full only at DEBUG.
NOISY_LOGGERS = (
    "sqlalchemy.engine",
    "sqlalchemy.pool",
    "aiosqlite",
    "asyncio",
    "telethon.network",
    "telethon.extensions",
    "aiohttp.access",
    "apscheduler.executors",
)
_LEADING_KEYS = ("timestamp", "level", "logger", "event")
_MIB = 1024 * 1024


class _RedactedErrors(logging.Handler):
    """Reports a record that failed to format without printing its message and arguments.

    logging's own report prints both to stderr unredacted, and they may hold secrets.
    """

    redactor: Redactor

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (stdlib name)
        if not logging.raiseExceptions:
            return
        error = sys.exc_info()[1]
        summary = f"--- Logging error in {record.name}: {type(error).__name__}: {error}\n"
        with suppress(Exception):
            sys.stderr.write(self.redactor.redact_text(summary))


class _OwnedStreamHandler(_RedactedErrors, logging.StreamHandler[TextIO]):
    """A stream handler installed by configure_logging (recognised when reconfiguring)."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        super().__init__(stream)
        self.redactor = redactor


class _OwnedFileHandler(_RedactedErrors, RotatingFileHandler):
    """A rotating file handler installed by configure_logging."""

    def __init__(self, path: Path, max_bytes: int, backup_count: int, redactor: Redactor) -> None:
        super().__init__(path, maxBytes=max_bytes, backupCount=backup_count, encoding="utf-8")
        self.redactor = redactor


class RedactingProcessorFormatter(structlog.stdlib.ProcessorFormatter):
    """Renders like ProcessorFormatter, then redacts the whole line, tracebacks included.

    The last line is kept: handlers sharing this formatter, and RotatingFileHandler (which
    formats each record twice to measure it), then run the chain and the redaction once.
    """

    def __init__(self, redactor: Redactor, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._redactor = redactor
        self._last: tuple[logging.LogRecord, str] | None = None

    def format(self, record: logging.LogRecord) -> str:
        last = self._last
        if last is not None and last[0] is record:
            return last[1]
        line = self._redactor.redact_text(super().format(record))
        self._last = (record, line)
        return line


def parse_level(level: str) -> int:
    """The stdlib level number for a LOG_LEVEL name; ValueError for an unknown one."""
    try:
        return LOG_LEVELS[level.strip().upper()]
    except KeyError:
        known = ", ".join(name for name in LOG_LEVELS if name != "WARN")
        raise ValueError(f"unknown log level {level!r}; expected one of {known}") from None


def _shared_processors() -> list[Processor]:
    """What every record gets, whether it comes from structlog or a stdlib logger."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        structlog.stdlib.PositionalArgumentsFormatter(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


def _leading_keys_first(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    # JSON lines read best when each starts the same way, as the text format does.
    leading = {key: event_dict[key] for key in _LEADING_KEYS if key in event_dict}
    return leading | {k: v for k, v in event_dict.items() if k not in leading}


def _renderers(fmt: str, colors: bool) -> list[Processor]:
    if fmt == "json":
        return [_leading_keys_first, structlog.processors.JSONRenderer(ensure_ascii=False)]
    return [
        structlog.dev.ConsoleRenderer(
            colors=colors, exception_formatter=structlog.dev.plain_traceback
        )
    ]


def _formatter(fmt: str, redactor: Redactor, colors: bool) -> logging.Formatter:
    return RedactingProcessorFormatter(
        redactor,
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,
            *_renderers(fmt, colors),
        ],
    )


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def _file_handler(
    log_file: Path, max_size_mb: int, backup_count: int, redactor: Redactor
) -> _OwnedFileHandler:
    if max_size_mb < 0 or backup_count < 0:
        raise ValueError("LOG_MAX_SIZE_MB and LOG_BACKUP_COUNT must not be negative")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # Following RotatingFileHandler, a size or a backup count of 0 means the file never rotates.
    return _OwnedFileHandler(log_file, max_size_mb * _MIB, backup_count, redactor)


def _detach(kinds: tuple[type[logging.Handler], ...]) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, kinds):
            root.removeHandler(handler)
            handler.close()


def shutdown_logging() -> None:
    """Flush and close the log file at exit.

    The stream handler stays: without it, records logged while the process winds down would
    reach Python's last-resort handler, which prints them unredacted.
    """
    _detach((_OwnedFileHandler,))


def _quiet_noisy_loggers(level: int) -> None:
    # At DEBUG they are set explicitly rather than reset: importing SQLAlchemy sets its own root
    # logger to WARNING, which would otherwise keep hiding the statements.
    noisy_level = level if level <= logging.DEBUG else logging.WARNING
    for name in NOISY_LOGGERS:
        logging.getLogger(name).setLevel(noisy_level)


def configure_logging(
    level: str,
    fmt: str,
    log_file: Path | None,
    max_size_mb: int,
    backup_count: int,
    secrets: Sequence[str],
    stream: TextIO | None = None,
) -> None:
    """Route structlog and every stdlib logger through one redacting formatter.

    ``fmt`` is "json" (one JSON object a line) or "text" (key=value, colored only on a TTY).
    Calling it again replaces what an earlier call installed instead of adding to it.
    """
    level_number = parse_level(level)
    if fmt not in LOG_FORMATS:
        raise ValueError(f"unknown log format {fmt!r}; expected one of {', '.join(LOG_FORMATS)}")
    redactor = Redactor(secrets)
    target = stream if stream is not None else sys.stderr
    plain = _formatter(fmt, redactor, colors=False)
    colored = fmt == "text" and _is_tty(target)
    handlers: list[logging.Handler] = [_OwnedStreamHandler(target, redactor)]
    handlers[0].setFormatter(_formatter(fmt, redactor, colors=True) if colored else plain)
    if log_file is not None:
        handlers.append(_file_handler(Path(log_file), max_size_mb, backup_count, redactor))
        handlers[1].setFormatter(plain)

    _detach((_OwnedStreamHandler, _OwnedFileHandler))
    root = logging.getLogger()
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level_number)
    _quiet_noisy_loggers(level_number)
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
        # Loggers created before a reconfiguration must follow it, so none are cached.
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger for plain events: ``get_logger(__name__).info("event", key=value)``."""
    return structlog.stdlib.get_logger(name)


@contextmanager
def bind_context(**values: Any) -> Iterator[None]:
    """Bind key/values (chat_id, update_id...) to every record logged inside the block."""
    with structlog.contextvars.bound_contextvars(**values):
        yield
