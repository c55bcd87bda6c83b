"""Timing and memory helpers: section timers, percentiles, and per-phase peak RSS."""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

PROC_STATUS = Path("/proc/self/status")
PROC_CLEAR_REFS = Path("/proc/self/clear_refs")


class SectionTimer:
    """Adds up the time spent inside ``with timer:`` blocks, one entry per block."""

    def __init__(self) -> None:
        self.sections: list[float] = []
        self._started = 0.0

    def __enter__(self) -> Self:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.sections.append(time.perf_counter() - self._started)

    @property
    def total(self) -> float:
        return sum(self.sections)

    def total_of_first(self, count: int) -> float:
        return sum(self.sections[:count])


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1) of an unsorted list; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))
    return ordered[index]


def lifetime_peak_rss() -> int:
    """The process's peak RSS in bytes since it started (getrusage)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class PeakRss:
    """Peak RSS during a phase.

    On Linux a process may reset its own high-water mark (``clear_refs`` 5), which gives the
    phase's own peak; where that is refused the figure is the lifetime peak from getrusage.
    """

    def __init__(self) -> None:
        self.per_phase = False
        self.peak_bytes = 0

    def __enter__(self) -> Self:
        try:
            PROC_CLEAR_REFS.write_text("5")
            self.per_phase = True
        except OSError:
            self.per_phase = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        phase_peak = _status_kib("VmHWM") if self.per_phase else None
        self.peak_bytes = phase_peak * 1024 if phase_peak else lifetime_peak_rss()


def _status_kib(field: str) -> int | None:
    try:
        for line in PROC_STATUS.read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
