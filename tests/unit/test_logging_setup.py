"""configure_logging: one format for structlog and stdlib records, levels, rotation, context."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import pytest
import structlog

from core.log_setup import (
    RedactingProcessorFormatter,
    bind_context,
    configure_logging,
    get_logger,
)
from core.redaction import REDACTED, Redactor

THIRD_PARTY = (
    "aiogram.event",
    "telethon.network.mtprotosender",
    "sqlalchemy.engine.Engine",
    "apscheduler.scheduler",
)


def configure(stream: io.StringIO, **overrides: Any) -> None:
    options: dict[str, Any] = {
        "level": "INFO",
        "fmt": "json",
        "log_file": None,
        "max_size_mb": 1,
        "backup_count": 2,
        "secrets": [],
        "stream": stream,
    }
    configure_logging(**{**options, **overrides})


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_line_carries_event_keys_level_logger_and_utc_timestamp() -> None:
    out = io.StringIO()
    configure(out)

    get_logger("services.ingest").info("batch_saved", chat_id=-1001234567890, count=100)

    [record] = json_lines(out.getvalue())
    assert list(record)[:4] == ["timestamp", "level", "logger", "event"]
    assert record["event"] == "batch_saved"
    assert record["chat_id"] == -1001234567890
    assert record["count"] == 100
    assert record["level"] == "info"
    assert record["logger"] == "services.ingest"
    stamp = datetime.fromisoformat(record["timestamp"])
    assert stamp.utcoffset() == UTC.utcoffset(None)
    assert abs((datetime.now(UTC) - stamp).total_seconds()) < 60


def test_text_format_is_key_value_without_colors_off_a_tty() -> None:
    out = io.StringIO()
    configure(out, fmt="text")

    get_logger("services.ingest").warning("batch_slow", chat_id=-1001234567890)

    line = out.getvalue()
    assert "batch_slow" in line
    assert "chat_id=-1001234567890" in line
    assert "[warning" in line
    assert "[services.ingest]" in line
    assert "\x1b[" not in line
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


@pytest.mark.parametrize("logger_name", THIRD_PARTY)
def test_stdlib_loggers_share_the_format(logger_name: str) -> None:
    out = io.StringIO()
    configure(out)

    logging.getLogger(logger_name).warning("step %s of %d", "connect", 3)

    [record] = json_lines(out.getvalue())
    assert record["event"] == "step connect of 3"
    assert record["logger"] == logger_name
    assert record["level"] == "warning"
    assert datetime.fromisoformat(record["timestamp"]).utcoffset() == UTC.utcoffset(None)


def test_formatter_redacts_the_rendered_line_whatever_the_processors_did() -> None:
    formatter = RedactingProcessorFormatter(
        Redactor(["hunter2-pass"]),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.JSONRenderer(),
        ],
    )
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "pw %s", ("hunter2-pass",), None)

    assert json.loads(formatter.format(record)) == {"event": f"pw {REDACTED}"}


def test_stdlib_exception_is_rendered_with_its_traceback() -> None:
    out = io.StringIO()
    configure(out)

    try:
        raise ConnectionError("server closed the connection")
    except ConnectionError:
        logging.getLogger("aiogram.dispatcher").exception("Failed to fetch updates")

    [record] = json_lines(out.getvalue())
    assert record["event"] == "Failed to fetch updates"
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert "ConnectionError: server closed the connection" in record["exception"]


def test_level_filters_structlog_and_stdlib_records() -> None:
    out = io.StringIO()
    configure(out, level="warning")

    get_logger("core").info("dropped")
    logging.getLogger("aiogram.event").info("dropped too")
    get_logger("core").warning("kept")
    logging.getLogger("aiogram.event").error("kept too")

    assert [r["event"] for r in json_lines(out.getvalue())] == ["kept", "kept too"]


def test_debug_level_lets_debug_records_through() -> None:
    out = io.StringIO()
    configure(out, level="DEBUG")

    get_logger("core").debug("fine_detail", n=1)

    assert [r["event"] for r in json_lines(out.getvalue())] == ["fine_detail"]


def test_noisy_loggers_are_quiet_unless_debug() -> None:
    out = io.StringIO()
    configure(out, level="INFO")
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT 1")
    logging.getLogger("telethon.network.mtprotosender").info("Connecting")
    assert out.getvalue() == ""

    configure(out, level="DEBUG")
    logging.getLogger("sqlalchemy.engine.Engine").info("SELECT 1")
    logging.getLogger("telethon.network.mtprotosender").debug("Connecting")

    assert [r["event"] for r in json_lines(out.getvalue())] == ["SELECT 1", "Connecting"]


def test_configuring_twice_does_not_duplicate_output() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure(first)
    handlers = len(logging.getLogger().handlers)

    configure(second)
    get_logger("core").info("once")
    logging.getLogger("apscheduler.scheduler").info("once too")

    assert len(logging.getLogger().handlers) == handlers
    assert first.getvalue() == ""
    assert [r["event"] for r in json_lines(second.getvalue())] == ["once", "once too"]


def test_bound_context_reaches_structlog_and_stdlib_records_inside_the_block_only() -> None:
    out = io.StringIO()
    configure(out)

    with bind_context(chat_id=-1001234567890, update_id=77):
        get_logger("bot").info("update_received")
        logging.getLogger("aiogram.event").info("Update id=77 is handled")
    get_logger("bot").info("idle")

    inside_a, inside_b, outside = json_lines(out.getvalue())
    assert inside_a["chat_id"] == inside_b["chat_id"] == -1001234567890
    assert inside_a["update_id"] == inside_b["update_id"] == 77
    assert "chat_id" not in outside


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_log_file_in_a_created_folder_gets_the_same_lines_as_the_stream(
    tmp_path: Path, fmt: str
) -> None:
    log_file = tmp_path / "logs" / "nested" / "vault.log"
    out = io.StringIO()
    configure(out, log_file=log_file, fmt=fmt)

    get_logger("core").info("to_file", n=1)
    logging.getLogger("apscheduler.scheduler").info("Scheduler started")

    written = log_file.read_text(encoding="utf-8")
    lines = written.splitlines()
    assert len(lines) == 2
    assert "to_file" in lines[0]
    assert "Scheduler started" in lines[1]
    assert written == out.getvalue()


def test_file_rotates_at_the_size_limit_and_keeps_backup_count(tmp_path: Path) -> None:
    log_file = tmp_path / "vault.log"
    configure(io.StringIO(), log_file=log_file, max_size_mb=1, backup_count=2)
    payload = "x" * 4000
    log = get_logger("core")

    for index in range(950):  # about 3.7 MiB of lines: three rollovers
        log.info("filler", index=index, payload=payload)

    limit = 1024 * 1024
    files = sorted(tmp_path.iterdir())
    assert [f.name for f in files] == ["vault.log", "vault.log.1", "vault.log.2"]
    assert all(f.stat().st_size <= limit for f in files)
    assert log_file.with_name("vault.log.1").stat().st_size > limit - 5000
    newest = json_lines(log_file.read_text(encoding="utf-8"))
    assert newest[-1]["index"] == 949


def test_reconfiguring_closes_the_previous_log_file(tmp_path: Path) -> None:
    first_file = tmp_path / "first.log"
    configure(io.StringIO(), log_file=first_file)
    [file_handler] = [h for h in logging.getLogger().handlers if isinstance(h, RotatingFileHandler)]

    configure(io.StringIO(), log_file=tmp_path / "second.log")
    get_logger("core").info("second_only")

    assert file_handler.stream is None or file_handler.stream.closed
    assert first_file.read_text(encoding="utf-8") == ""
    assert "second_only" in (tmp_path / "second.log").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [({"level": "LOUD"}, "log level"), ({"fmt": "xml"}, "log format")],
)
def test_unknown_level_or_format_is_rejected(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        configure(io.StringIO(), **overrides)


def test_a_record_that_cannot_be_formatted_is_reported_without_its_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = io.StringIO()
    configure(out, secrets=["hunter2-pass"])

    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "stream", None) is out]
    record = logging.LogRecord(
        "telethon.client", logging.WARNING, __file__, 1, "retry %d with %s", ("hunter2-pass",), None
    )

    # Through our handler only: pytest's capture handler re-raises formatting errors.
    handler.handle(record)

    assert out.getvalue() == ""
    report = capsys.readouterr().err
    assert "Logging error in telethon.client: TypeError" in report
    assert "hunter2-pass" not in report
