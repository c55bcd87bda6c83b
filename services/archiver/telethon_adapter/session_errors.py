"""A dead session or account -> one ConfigurationError with a clear message, never a retry loop.

Telegram answers every request of a revoked session (terminated from another device, or a key
used from two places at once) or of a deactivated account with the same 401/406 error. Nothing
the archiver does can cure that, so it stops with a message that says what to do; the edges see
core's ConfigurationError (exit code 78 on the CLI), never a Telethon type.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from telethon import errors

from core.errors import ConfigurationError

SESSION_REVOKED = "the Telegram session was revoked: run 'telegramvault login' again"
ACCOUNT_DEACTIVATED = "the account was deactivated"
REVOKED_ERRORS = (
    errors.AuthKeyUnregisteredError,
    errors.AuthKeyInvalidError,
    errors.AuthKeyPermEmptyError,
    errors.SessionRevokedError,
    errors.SessionExpiredError,
    errors.AuthKeyDuplicatedError,
)
DEACTIVATED_ERRORS = (errors.UserDeactivatedError, errors.UserDeactivatedBanError)


def session_error(error: BaseException) -> ConfigurationError | None:
    """The ConfigurationError for a dead session or account, or None for any other error."""
    if isinstance(error, REVOKED_ERRORS):
        return ConfigurationError(SESSION_REVOKED, [SESSION_REVOKED])
    if isinstance(error, DEACTIVATED_ERRORS):
        return ConfigurationError(ACCOUNT_DEACTIVATED, [ACCOUNT_DEACTIVATED])
    return None


@contextlib.contextmanager
def translated_session_errors() -> Iterator[None]:
    """Re-raise a dead-session error as its ConfigurationError (the original is chained)."""
    try:
        yield
    except (*REVOKED_ERRORS, *DEACTIVATED_ERRORS) as error:
        translated = session_error(error)
        assert translated is not None
        raise translated from error
