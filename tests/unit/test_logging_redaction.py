"""Redactor: configured secrets, credential patterns, secret-named keys; ordinary data survives."""

from __future__ import annotations

import base64
import json

import pytest

from core.redaction import REDACTED, Redactor, is_sensitive_key

BOT_TOKEN = "7123456789:AAHk3v9_Qx-ZbcdefghijklmnopqrstuvwXYZ"
SESSION = (
    "1" + base64.urlsafe_b64encode(bytes(range(256)) + b"\x01\x02\x03\x04\x05\x06\x07").decode()
)


def test_configured_secret_is_replaced_wherever_it_appears() -> None:
    redactor = Redactor(["hunter2-pass"])

    assert redactor.redact_text("login hunter2-pass ok") == f"login {REDACTED} ok"
    assert redactor.redact_text("xxhunter2-passxx") == f"xx{REDACTED}xx"


def test_longest_secret_wins_over_a_secret_it_contains() -> None:
    redactor = Redactor(["abcd", "abcdefgh"])

    assert redactor.redact_text("=abcdefgh=") == f"={REDACTED}="


def test_secrets_shorter_than_four_characters_are_ignored() -> None:
    redactor = Redactor(["abc", ""])

    assert redactor.redact_text("abc abcabc") == "abc abcabc"


@pytest.mark.parametrize(
    "rendered",
    [
        json.dumps('pa"ss\\wörd-42'),
        json.dumps('pa"ss\\wörd-42', ensure_ascii=False),
        repr('pa"ss\\wörd-42'),
        "postgresql://vault:pa%22ss%5Cw%C3%B6rd-42@db/vault",
    ],
)
def test_escaped_spellings_of_a_secret_are_replaced(rendered: str) -> None:
    redactor = Redactor(['pa"ss\\wörd-42'])

    assert "ss" not in redactor.redact_text(rendered).replace(REDACTED, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token {BOT_TOKEN} end", f"token {REDACTED} end"),
        (
            f"POST https://api.telegram.org/bot{BOT_TOKEN}/getMe",
            f"POST https://api.telegram.org/bot{REDACTED}/getMe",
        ),
        (f"session={SESSION};", f"session={REDACTED};"),
        ("call +7 (999) 123-45-67 now", f"call {REDACTED} now"),
        ("call +447911123456", f"call {REDACTED}"),
        ("to +34 612 345 678.", f"to {REDACTED}."),
        ("postgresql://vault:s3cr3t@db:5432/vault", f"postgresql://vault:{REDACTED}@db:5432/vault"),
    ],
)
def test_credentials_are_recognised_without_configuration(text: str, expected: str) -> None:
    assert Redactor().redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        '{"chat_id": -1001234567890, "message_id": 123456, "count": 250000}',
        "chat_id=-1001234567890 message_id=987654321 user_id=5123456789",
        "2026-05-01T12:34:56.789012Z 2026-05-01T12:34:56+00:00 12:30:45",
        "duration_ms=1234.567 size=1048576 offset_date=1714567890",
        "https://t.me/c/1234567890/42",
        "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "retry in +30s, attempts 3/5, ratio +12.5%",
    ],
)
def test_ids_dates_and_counts_survive(text: str) -> None:
    redactor = Redactor(["hunter2-pass", "0123456789abcdef0123456789abcdef"])

    assert redactor.redact_text(text) == text


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_passwd",
        "client_secret",
        "bot_token",
        "api_hash",
        "apiHash",
        "session_string",
        "phone_number",
        "Authorization",
        "X-Auth-Key",
    ],
)
def test_secret_named_keys_are_sensitive(key: str) -> None:
    assert is_sensitive_key(key)


@pytest.mark.parametrize(
    "key", ["chat_id", "event", "timestamp", "fts_tokenizer", "hash", "operation", "duration_ms"]
)
def test_ordinary_keys_are_not_sensitive(key: str) -> None:
    assert not is_sensitive_key(key)


def test_processor_blanks_secret_named_values_of_any_type_at_any_depth() -> None:
    redactor = Redactor(["hunter2-pass"])
    event = {
        "event": "login with hunter2-pass",
        "password": 1234,
        "details": {"phone": None, "nested": [{"api_hash": {"a": 1}}, ("hunter2-pass", 7)]},
        "chat_id": -1001234567890,
    }

    redacted = redactor(None, "info", event)

    assert redacted == {
        "event": f"login with {REDACTED}",
        "password": REDACTED,
        "details": {"phone": REDACTED, "nested": [{"api_hash": REDACTED}, (REDACTED, 7)]},
        "chat_id": -1001234567890,
    }
    assert event["password"] == 1234  # the caller's dict is left alone


class _Client:
    def __repr__(self) -> str:
        return "Client(password='hunter2-pass', dc=2)"


class _Described:
    def __structlog__(self) -> str:
        return "described hunter2-pass"


def test_other_objects_become_their_redacted_text() -> None:
    redactor = Redactor(["hunter2-pass"])

    redacted = redactor(None, "info", {"client": _Client(), "item": _Described(), "n": 2.5})

    assert redacted == {
        "client": f"Client(password='{REDACTED}', dc=2)",
        "item": f"described {REDACTED}",
        "n": 2.5,
    }
