"""What handlers receive: the services, built once by the composition root.

The dispatcher carries one ``BotServices`` under the key ``services``; aiogram injects it into
any handler that declares a ``services`` parameter. Nothing here is created at import time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the services are imported by the composition root, not here
    from core.config_settings import Settings
    from core.db.database import Database
    from services.alerts.outbox import AlertOutbox
    from services.archiver.watchlist import WatchListService
    from services.detection.service import DetectionService
    from services.export.service import ExportService
    from services.search.service import SearchService
    from services.status.service import StatusService
    from services.tasks.queue import TaskQueue


@dataclass
class BotServices:
    settings: Settings
    db: Database
    search: SearchService
    detection: DetectionService
    watch: WatchListService  # reads and removals only: adding a chat needs the session (a task)
    tasks: TaskQueue
    status: StatusService
    export: ExportService
    outbox: AlertOutbox
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    page_size: int = 10
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
