"""Telegram's sending limits as token buckets: one for the bot, one per recipient chat.

Telegram asks bots to stay under about 30 messages a second overall, about one a second in a
private chat (short bursts tolerated) and 20 a minute in a group or channel; beyond that it
answers 429. A bucket of capacity ``burst`` refilled at ``per_second`` lets through at most
``burst + per_second * T`` messages in any window of T seconds, so the defaults below keep
every window inside the limit rather than just the average.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

EPSILON = 1e-9  # float refills land a hair under a whole token after an exact sleep
MAX_TRACKED_CHATS = 10_000


@dataclass(frozen=True, slots=True)
class Rate:
    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if self.per_second <= 0 or self.burst < 1:
            raise ValueError(f"a rate needs a positive refill and a burst of at least 1: {self}")


GLOBAL_RATE = Rate(29.0, 1)  # never more than 30 in any second
PRIVATE_RATE = Rate(1.0, 3)  # one a second, short bursts of three
GROUP_RATE = Rate(17 / 60, 3)  # never more than 20 in any minute


class TokenBucket:
    __slots__ = ("rate", "tokens", "updated")

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate = rate
        self.tokens = float(rate.burst)
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)  # a clock stepping back refills nothing
        self.tokens = min(float(self.rate.burst), self.tokens + elapsed * self.rate.per_second)
        self.updated = max(self.updated, now)

    def wait(self, now: float) -> float:
        """Seconds until a token is available (0 when one is)."""
        self._refill(now)
        missing = 1.0 - self.tokens
        return 0.0 if missing <= EPSILON else missing / self.rate.per_second

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens = max(self.tokens - 1.0, 0.0)

    def full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.rate.burst


class SendLimiter:
    """Awaits the moment a message to a chat fits both the bot's and that chat's limit.

    Private chats have positive ids; groups and channels negative ones.
    """

    def __init__(
        self,
        *,
        global_rate: Rate = GLOBAL_RATE,
        private_rate: Rate = PRIVATE_RATE,
        group_rate: Rate = GROUP_RATE,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._private_rate = private_rate
        self._group_rate = group_rate
        self._global = TokenBucket(global_rate, clock())
        self._chats: dict[int, TokenBucket] = {}

    def delay(self, chat_id: int) -> float:
        """Seconds to wait before a message to ``chat_id`` may go (nothing is taken)."""
        now = self._clock()
        return max(self._global.wait(now), self._chat(chat_id, now).wait(now))

    def pick(self, chat_ids: Iterable[int]) -> int:
        """The chat among ``chat_ids`` that can be written to soonest (the first on a tie)."""
        candidates = list(chat_ids)
        if not candidates:
            raise ValueError("pick needs at least one chat")
        now = self._clock()
        return min(candidates, key=lambda chat: self._chat(chat, now).wait(now))

    async def acquire(self, chat_id: int) -> float:
        """Wait until a message to ``chat_id`` fits every limit and take it; returns the wait."""
        waited = 0.0
        while True:
            now = self._clock()
            bucket = self._chat(chat_id, now)
            wait = max(self._global.wait(now), bucket.wait(now))
            if wait <= 0:
                self._global.take(now)
                bucket.take(now)
                return waited
            await self._sleep(wait)
            waited += wait

    def _chat(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= MAX_TRACKED_CHATS:
                self._forget_idle(now)
            rate = self._private_rate if chat_id > 0 else self._group_rate
            bucket = self._chats[chat_id] = TokenBucket(rate, now)
        return bucket

    def _forget_idle(self, now: float) -> None:
        """A full bucket behaves like a new one: dropping it changes nothing but memory."""
        for chat_id in [chat for chat, bucket in self._chats.items() if bucket.full(now)]:
            del self._chats[chat_id]
