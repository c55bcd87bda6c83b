"""How the ingest step hands freshly written messages to detection, inside the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.db.uow import UnitOfWork
from core.domain.messages import StoredMessageRef


class MessageScanner(Protocol):
    """Scans stored messages and writes detections and alerts through ``uow`` (no commit)."""

    async def scan(self, uow: UnitOfWork, refs: Sequence[StoredMessageRef]) -> int: ...
