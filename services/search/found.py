"""What a backend returns for one page: message keys newest first, and how many there are."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from services.search.filters_sql import Keyset


@dataclass(slots=True)
class Found:
    """Up to ``limit + 1`` keys (the extra one says another page exists) and the total."""

    keys: list[Keyset] = field(default_factory=list)
    total: int = 0
    total_is_estimate: bool = False


@dataclass(slots=True)
class WalkProgress:
    """How far a newest-first walk went, to extrapolate the total when it stopped early."""

    first: datetime | None = None
    last: datetime | None = None
    exhausted: bool = False

    def saw(self, date: datetime) -> None:
        if self.first is None:
            self.first = date
        self.last = date


def extrapolate(
    found: int, progress: WalkProgress, oldest: datetime | None, ceiling: int | None
) -> tuple[int, bool]:
    """Total matches, assuming the rate seen so far holds back to ``oldest``.

    Exact when the walk ran out of rows. ``ceiling`` (an index count) bounds the guess.
    """
    if progress.exhausted:
        return found, False
    first, last = progress.first, progress.last
    if first is None or last is None or oldest is None or first <= last:
        guess = ceiling if ceiling is not None else found
        return max(guess, found), True
    walked = (first - last).total_seconds()
    remaining = max((last - oldest).total_seconds(), 0.0)
    guess = round(found * (1 + remaining / walked))
    if ceiling is not None:
        guess = min(guess, ceiling)
    return max(guess, found), True
