"""How the ingest step hands freshly written messages to detection, inside the same transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from core.db.uow import UnitOfWork
from core.domain.detection import Prematched, RuleSnapshot
from core.domain.messages import WrittenMessage


class MessageScanner(Protocol):
    """Scans messages just written through ``uow`` and stores what matched there (no commit).

    The caller hands over the messages as it stored them (no read-back) and has already marked
    their rows scanned in the same transaction, so a failed scan rolls the marks back with the
    messages. ``alerts=False`` is history mode (imports): hits are stored, nobody is alerted
    about years-old messages. ``prematched``: matches found before the write (an import's
    parser process), used where they still hold. Returns the number of new hits.
    """

    async def scan(
        self,
        uow: UnitOfWork,
        messages: Sequence[WrittenMessage],
        *,
        alerts: bool = True,
        prematched: Prematched | None = None,
    ) -> int: ...

    async def rule_snapshot(self) -> RuleSnapshot:
        """The enabled rules now, for a scan done elsewhere ahead of the writes."""
        ...
