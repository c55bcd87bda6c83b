"""Categorization of real Telethon, aiogram and builtin exceptions (core imports neither)."""

from __future__ import annotations

import asyncio
import errno
import socket
import struct
import subprocess
import sys
from pathlib import Path
from types import MappingProxyType

import pytest
from aiogram.exceptions import (
    ClientDecodeError,
    RestartingTelegram,
    TelegramBadRequest,
    TelegramConflictError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import SendMessage
from telethon import errors, functions, types

from core.error_categories import (
    DEFAULT_RULES,
    ErrorCategory,
    ErrorClassifier,
    categorize_error,
    retry_after_seconds,
)
from core.errors import RetryLaterError

TEMPORARY = ErrorCategory.TEMPORARY
PERMANENT = ErrorCategory.PERMANENT
RATE_LIMIT = ErrorCategory.RATE_LIMIT

REQUEST = functions.help.GetConfigRequest()
METHOD = SendMessage(chat_id=1, text="x")


def rpc(code: int, message: str) -> Exception:
    """The exception Telethon builds from a raw RpcError reply."""
    error: Exception = errors.rpc_message_to_error(types.RpcError(code, message), REQUEST)
    return error


TELETHON_CASES = [
    (rpc(420, "FLOOD_WAIT_7"), RATE_LIMIT),
    (errors.FloodWaitError(request=None, capture=7), RATE_LIMIT),
    (rpc(420, "SLOWMODE_WAIT_5"), RATE_LIMIT),
    (rpc(420, "FLOOD_PREMIUM_WAIT_3"), RATE_LIMIT),
    (rpc(420, "FLOOD_TEST_PHONE_WAIT_4"), RATE_LIMIT),
    (rpc(420, "TAKEOUT_INIT_DELAY_9"), RATE_LIMIT),
    (rpc(420, "2FA_CONFIRM_WAIT_604800"), RATE_LIMIT),
    (rpc(420, "FROZEN_METHOD_INVALID"), PERMANENT),  # a 420 without a wait to honour
    (rpc(420, "SOME_FUTURE_FLOOD"), PERMANENT),
    (rpc(500, "INTERNAL"), TEMPORARY),
    (rpc(-500, "No workers running"), TEMPORARY),
    (rpc(-503, "Timeout"), TEMPORARY),
    (rpc(500, "RPC_CALL_FAIL"), TEMPORARY),
    (rpc(500, "HISTORY_GET_FAILED"), TEMPORARY),
    (rpc(500, "WORKER_BUSY_TOO_LONG_RETRY"), TEMPORARY),
    (rpc(500, "UNKNOWN_METHOD"), PERMANENT),
    (rpc(401, "AUTH_KEY_UNREGISTERED"), PERMANENT),
    (rpc(401, "SESSION_REVOKED"), PERMANENT),
    (rpc(401, "USER_DEACTIVATED"), PERMANENT),
    (rpc(403, "CHAT_WRITE_FORBIDDEN"), PERMANENT),
    (rpc(400, "CHANNEL_PRIVATE"), PERMANENT),
    (rpc(400, "PEER_ID_INVALID"), PERMANENT),
    (rpc(400, "USERNAME_NOT_OCCUPIED"), PERMANENT),
    (rpc(400, "FILE_REFERENCE_EXPIRED"), PERMANENT),
    (rpc(400, "PEER_FLOOD"), PERMANENT),
    (rpc(400, "PASSWORD_TOO_FRESH_3600"), PERMANENT),  # seconds, but an account state
    (rpc(404, "NOT_FOUND_ANYTHING"), PERMANENT),
    (rpc(406, "AUTH_KEY_DUPLICATED"), PERMANENT),
    (rpc(303, "FILE_MIGRATE_2"), PERMANENT),
    (rpc(303, "NETWORK_MIGRATE_4"), PERMANENT),
    (rpc(999, "NEVER_SEEN"), PERMANENT),
    (errors.InvalidChecksumError(1, 2), TEMPORARY),
    (errors.ReadCancelledError(), TEMPORARY),
    (errors.SecurityError("Server sent an even msg_id"), TEMPORARY),
    (errors.BadMessageError(REQUEST, 16), TEMPORARY),
    (errors.InvalidBufferError(struct.pack("<i", -429)), TEMPORARY),  # transport flood
    (errors.InvalidBufferError(struct.pack("<i", -404)), PERMANENT),  # forgotten auth key
    (errors.AuthKeyNotFound(), PERMANENT),
    (errors.CdnFileTamperedError(), PERMANENT),
    (errors.TypeNotFoundError(0x12345678, b""), PERMANENT),
    (errors.AlreadyInConversationError(), PERMANENT),
]

AIOGRAM_CASES = [
    (TelegramRetryAfter(method=METHOD, message="Too Many Requests", retry_after=5), RATE_LIMIT),
    (TelegramNetworkError(method=METHOD, message="Request timeout error"), TEMPORARY),
    (TelegramServerError(method=METHOD, message="Bad Gateway"), TEMPORARY),
    (RestartingTelegram(method=METHOD, message="restarting"), TEMPORARY),
    (TelegramEntityTooLarge(method=METHOD, message="Request Entity Too Large"), PERMANENT),
    (TelegramBadRequest(method=METHOD, message="chat not found"), PERMANENT),
    (TelegramForbiddenError(method=METHOD, message="bot was blocked by the user"), PERMANENT),
    (TelegramUnauthorizedError(method=METHOD, message="Unauthorized"), PERMANENT),
    (TelegramNotFound(method=METHOD, message="Not Found"), PERMANENT),
    (TelegramConflictError(method=METHOD, message="terminated by other getUpdates"), PERMANENT),
    (TelegramMigrateToChat(method=METHOD, message="migrated", migrate_to_chat_id=-100), PERMANENT),
    (ClientDecodeError("Failed to decode object", ValueError("x"), "<html>"), PERMANENT),
]

BUILTIN_CASES = [
    (ConnectionError("Cannot send requests while disconnected"), TEMPORARY),
    (ConnectionResetError(errno.ECONNRESET, "reset"), TEMPORARY),
    (TimeoutError(), TEMPORARY),
    (asyncio.IncompleteReadError(b"", 8), TEMPORARY),
    (socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"), TEMPORARY),
    (OSError(errno.ENETUNREACH, "Network is unreachable"), TEMPORARY),
    (OSError(errno.EHOSTUNREACH, "No route to host"), TEMPORARY),
    (OSError(errno.ENOSPC, "No space left on device"), PERMANENT),
    (FileNotFoundError(errno.ENOENT, "gone"), PERMANENT),
    (ValueError("bug"), PERMANENT),
    (TypeError("bug"), PERMANENT),
    (KeyError("bug"), PERMANENT),
    (RuntimeError("bug"), PERMANENT),
    (RetryLaterError("busy"), TEMPORARY),
    (RetryLaterError("busy", retry_after=30), RATE_LIMIT),
]


def _case_id(case: object) -> str:
    return type(case).__name__


@pytest.mark.parametrize(("error", "expected"), TELETHON_CASES, ids=_case_id)
def test_telethon_errors(error: Exception, expected: ErrorCategory) -> None:
    assert categorize_error(error) is expected


@pytest.mark.parametrize(("error", "expected"), AIOGRAM_CASES, ids=_case_id)
def test_aiogram_errors(error: Exception, expected: ErrorCategory) -> None:
    assert categorize_error(error) is expected


@pytest.mark.parametrize(("error", "expected"), BUILTIN_CASES, ids=_case_id)
def test_builtin_errors(error: Exception, expected: ErrorCategory) -> None:
    assert categorize_error(error) is expected


def test_telethons_own_timeout_error_is_not_confused_with_the_builtin() -> None:
    error = rpc(-503, "Timeout")
    assert type(error).__name__ == "TimeoutError"
    assert not isinstance(error, TimeoutError)
    assert categorize_error(error) is TEMPORARY


@pytest.mark.parametrize(
    ("error", "seconds"),
    [
        (rpc(420, "FLOOD_WAIT_7"), 7.0),
        (rpc(420, "SLOWMODE_WAIT_30"), 30.0),
        (rpc(420, "FLOOD_WAIT_0"), 0.0),
        (TelegramRetryAfter(method=METHOD, message="Too Many Requests", retry_after=5), 5.0),
        (RetryLaterError("busy", retry_after=2.5), 2.5),
        (RetryLaterError("busy"), None),
        (rpc(500, "INTERNAL"), None),
        (ValueError("x"), None),
    ],
    ids=_case_id,
)
def test_retry_after_seconds(error: Exception, seconds: float | None) -> None:
    assert retry_after_seconds(error) == seconds


def test_a_registered_rule_refines_a_default_only_in_its_classifier() -> None:
    classifier = ErrorClassifier()
    classifier.register("telethon.PeerFloodError", TEMPORARY)

    assert classifier.categorize(rpc(400, "PEER_FLOOD")) is TEMPORARY
    assert classifier.categorize(rpc(400, "PEER_ID_INVALID")) is PERMANENT
    assert categorize_error(rpc(400, "PEER_FLOOD")) is PERMANENT
    assert ErrorClassifier().categorize(rpc(400, "PEER_FLOOD")) is PERMANENT


def test_register_by_class_and_by_full_name() -> None:
    class ArchiveLockBusyError(Exception):
        pass

    classifier = ErrorClassifier(
        {"telethon.errors.rpcerrorlist.FileReferenceExpiredError": TEMPORARY}
    )
    classifier.register(ArchiveLockBusyError, TEMPORARY)

    assert classifier.categorize(ArchiveLockBusyError()) is TEMPORARY
    assert classifier.categorize(rpc(400, "FILE_REFERENCE_EXPIRED")) is TEMPORARY
    assert categorize_error(ArchiveLockBusyError()) is PERMANENT


def test_a_rule_on_a_base_class_does_not_override_a_more_specific_default() -> None:
    classifier = ErrorClassifier({"telethon.RPCError": TEMPORARY})

    assert classifier.categorize(rpc(999, "NEVER_SEEN")) is TEMPORARY
    assert classifier.categorize(rpc(401, "SESSION_REVOKED")) is PERMANENT


def test_register_rejects_an_unqualified_name() -> None:
    with pytest.raises(ValueError, match="qualified"):
        ErrorClassifier().register("FloodWaitError", RATE_LIMIT)


def test_default_rules_are_immutable() -> None:
    assert isinstance(DEFAULT_RULES, MappingProxyType)
    with pytest.raises(TypeError):
        DEFAULT_RULES["builtins.ValueError"] = TEMPORARY  # type: ignore[index]


def test_core_modules_import_neither_telethon_nor_aiogram() -> None:
    code = (
        "import sys, core.api_retry_wrapper, core.error_categories, core.flood_ledger;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in {'telethon', 'aiogram'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "[]"
