"""The redaction guarantee: secrets logged every way we can think of never reach an output."""

from __future__ import annotations

import base64
import io
import json
import logging
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from core.enhanced_logging_system import EnhancedLoggingSystem, bind_context, get_logger
from core.log_setup import configure_logging
from core.redaction import REDACTED

BOT_TOKEN = "7123456789:AAHk3v9_Qx-ZbcdefghijklmnopqrstuvwXYZ"
API_HASH = "b18441a1ff607e10a989891a5462e627"
SESSION = "1" + base64.urlsafe_b64encode(random.Random(7).randbytes(263)).decode()
PASSWORD = "correct-horse-battery-staple"
PHONE = "+34 612 345 678"
SECRET_KEY = 'kéy "with" quotes\\and-backslash'
DB_PASSWORD = "db-s3cr3t-pw"
DATABASE_URL = f"postgresql+asyncpg://vault:{DB_PASSWORD}@db:5432/vault"
SECRETS = [BOT_TOKEN, API_HASH, SESSION, PASSWORD, PHONE, SECRET_KEY, DB_PASSWORD]

EVENTS = (
    *("client_ready", "credentials", "context_bound", "login_failed", "chained"),
    *("sign in", "POST", "connecting to", "job args", "auth key"),
    *("signed in", "retry", "ctx", "operation_started", "operation_failed", "metrics"),
)
CHAT_ID = -1001234567890
MESSAGE_ID = 123456


class SecretConfig:
    """ConfigManager stand-in holding the secrets, as ``secret_values()`` reports them."""

    def __init__(self, fmt: str, log_file: Path) -> None:
        self.values = {"LOG_LEVEL": "DEBUG", "LOG_FORMAT": fmt, "LOG_FILE": str(log_file)}

    def get(self, key: str, default: str | None = None) -> str | None:
        return self.values.get(key, default)

    def get_int(self, key: str, default: int | None = None) -> int:
        return {"LOG_MAX_SIZE_MB": 5, "LOG_BACKUP_COUNT": 2}[key]

    def secret_values(self) -> list[str]:
        return list(SECRETS)


class LeakyClient:
    """An object whose repr exposes credentials, as many client objects do."""

    def __repr__(self) -> str:
        return f"LeakyClient(token={BOT_TOKEN!r}, session={SESSION!r}, key={SECRET_KEY!r})"


def spellings(secret: str) -> set[str]:
    """The secret as written raw, inside JSON, inside a Python repr and a repr inside JSON."""
    forms = {secret, repr(secret)[1:-1]}
    return forms | {json.dumps(f, ensure_ascii=a)[1:-1] for f in forms for a in (True, False)}


def raise_chained() -> RuntimeError:
    try:
        try:
            raise ConnectionError(f"connect {DATABASE_URL} refused")
        except ConnectionError as cause:
            raise RuntimeError(f"sign-in of {PHONE} with {PASSWORD} failed") from cause
    except RuntimeError as error:
        return error


def log_structlog_events() -> None:
    log = get_logger("services.archiver")
    careless_event = "login " + PASSWORD + " for " + PHONE  # what a careless caller might do
    log.info(careless_event, chat_id=CHAT_ID, message_id=MESSAGE_ID)
    log.info(
        "client_ready",
        note=f"hash={API_HASH} key={SECRET_KEY}",
        nested={"a": [PASSWORD, {"b": API_HASH}], "t": (SESSION, CHAT_ID)},
        client=LeakyClient(),
        url=f"https://api.telegram.org/bot{BOT_TOKEN}/getMe",
        dsn=DATABASE_URL,
    )
    log.warning(
        "credentials",
        bot_token=BOT_TOKEN,
        api_hash=API_HASH,
        session_string=SESSION,
        password=PASSWORD,
        phone=PHONE,
        headers={"Authorization": f"Bearer {SECRET_KEY}"},
    )
    with bind_context(chat_id=CHAT_ID, hint=PASSWORD):
        log.info("context_bound", message_id=MESSAGE_ID)
    try:
        raise ValueError(f"token {BOT_TOKEN} rejected, session {SESSION}")
    except ValueError:
        log.exception("login_failed")
    log.error("chained", exc_info=raise_chained())


