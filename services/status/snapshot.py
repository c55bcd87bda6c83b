"""What /status shows, as frozen DTOs: built by StatusService, rendered by the bot's presenter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ArchiveTotals:
    """How much the vault holds; ``media_stored`` counts media rows downloaded (state ``done``)."""

    messages: int
    chats: int
    users: int
    edited: int
    deleted: int
    media_files: int
    media_stored: int
    detections: int
    rules_enabled: int


@dataclass(frozen=True, slots=True)
class ChatProgress:
    """A watched chat and how far its backfill has come.

    ``started``: the chat has a backfill cursor. ``percent`` is an approximation: it compares
    the messages fetched with the newest message id when the pass began (``top_message_id``,
    capped by the pass's limit), and ids are sparse (deleted messages, service messages of other
    topics), so an unfinished pass may stay well below 100 and is never shown as 100; a
    finished pass (``done``, including one that stopped at its limit or date) is 100. None
    when unknown: not started, or no page fetched yet.
    """

    chat_id: int
    title: str | None
    username: str | None
    fetched: int
    top_message_id: int | None
    done: bool
    started: bool
    percent: float | None


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Work waiting or stuck: ``media_pending`` includes retries due later and downloads under
    way; ``alerts_pending`` likewise includes alerts waiting for a retry or being sent."""

    media_pending: int
    media_failed: int
    alerts_pending: int
    alerts_failed: int
    tasks_queued: int
    tasks_running: int
    tasks_failed: int


@dataclass(frozen=True, slots=True)
class FloodWaitNow:
    """A server-requested wait still in force: ``seconds`` as asked, ``until`` when it ends."""

    operation: str
    seconds: float
    until: datetime
    account: str | None


@dataclass(frozen=True, slots=True)
class RecentError:
    """One recent failure, summarised for a chat message (short, credentials redacted)."""

    source: str  # "media", "task" or "alert"
    at: datetime
    summary: str


@dataclass(frozen=True, slots=True)
class LiveState:
    """One archiver's live connection as its heartbeat last reported it.

    ``connected`` is True only while the heartbeat is fresh: a crashed archiver cannot say it
    went away, so a ``stale`` heartbeat (older than HEARTBEAT_STALE_AFTER) counts as not
    connected. ``since``: when the current connected or disconnected state began. A vault
    whose archiver never wrote a heartbeat is not connected, stale, and has no times.
    ``account`` is who the session is logged in as (``@username``); ``label`` the account's
    TELEGRAM_ACCOUNT label, None for the single heartbeat an older version wrote.
    """

    connected: bool
    account: str | None
    since: datetime | None
    last_event_at: datetime | None
    last_sync_at: datetime | None
    updated_at: datetime | None
    stale: bool
    label: str | None = None


@dataclass(frozen=True, slots=True)
class VaultStatus:
    """Everything /status shows, read in one transaction at ``generated_at``.

    ``chats``: watched chats (excluded ones left out), unfinished backfills first, then by chat
    id, at most the requested limit; ``chats_total`` counts them all. ``recent_errors``: newest
    first, at most five. ``database_bytes`` is None when unknown (an in-memory database);
    ``media_bytes`` sums the stored blobs; ``uptime_seconds`` is None without a start time.
    ``disk_free_bytes``: free space on the media directory's file system, None when unknown.
    ``archivers``: each account's archiver by label (an older version's unlabelled heartbeat
    last); empty when no archiver ever ran on the vault.
    """

    totals: ArchiveTotals
    chats: tuple[ChatProgress, ...]
    chats_total: int
    queues: QueueCounts
    flood_waits: tuple[FloodWaitNow, ...]
    recent_errors: tuple[RecentError, ...]
    database_bytes: int | None
    media_bytes: int
    archivers: tuple[LiveState, ...]
    uptime_seconds: float | None
    generated_at: datetime
    disk_free_bytes: int | None = None
