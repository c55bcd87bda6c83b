"""Whether the bot's long polling is alive, told by the last time the Bot API answered a poll.

Long polling asks with a timeout (30 s), so an idle but healthy bot still gets an answer at
least that often; three timeouts without one mean polling is stuck or Telegram is out of reach.
The bot edge calls ``beat`` after every answered getUpdates; the health check asks ``alive``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from core.errors import InvalidInputError

POLLING_TIMEOUT_SECONDS = 30
MAX_SILENCE = timedelta(seconds=3 * POLLING_TIMEOUT_SECONDS)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class BotLiveness:
    """The time of the last answered poll, kept in memory (it is about this process only)."""

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] = _utc_now,
        max_silence: timedelta = MAX_SILENCE,
    ) -> None:
        if max_silence <= timedelta(0):
            raise InvalidInputError(f"max_silence must be positive, got {max_silence}")
        self._clock = clock
        self.max_silence = max_silence
        self._last: datetime | None = None

    @property
    def last_beat(self) -> datetime | None:
        return self._last

    def beat(self) -> None:
        """The Bot API just answered a poll."""
        self._last = self._clock()

    def alive(self, now: datetime) -> bool:
        """A poll was answered within ``max_silence`` before ``now`` (never answered: not yet)."""
        return self._last is not None and now - self._last <= self.max_silence

    def alive_now(self) -> bool:
        return self.alive(self._clock())