def log_stdlib_records() -> None:
    logging.getLogger("telethon.client.auth").warning("sign in %s hash %s", PHONE, API_HASH)
    logging.getLogger("aiogram.event").error(
        "POST %s failed", f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage"
    )
    logging.getLogger("sqlalchemy.engine.Engine").warning("connecting to %r", DATABASE_URL)
    logging.getLogger("apscheduler.scheduler").info("job args %s", [SESSION, SECRET_KEY])
    try:
        raise PermissionError(f"bad password {PASSWORD} / key {SECRET_KEY}")
    except PermissionError:
        logging.getLogger("telethon.network.mtprotosender").exception("auth key %s", SESSION)


async def log_through_the_facade(system: EnhancedLoggingSystem) -> None:
    await system.log_info("Archiver", "login", "signed in " + PHONE, details={"pw": PASSWORD})
    await system.log_warning("Archiver", "login", "retry", error=raise_chained())
    await system.log_error(
        "Archiver", "login", "failed", error=raise_chained(), details={"dsn": DATABASE_URL}
    )
    await system.log_with_context("INFO", "ctx", "Archiver", context={"k": SECRET_KEY})
    op_id = await system.log_operation_start("login", "Archiver", context={"token": BOT_TOKEN})
    await system.log_operation_end(op_id, False, context={"s": SESSION}, error=raise_chained())
    await system.log_metrics("Archiver", {"mode": API_HASH, "count": 3})


@pytest.mark.parametrize("fmt", ["json", "text"])
async def test_no_configured_secret_reaches_the_stream_or_the_file(
    tmp_path: Path, fmt: str
) -> None:
    out, log_file = io.StringIO(), tmp_path / "vault.log"
    system = EnhancedLoggingSystem(SecretConfig(fmt, log_file), stream=out)
    await system.initialize()

    log_structlog_events()
    log_stdlib_records()
    await log_through_the_facade(system)

    outputs = {"stream": out.getvalue(), "file": log_file.read_text(encoding="utf-8")}
    for where, text in outputs.items():
        for event in EVENTS:
            assert event in text, (where, event)  # logged, not silently dropped
        assert text.count(REDACTED) >= 40, where
        for secret in SECRETS:
            for spelling in spellings(secret):
                assert spelling not in text, (where, secret)
        assert str(CHAT_ID) in text
        assert str(MESSAGE_ID) in text
        assert "Traceback (most recent call last)" in text
        assert "The above exception was the direct cause" in text


async def test_ids_and_timestamps_survive_redaction(tmp_path: Path) -> None:
    out = io.StringIO()
    system = EnhancedLoggingSystem(SecretConfig("json", tmp_path / "vault.log"), stream=out)
    await system.initialize()

    get_logger("services.ingest").info(
        "page_saved", chat_id=CHAT_ID, message_id=MESSAGE_ID, date="2026-05-01T12:34:56+00:00"
    )
    logging.getLogger("aiogram.event").info("Update id=%d in chat %d handled", 987654321, CHAT_ID)

    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["chat_id"] == CHAT_ID
    assert first["message_id"] == MESSAGE_ID
    assert first["date"] == "2026-05-01T12:34:56+00:00"
    assert datetime.fromisoformat(first["timestamp"]).tzinfo is not None
    assert second["event"] == f"Update id=987654321 in chat {CHAT_ID} handled"
    assert REDACTED not in out.getvalue()


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_credentials_are_redacted_even_when_not_configured(fmt: str) -> None:
    out = io.StringIO()
    configure_logging("INFO", fmt, None, 1, 1, secrets=[], stream=out)
    normalized_phone = PHONE.replace(" ", "")

    get_logger("bot").info("sending", url=f"https://api.telegram.org/bot{BOT_TOKEN}/getMe")
    logging.getLogger("telethon.sessions").warning("session %s for %s", SESSION, normalized_phone)
    logging.getLogger("sqlalchemy.pool").error("cannot reach %s", DATABASE_URL)
    try:
        raise ValueError(f"phone {PHONE} token {BOT_TOKEN}")
    except ValueError:
        get_logger("bot").exception("failed")

    text = out.getvalue()
    for secret in (BOT_TOKEN, SESSION, PHONE, normalized_phone, DB_PASSWORD):
        assert secret not in text
    assert text.count(REDACTED) >= 6


def test_secret_named_keys_are_blanked_whatever_their_value() -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", None, 1, 1, secrets=[], stream=out)

    get_logger("core").info("kv", password="hunter2", api_hash=12345, session={"dc": 2}, n=3)

    record: dict[str, Any] = json.loads(out.getvalue())
    assert record["password"] == record["api_hash"] == record["session"] == REDACTED
    assert record["n"] == 3
