"""How the ingest step hands freshly written messages to detection, inside the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.db.uow import UnitOfWork
from core.domain.messages import WrittenMessage


class MessageScanner(Protocol):
    """Scans messages just written through ``uow`` and stores what matched there (no commit).

    The caller hands over the messages as it stored them (no read-back) and has already marked
    their rows scanned in the same transaction, so a failed scan rolls the marks back with the
    messages. ``alerts=False`` is history mode (imports): hits are stored, nobody is alerted
    about years-old messages. Returns the number of new hits.
    """

    async def scan(
        self, uow: UnitOfWork, messages: Sequence[WrittenMessage], *, alerts: bool = True
    ) -> int: ...
