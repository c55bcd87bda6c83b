"""/status: reads totals, backfill progress, queues, waits, errors and each archiver's heartbeat."""

from services.status.heartbeat import (
    HEARTBEAT_INTERVAL,
    HEARTBEAT_KEY,
    HEARTBEAT_STALE_AFTER,
    ArchiverHeartbeat,
    heartbeat_key,
    read_live_state,
    read_live_states,
)
from services.status.service import StatusService
from services.status.snapshot import (
    ArchiveTotals,
    ChatProgress,
    FloodWaitNow,
    LiveState,
    QueueCounts,
    RecentError,
    VaultStatus,
)

__all__ = [
    "HEARTBEAT_INTERVAL",
    "HEARTBEAT_KEY",
    "HEARTBEAT_STALE_AFTER",
    "ArchiveTotals",
    "ArchiverHeartbeat",
    "ChatProgress",
    "FloodWaitNow",
    "LiveState",
    "QueueCounts",
    "RecentError",
    "StatusService",
    "VaultStatus",
    "heartbeat_key",
    "read_live_state",
    "read_live_states",
]
