"""A server-requested wait (FloodWait, slow mode, Bot API retry_after) as the product records it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class FloodWaitEvent:
    """One wait the server asked for; ``honoured`` is False when it exceeded the configured cap."""

    operation: str
    seconds: float
    occurred_at: datetime
    error_type: str
    honoured: bool
    account: str | None = None

    @property
    def until(self) -> datetime:
        return self.occurred_at + timedelta(seconds=self.seconds)
