"""SendLimiter keeps every window of time inside Telegram's limits, on a fake clock."""

from __future__ import annotations

import pytest

from services.alerts import limits
from services.alerts.limits import GROUP_RATE, PRIVATE_RATE, Rate, SendLimiter

GENEROUS = Rate(1000.0, 1000)  # a global rate that never binds: tests one chat's limit alone
PRIVATE, GROUP = 1001, -1001234567890


class FakeClock:
    """Time that moves only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def limiter(clock: FakeClock, **rates: Rate) -> SendLimiter:
    return SendLimiter(clock=clock, sleep=clock.sleep, **rates)


async def send_times(lim: SendLimiter, clock: FakeClock, chats: list[int]) -> list[float]:
    times = []
    for chat in chats:
        await lim.acquire(chat)
        times.append(clock.now)
    return times


def most_in_window(times: list[float], window: float) -> int:
    """The most sends inside any window of ``window`` seconds (a hair longer: strict check)."""
    span = window + 1e-6
    return max(sum(1 for t in times if start <= t < start + span) for start in times)


async def test_private_chat_allows_a_short_burst_then_one_a_second() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_rate=GENEROUS)
    times = await send_times(lim, clock, [PRIVATE] * 6)
    assert times[:3] == [0.0, 0.0, 0.0]
    assert times[3:] == pytest.approx([1.0, 2.0, 3.0])
    assert clock.sleeps == pytest.approx([1.0, 1.0, 1.0])


async def test_group_stays_under_twenty_messages_in_any_minute() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_rate=GENEROUS)
    times = await send_times(lim, clock, [GROUP] * 80)
    assert most_in_window(times, 60.0) == 20
    assert times[-1] == pytest.approx((80 - GROUP_RATE.burst) / GROUP_RATE.per_second)


async def test_the_bot_stays_under_thirty_messages_in_any_second() -> None:
    clock = FakeClock()
    lim = limiter(clock)
    times = await send_times(lim, clock, list(range(1, 301)))  # 300 private chats, one each
    assert most_in_window(times, 1.0) <= 30
    assert times[-1] == pytest.approx(299 / 29)  # the global bucket alone paces them


async def test_private_sustained_rate_is_one_a_second() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_rate=GENEROUS)
    times = await send_times(lim, clock, [PRIVATE] * 33)
    assert times[-1] == pytest.approx(33 - PRIVATE_RATE.burst)
    assert most_in_window(times, 10.0) <= 10 + PRIVATE_RATE.burst


async def test_chats_do_not_share_their_limits() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_rate=GENEROUS)
    await send_times(lim, clock, [PRIVATE] * 3)
    assert lim.delay(PRIVATE) == pytest.approx(1.0)
    assert lim.delay(PRIVATE + 1) == 0.0
    await lim.acquire(PRIVATE + 1)
    assert clock.sleeps == []


async def test_delay_takes_nothing_and_pick_prefers_the_ready_chat() -> None:
    clock = FakeClock()
    lim = limiter(clock, global_rate=GENEROUS)
    for _ in range(5):
        assert lim.delay(GROUP) == 0.0  # asking does not spend a token
    await send_times(lim, clock, [GROUP] * 3)
    assert lim.pick([GROUP, PRIVATE]) == PRIVATE
    assert lim.pick([PRIVATE, PRIVATE + 1]) == PRIVATE  # a tie goes to the first
    with pytest.raises(ValueError, match="at least one chat"):
        lim.pick([])


async def test_a_clock_stepping_back_refills_nothing() -> None:
    clock = FakeClock()
    clock.now = 100.0
    lim = limiter(clock, global_rate=GENEROUS)
    await send_times(lim, clock, [PRIVATE] * 3)
    clock.now = 50.0
    assert lim.delay(PRIVATE) == pytest.approx(1.0)


async def test_idle_chats_are_forgotten_without_changing_any_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(limits, "MAX_TRACKED_CHATS", 3)
    clock = FakeClock()
    lim = limiter(clock, global_rate=GENEROUS)
    await send_times(lim, clock, [1, 2])
    clock.now += 1.0  # chats 1 and 2 are full again
    await send_times(lim, clock, [3, 3, 3])  # chat 3 is drained
    await lim.acquire(4)  # over the cap: the full buckets are dropped, chat 3's is kept
    assert set(lim._chats) == {3, 4}
    assert lim.delay(3) == pytest.approx(1.0)


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive refill"):
        Rate(0.0, 1)
    with pytest.raises(ValueError, match="burst of at least 1"):
        Rate(1.0, 0)
