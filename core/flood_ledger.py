"""The in-process flood-wait ledger: the default FloodWaitRecorder, read by /status."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime

from core.domain.flood import FloodWaitEvent

DEFAULT_CAPACITY = 500


class InMemoryFloodLedger:
    """Keeps the latest flood waits in a bounded buffer (the oldest drop out first).

    Recording never awaits, so it is atomic within one event loop; the lock only guards readers
    on other threads (a /status rendered from a worker thread, say).
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self._events: deque[FloodWaitEvent] = deque(maxlen=capacity)
        self._total_seconds = 0.0
        self._lock = threading.Lock()

    async def record(self, event: FloodWaitEvent) -> None:
        with self._lock:
            self._events.append(event)
            self._total_seconds += event.seconds

    def recent(self, limit: int = 20) -> list[FloodWaitEvent]:
        """Up to ``limit`` events, newest first."""
        if limit < 1:
            return []
        with self._lock:
            snapshot = list(self._events)
        return snapshot[::-1][:limit]

    def active(self, now: datetime) -> list[FloodWaitEvent]:
        """Events whose wait is still in force at ``now``, newest first."""
        return [event for event in self.recent(len(self)) if event.until > now]

    @property
    def total_seconds(self) -> float:
        """Seconds of every wait recorded since start, including those no longer kept."""
        return self._total_seconds

    def __len__(self) -> int:
        return len(self._events)
