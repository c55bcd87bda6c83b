"""EnhancedLoggingSystem: the seed's async API, with records read back from real output."""

from __future__ import annotations

import io
import json
import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

import pytest

from core.enhanced_logging_system import EnhancedLoggingSystem, bind_context, get_logger

BOT_TOKEN = "7123456789:AAHk3v9_Qx-ZbcdefghijklmnopqrstuvwXYZ"
API_HASH = "b18441a1ff607e10a989891a5462e627"
SESSION = "1" + "AbC-_9xZ" * 44
TWO_STEP_PASSWORD = "correct-horse-battery-staple"
PHONE = "+34612345678"
DB_PASSWORD = "db-s3cr3t-pw"

LOG_DEFAULTS = {
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",
    "LOG_FILE": "",
    "LOG_MAX_SIZE_MB": "10",
    "LOG_BACKUP_COUNT": "5",
}


class FakeConfig:
    """The ConfigManager methods logging reads, over a plain dict."""

    def __init__(self, secrets: list[str] | None = None, **values: str) -> None:
        self.values = {**LOG_DEFAULTS, **values}
        self.secrets = secrets or []

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def get_int(self, key: str, default: int | None = None) -> int:
        return int(self.values[key])

    def secret_values(self) -> list[str]:
        return list(self.secrets)


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def records(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


async def started_system(
    out: io.StringIO, clock: FakeClock | None = None, **values: str
) -> EnhancedLoggingSystem:
    system = EnhancedLoggingSystem(FakeConfig(**values), stream=out, clock=clock or FakeClock())
    await system.initialize()
    return system


def raise_and_catch(message: str) -> ValueError:
    try:
        raise ValueError(message)
    except ValueError as error:
        return error


@pytest.mark.parametrize(
    ("method", "args"),
    [
        ("log_info", ("Svc", "op", "msg")),
        ("log_debug", ("Svc", "op", "msg")),
        ("log_warning", ("Svc", "op", "msg")),
        ("log_error", ("Svc", "op", "msg")),
        ("log_with_context", ("INFO", "msg", "Svc")),
        ("log_operation_start", ("op", "Svc")),
        ("log_operation_end", ("some-id", True)),
        ("log_metrics", ("Svc", {"n": 1})),
    ],
)
async def test_every_method_refuses_to_log_before_initialize(method: str, args: tuple[Any]) -> None:
    system = EnhancedLoggingSystem(FakeConfig(), stream=io.StringIO())

    with pytest.raises(RuntimeError, match=r"initialize\(\)"):
        await getattr(system, method)(*args)
    assert not system.initialized


async def test_shutdown_closes_the_file_and_keeps_late_records_redacted(tmp_path: Path) -> None:
    out, log_file = io.StringIO(), tmp_path / "vault.log"
    system = await started_system(out, LOG_FILE=str(log_file))

    await system.shutdown()
    logging.getLogger("aiohttp.client").warning("late %s", f"https://x/bot{BOT_TOKEN}/close")

    assert not system.initialized
    assert not any(isinstance(h, RotatingFileHandler) for h in logging.getLogger().handlers)
    assert log_file.read_text(encoding="utf-8") == ""
    assert "late https://x/bot[REDACTED]/close" in out.getvalue()
    with pytest.raises(RuntimeError, match=r"initialize\(\)"):
        await system.log_info("Svc", "op", "after shutdown")
    await system.initialize()
    await system.log_info("Svc", "op", "back")
    assert "back" in log_file.read_text(encoding="utf-8")


async def test_log_info_carries_service_operation_and_details_as_keys() -> None:
    out = io.StringIO()
    system = await started_system(out)

    await system.log_info(
        "BatchProcessor", "process_item", "Processed item", details={"item_id": 42, "ok": True}
    )

    [record] = records(out)
    assert record["event"] == "Processed item"
    assert record["service"] == "BatchProcessor"
    assert record["operation"] == "process_item"
    assert record["details"] == {"item_id": 42, "ok": True}
    assert record["level"] == "info"


async def test_log_warning_names_the_error_without_a_traceback() -> None:
    out = io.StringIO()
    system = await started_system(out)

    await system.log_warning(
        "SearchService",
        "search_all",
        "FTS search failed, falling back to ILIKE",
        error=raise_and_catch("fts5: syntax error"),
        details={"query": "hola"},
    )

    [record] = records(out)
    assert record["level"] == "warning"
    assert record["error_type"] == "ValueError"
    assert record["error_message"] == "fts5: syntax error"
    assert record["details"] == {"query": "hola"}
    assert "exception" not in record


async def test_log_error_includes_type_message_and_full_traceback() -> None:
    out = io.StringIO()
    system = await started_system(out)
    error = raise_and_catch("bad pattern (")

    # Outside the except block on purpose: the traceback must come from the error itself.
    await system.log_error(
        "DetectionService", "compile_pattern", "Invalid regex", error=error, details={"rule": 7}
    )

    [record] = records(out)
    assert record["level"] == "error"
    assert record["error_type"] == "ValueError"
    assert record["error_message"] == "bad pattern ("
    assert record["details"] == {"rule": 7}
    assert record["exception"].startswith("Traceback (most recent call last):")
    assert "in raise_and_catch" in record["exception"]
    assert record["exception"].rstrip().endswith("ValueError: bad pattern (")


async def test_log_debug_follows_log_level() -> None:
    quiet, verbose = io.StringIO(), io.StringIO()
    at_info = await started_system(quiet, LOG_LEVEL="INFO")
    await at_info.log_debug("Svc", "op", "hidden", details={"debug_info": 1})
    assert records(quiet) == []

    at_debug = await started_system(verbose, LOG_LEVEL="DEBUG")
    await at_debug.log_debug("Svc", "op", "shown", details={"debug_info": 1})

    [record] = records(verbose)
    assert (record["event"], record["level"], record["details"]) == (
        "shown",
        "debug",
        {"debug_info": 1},
    )


async def test_log_with_context_takes_the_level_by_name() -> None:
    out = io.StringIO()
    system = await started_system(out, LOG_LEVEL="WARNING")

    await system.log_with_context("INFO", "dropped", "Enricher", context={"user_id": 5})
    await system.log_with_context("error", "User enrichment failed", "Enricher", {"user_id": 5})

    [record] = records(out)
    assert record["event"] == "User enrichment failed"
    assert record["level"] == "error"
    assert record["service"] == "Enricher"
    assert record["context"] == {"user_id": 5}
    with pytest.raises(ValueError, match="log level"):
        await system.log_with_context("LOUD", "x", "Enricher")


async def test_operation_end_logs_duration_from_the_monotonic_clock() -> None:
    out, clock = io.StringIO(), FakeClock(now=500.0)
    system = await started_system(out, clock=clock)

    op_id = await system.log_operation_start("enrich_user_batch", "Enricher", {"batch_size": 20})
    clock.now += 1.2505
    await system.log_operation_end(op_id, success=True, context={"processed": 18})

    started, ended = records(out)
    assert started["event"] == "operation_started"
    assert started["operation_id"] == op_id
    assert started["context"] == {"batch_size": 20}
    assert ended["event"] == "operation_completed"
    assert ended["level"] == "info"
    assert ended["operation"] == "enrich_user_batch"
    assert ended["service"] == "Enricher"
    assert ended["success"] is True
    assert ended["duration_ms"] == pytest.approx(1250.5)
    assert ended["context"] == {"batch_size": 20, "processed": 18}


async def test_failed_operation_is_an_error_with_the_traceback() -> None:
    out, clock = io.StringIO(), FakeClock()
    system = await started_system(out, clock=clock)

    op_id = await system.log_operation_start("search_all", "SearchService")
    clock.now += 0.004
    await system.log_operation_end(op_id, success=False, error=raise_and_catch("db is locked"))

    ended = records(out)[-1]
    assert ended["event"] == "operation_failed"
    assert ended["level"] == "error"
    assert ended["duration_ms"] == pytest.approx(4.0)
    assert ended["error_type"] == "ValueError"
    assert "ValueError: db is locked" in ended["exception"]


async def test_operation_ids_are_unique_and_end_only_once() -> None:
    out = io.StringIO()
    system = await started_system(out)

    first = await system.log_operation_start("op", "Svc")
    second = await system.log_operation_start("op", "Svc")
    await system.log_operation_end(first, success=True)
    await system.log_operation_end(first, success=True)

    assert first != second
    repeated = records(out)[-1]
    assert repeated["event"] == "operation_end_unknown_id"
    assert repeated["level"] == "warning"
    assert repeated["operation_id"] == first


async def test_unknown_operation_id_is_a_warning_not_a_crash() -> None:
    out = io.StringIO()
    system = await started_system(out)

    await system.log_operation_end("never-started", success=False)

    [record] = records(out)
    assert record["event"] == "operation_end_unknown_id"
    assert record["level"] == "warning"
    assert record["operation_id"] == "never-started"


async def test_log_metrics_carries_the_measurements() -> None:
    out = io.StringIO()
    system = await started_system(out)

    await system.log_metrics(
        "MediaRetryService", {"total_processed": 100, "rate": 0.95, "mode": "x"}
    )

    [record] = records(out)
    assert record["event"] == "metrics"
    assert record["service"] == "MediaRetryService"
    assert record["metrics"] == {"total_processed": 100, "rate": 0.95, "mode": "x"}


async def test_initialize_reads_format_and_log_file_from_config(tmp_path: Path) -> None:
    out = io.StringIO()
    log_file = tmp_path / "logs" / "vault.log"
    system = await started_system(out, LOG_FORMAT="text", LOG_FILE=str(log_file))

    await system.log_info("Svc", "op", "to_both", details={"n": 1})

    line = log_file.read_text(encoding="utf-8")
    assert "to_both" in line
    assert "service=Svc" in line
    assert line == out.getvalue()


async def test_get_logger_and_bind_context_share_the_pipeline() -> None:
    out = io.StringIO()
    system = await started_system(out)

    with bind_context(chat_id=-1001234567890):
        get_logger("services.ingest").info("backfill_page_saved", count=100)
        await system.log_info("Ingest", "save", "saved")

    plain, facade = records(out)
    assert plain["event"] == "backfill_page_saved"
    assert plain["logger"] == "services.ingest"
    assert plain["chat_id"] == facade["chat_id"] == -1001234567890


async def test_initialize_from_a_real_config_manager(tmp_path: Path) -> None:
    from core.config_manager import ConfigManager

    log_file = tmp_path / "logs" / "vault.log"
    config = ConfigManager(
        env_file=None,
        environ={
            "LOG_LEVEL": "warning",
            "LOG_FORMAT": "json",
            "LOG_FILE": str(log_file),
            "LOG_MAX_SIZE_MB": "1",
            "LOG_BACKUP_COUNT": "1",
            "BOT_TOKEN": BOT_TOKEN,
            "TELEGRAM_API_HASH": API_HASH,
            "TELEGRAM_SESSION_STRING": SESSION,
            "TELEGRAM_PASSWORD": TWO_STEP_PASSWORD,
            "TELEGRAM_PHONE": PHONE,
            "DATABASE_URL": f"postgresql+asyncpg://vault:{DB_PASSWORD}@db/vault",
        },
    )
    config.load()
    out = io.StringIO()
    system = EnhancedLoggingSystem(config, stream=out)
    await system.initialize()

    await system.log_info("Archiver", "login", "dropped below WARNING")
    await system.log_warning(
        "Archiver",
        "login",
        f"{API_HASH} {TWO_STEP_PASSWORD} {DB_PASSWORD}",
        details={"note": f"{SESSION} {PHONE} {BOT_TOKEN}"},
    )

    [record] = records(out)
    assert record["service"] == "Archiver"
    assert log_file.read_text(encoding="utf-8") == out.getvalue()
    for secret in (BOT_TOKEN, API_HASH, SESSION, TWO_STEP_PASSWORD, PHONE, DB_PASSWORD):
        assert secret not in out.getvalue()


async def test_initialize_without_config_loads_the_environment_and_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in LOG_DEFAULTS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TELEGRAM_PASSWORD", TWO_STEP_PASSWORD)
    (tmp_path / ".env").write_text("LOG_LEVEL=DEBUG\nLOG_FORMAT=json\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    system = EnhancedLoggingSystem(stream=out)

    await system.initialize()
    await system.log_debug("Svc", "op", "password is " + TWO_STEP_PASSWORD)

    [record] = records(out)
    assert record["level"] == "debug"
    assert record["event"] == "password is [REDACTED]"
