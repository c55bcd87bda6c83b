"""What job bodies work with: the services the composition root hands the scheduler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from core.db.database import Database
from services.tasks.queue import TaskQueue


def utc_now() -> datetime:
    return datetime.now(UTC)


class Rescanner(Protocol):
    """Detection over stored messages that a crash left unscanned (DetectionService)."""

    async def rescan_unscanned(self) -> int: ...


@dataclass(frozen=True)
class JobContext:
    """Handed to every job body explicitly; nothing here is a global."""

    db: Database
    tasks: TaskQueue
    detection: Rescanner
    media_dir: Path
    log_file: Path | None
    tz: ZoneInfo
    admins: tuple[int, ...]  # who receives the daily digest
    clock: Callable[[], datetime] = field(default=utc_now)
