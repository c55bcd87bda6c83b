"""Sort failures of Telegram calls into temporary, permanent and rate-limited, without importing
Telethon or aiogram: exceptions are recognised by the names and modules of their classes.

A rule key names a class in one of two forms, both matched against every class of the
exception's MRO (most specific first, the first hit wins):

- the full form ``"telethon.errors.rpcerrorlist.FloodWaitError"`` (``module.QualName``), and
- the short form ``"telethon.FloodWaitError"`` (top-level package + class name), which survives
  the libraries moving classes between their internal modules.

Decisions worth knowing:

- Telethon already sleeps through short flood waits and retries 500s and DC migrations inside
  ``TelegramClient._call``; what reaches us is what it gave up on.
- A migration (``InvalidDCError``: FILE/NETWORK/PHONE/USER/STATS_MIGRATE) that escapes Telethon
  means the call must be redirected by the caller (Telethon re-raises them for authorised
  sessions, and STATS_MIGRATE needs another DC): repeating it unchanged gets the same answer, so
  it is PERMANENT.
- A 420 ``FloodError`` is a rate limit only when it carries its wait (``.seconds``); without one
  (FROZEN_METHOD_INVALID, an unknown FLOOD_*) there is nothing to honour, so it is PERMANENT.
- 400-class errors that carry seconds (PASSWORD_TOO_FRESH_X, SESSION_TOO_FRESH_X) stay
  PERMANENT: they are hours-long account states, not flood control.
- Transport glitches (bad checksum, bad message, security check on a received packet, a
  cancelled read) are TEMPORARY; an invalid buffer carrying HTTP 404 is a forgotten auth key and
  PERMANENT, like ``AuthKeyNotFound``.
- Anything unknown is PERMANENT: a bug is never retried.
"""

from __future__ import annotations

import errno
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Final


class ErrorCategory(StrEnum):
    """How the retry wrapper treats a failure."""

    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    RATE_LIMIT = "rate_limit"


TELETHON_RULES: Final[Mapping[str, ErrorCategory]] = MappingProxyType(
    {
        # 420: flood control; only those carrying ``.seconds`` stay RATE_LIMIT (see _refine).
        "telethon.FloodError": ErrorCategory.RATE_LIMIT,
        "telethon.FloodWaitError": ErrorCategory.RATE_LIMIT,
        "telethon.FloodPremiumWaitError": ErrorCategory.RATE_LIMIT,
        "telethon.SlowModeWaitError": ErrorCategory.RATE_LIMIT,
        "telethon.FloodTestPhoneWaitError": ErrorCategory.RATE_LIMIT,
        "telethon.TakeoutInitDelayError": ErrorCategory.RATE_LIMIT,
        # 500 and -503: Telegram's own trouble; the same request may well succeed later.
        "telethon.ServerError": ErrorCategory.TEMPORARY,
        "telethon.TimedOutError": ErrorCategory.TEMPORARY,
        "telethon.RpcCallFailError": ErrorCategory.TEMPORARY,
        "telethon.RpcMcgetFailError": ErrorCategory.TEMPORARY,
        "telethon.InterdcCallErrorError": ErrorCategory.TEMPORARY,
        "telethon.InterdcCallRichErrorError": ErrorCategory.TEMPORARY,
        # A 500 that is really a wrong call: the method cannot run on this DC.
        "telethon.UnknownMethodError": ErrorCategory.PERMANENT,
        # Requests that cannot succeed as sent.
        "telethon.InvalidDCError": ErrorCategory.PERMANENT,
        "telethon.BadRequestError": ErrorCategory.PERMANENT,
        "telethon.UnauthorizedError": ErrorCategory.PERMANENT,
        "telethon.ForbiddenError": ErrorCategory.PERMANENT,
        "telethon.NotFoundError": ErrorCategory.PERMANENT,
        "telethon.AuthKeyError": ErrorCategory.PERMANENT,
        "telethon.RPCError": ErrorCategory.PERMANENT,
        # telethon.errors.common: transport and protocol glitches.
        "telethon.ReadCancelledError": ErrorCategory.TEMPORARY,
        "telethon.InvalidChecksumError": ErrorCategory.TEMPORARY,
        "telethon.InvalidBufferError": ErrorCategory.TEMPORARY,
        "telethon.BadMessageError": ErrorCategory.TEMPORARY,
        "telethon.SecurityError": ErrorCategory.TEMPORARY,
        "telethon.CdnFileTamperedError": ErrorCategory.PERMANENT,
        "telethon.AuthKeyNotFound": ErrorCategory.PERMANENT,
        "telethon.TypeNotFoundError": ErrorCategory.PERMANENT,
        "telethon.AlreadyInConversationError": ErrorCategory.PERMANENT,
    }
)

