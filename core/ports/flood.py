"""Where APIRetryWrapper reports every flood wait so that /status can show them later."""

from __future__ import annotations

from typing import Protocol

from core.domain.flood import FloodWaitEvent


class FloodWaitRecorder(Protocol):
    """Persists flood waits; implementations must not raise for storage hiccups they can absorb."""

    async def record(self, event: FloodWaitEvent) -> None: ...
