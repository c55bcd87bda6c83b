"""Why a profile was not refreshed, in the words an admin can look up (USER_ID_INVALID, timeout).

Telegram errors are recognised by shape, not imported: an RPC error has an integer ``code``;
Telethon names each known one after Telegram's message (UserIdInvalidError), and keeps the raw
message on the generic classes it uses for messages it does not know.
"""

from __future__ import annotations

import re
from typing import Final

from core.errors import NotFoundError, VaultError

GENERIC_RPC_ERRORS: Final = frozenset(
    {
        "RPCError", "InvalidDCError", "BadRequestError", "UnauthorizedError", "ForbiddenError",
        "NotFoundError", "AuthKeyError", "FloodError", "ServerError", "TimedOutError",
    }
)  # fmt: skip
MAX_REASON_CHARS: Final = 80
_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


def failure_reason(error: BaseException) -> str:
    """A short, stable reason for ``error``: reports group failures by it."""
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, NotFoundError):
        return "not found"
    if isinstance(error, VaultError):
        return _clip(str(error) or type(error).__name__)
    if isinstance(getattr(error, "code", None), int):
        return _rpc_reason(error)
    return type(error).__name__


def _rpc_reason(error: BaseException) -> str:
    name = type(error).__name__
    message = getattr(error, "message", None)
    if name in GENERIC_RPC_ERRORS and isinstance(message, str) and message:
        return _clip(message)
    stem = name.removesuffix("Error") or name
    return _WORD_START.sub("_", stem).upper()


def _clip(text: str) -> str:
    return text if len(text) <= MAX_REASON_CHARS else text[: MAX_REASON_CHARS - 1] + "…"
