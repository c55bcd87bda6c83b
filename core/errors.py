"""Domain errors with a user-facing meaning; the edges translate them (bot reply, CLI exit code)."""

from __future__ import annotations


class VaultError(Exception):
    """Base of every error the product raises on purpose."""

    exit_code = 1


class ConfigurationError(VaultError):
    """The configuration cannot start the product; ``report`` lists every problem at once."""

    exit_code = 78  # EX_CONFIG

    def __init__(self, report: str, problems: list[str] | None = None) -> None:
        super().__init__(report)
        self.report = report
        self.problems = list(problems or [])


class NotFoundError(VaultError):
    """A chat, message, rule or task the caller named does not exist."""


class InvalidInputError(VaultError):
    """Input that cannot be served as given; the message tells the user what to change."""


class RetryLaterError(VaultError):
    """A temporary condition (rate limit, outage); ``retry_after`` is in seconds when known."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MediaUnavailableError(VaultError):
    """The message is gone or no longer carries downloadable media (a permanent media failure)."""