AIOGRAM_RULES: Final[Mapping[str, ErrorCategory]] = MappingProxyType(
    {
        "aiogram.TelegramRetryAfter": ErrorCategory.RATE_LIMIT,
        "aiogram.TelegramNetworkError": ErrorCategory.TEMPORARY,
        "aiogram.TelegramServerError": ErrorCategory.TEMPORARY,
        "aiogram.RestartingTelegram": ErrorCategory.TEMPORARY,
        # A subclass of TelegramNetworkError, but a file too large stays too large.
        "aiogram.TelegramEntityTooLarge": ErrorCategory.PERMANENT,
        "aiogram.TelegramMigrateToChat": ErrorCategory.PERMANENT,
        "aiogram.TelegramBadRequest": ErrorCategory.PERMANENT,
        "aiogram.TelegramForbiddenError": ErrorCategory.PERMANENT,
        "aiogram.TelegramUnauthorizedError": ErrorCategory.PERMANENT,
        "aiogram.TelegramNotFound": ErrorCategory.PERMANENT,
        "aiogram.TelegramConflictError": ErrorCategory.PERMANENT,
        "aiogram.TelegramAPIError": ErrorCategory.PERMANENT,
    }
)

BUILTIN_RULES: Final[Mapping[str, ErrorCategory]] = MappingProxyType(
    {
        "builtins.ConnectionError": ErrorCategory.TEMPORARY,
        # asyncio.TimeoutError is builtins.TimeoutError since Python 3.11.
        "builtins.TimeoutError": ErrorCategory.TEMPORARY,
        "asyncio.IncompleteReadError": ErrorCategory.TEMPORARY,
        "socket.gaierror": ErrorCategory.TEMPORARY,
        # RetryLaterError carries its wait when known; then _refine makes it RATE_LIMIT.
        "core.errors.RetryLaterError": ErrorCategory.TEMPORARY,
    }
)

DEFAULT_RULES: Final[Mapping[str, ErrorCategory]] = MappingProxyType(
    {**TELETHON_RULES, **AIOGRAM_RULES, **BUILTIN_RULES}
)

# Plain OSErrors whose errno says the network, not the request, is at fault. (ECONNRESET,
# ECONNREFUSED, ETIMEDOUT... already arrive as ConnectionError or TimeoutError subclasses.)
NETWORK_ERRNOS: Final[frozenset[int]] = frozenset(
    {
        errno.ENETDOWN,
        errno.ENETUNREACH,
        errno.ENETRESET,
        errno.EHOSTDOWN,
        errno.EHOSTUNREACH,
        errno.ENOTCONN,
        errno.ECONNABORTED,
        errno.ECONNRESET,
        errno.ECONNREFUSED,
        errno.ETIMEDOUT,
        errno.EPIPE,
    }
)

_HTTP_NOT_FOUND: Final = 404


def retry_after_seconds(exc: BaseException) -> float | None:
    """The wait the server asked for: Telethon's ``.seconds`` or aiogram's ``.retry_after``."""
    for attribute in ("seconds", "retry_after"):
        value = getattr(exc, attribute, None)
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    return None


def class_keys(cls: type) -> tuple[str, str]:
    """The full and the short rule key of a class."""
    module = cls.__module__
    root = module.partition(".")[0]
    return f"{module}.{cls.__qualname__}", f"{root}.{cls.__name__}"


def categorize_error(exc: BaseException) -> ErrorCategory:
    """The category of ``exc`` under the default rules."""
    return _categorize(exc, DEFAULT_RULES)


class ErrorClassifier:
    """Default rules plus the refinements an edge registers for its own errors.

    Registered rules win over default rules for the same class; a rule on a more specific class
    wins over one on its base, whoever registered it.
    """

    def __init__(self, rules: Mapping[str, ErrorCategory] | None = None) -> None:
        self._rules: dict[str, ErrorCategory] = dict(DEFAULT_RULES)
        for key, category in (rules or {}).items():
            self.register(key, category)

    def register(self, error: type[BaseException] | str, category: ErrorCategory) -> None:
        """Classify ``error`` (a class, or a full or short qualified class name) as ``category``."""
        if isinstance(error, str):
            if "." not in error.strip("."):
                raise ValueError(f"expected a qualified class name such as 'pkg.Error': {error!r}")
            key = error
        else:
            key = class_keys(error)[0]
        self._rules[key] = ErrorCategory(category)

    def categorize(self, exc: BaseException) -> ErrorCategory:
        """The category of ``exc``: the first matching rule along its MRO, then refinements."""
        return _categorize(exc, self._rules)


def _categorize(exc: BaseException, rules: Mapping[str, ErrorCategory]) -> ErrorCategory:
    category = _match_rules(type(exc), rules)
    if category is None:
        category = ErrorCategory.TEMPORARY if _is_network_oserror(exc) else ErrorCategory.PERMANENT
    return _refine(exc, category)


def _match_rules(cls: type, rules: Mapping[str, ErrorCategory]) -> ErrorCategory | None:
    for klass in cls.__mro__:
        for key in class_keys(klass):
            if key in rules:
                return rules[key]
    return None


def _is_network_oserror(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in NETWORK_ERRNOS


def _refine(exc: BaseException, category: ErrorCategory) -> ErrorCategory:
    wait = retry_after_seconds(exc)
    if category is ErrorCategory.RATE_LIMIT and wait is None:
        return ErrorCategory.PERMANENT
    if category is ErrorCategory.TEMPORARY and wait is not None:
        return ErrorCategory.RATE_LIMIT
    if category is ErrorCategory.TEMPORARY and _is_forgotten_auth_key(exc):
        return ErrorCategory.PERMANENT
    return category


def _is_forgotten_auth_key(exc: BaseException) -> bool:
    names = {class_keys(klass)[1] for klass in type(exc).__mro__}
    return "telethon.InvalidBufferError" in names and getattr(exc, "code", None) == _HTTP_NOT_FOUND
